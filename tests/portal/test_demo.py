"""`load_demo` builds a usable demo, and running it again changes nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from agreements.models import Agreement
from alerts.models import AlertDelivery, Subscription
from incidents.models import Handover, Incident, IncidentComment
from portal.models import ROLE_FIELDS, Agency, User


def test_demo_refused_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("load_demo", stdout=io.StringIO())


def test_demo_is_complete_and_idempotent(db, settings):
    settings.DEMO_MODE = True
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    counts = (Agency.objects.count(), User.objects.count(), Agreement.objects.count(), Incident.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (Agency.objects.count(), User.objects.count(), Agreement.objects.count(), Incident.objects.count()) == counts
    assert Incident.objects.count() >= 300
    assert Incident.objects.filter(status="shared").exists() and Incident.objects.filter(status="draft").exists()
    assert Incident.objects.filter(follow_up_of__isnull=False).exists()
    assert Handover.objects.filter(status="pending").count() == 1
    assert IncidentComment.objects.exists()
    assert Subscription.objects.filter(channel="webhook").exists()
    assert AlertDelivery.objects.filter(state="dead").exists() and AlertDelivery.objects.exclude(state="dead")

    assert len(set(Agency.objects.values_list("country_id", flat=True))) >= 5
    for field in ROLE_FIELDS.values():
        assert User.objects.filter(**{field: True}).exists(), field
    text = out.getvalue()
    assert "Demo-Portal-2026!" in text and "lt-sbgs.officer" in text

    statuses = set(Agreement.objects.values_list("status", flat=True))
    assert {"in_force", "suspended"} <= statuses
    assert any(a.parties.count() > 2 for a in Agreement.objects.all())
    assert Agreement.objects.filter(status="in_force", expires_on__isnull=False).order_by("expires_on").first()
    call_command("totp_code", "lt-sbgs.admin", stdout=(code := io.StringIO()))
    assert code.getvalue().strip().isdigit()


def test_demo_shows_information_exchange_working(db, settings):
    from exchange import hits
    from exchange.models import HitCheck, InformationRequest, SinglePointOfContact

    settings.DEMO_MODE = True
    call_command("load_demo", stdout=io.StringIO())
    counts = (SinglePointOfContact.objects.count(), InformationRequest.objects.count(), HitCheck.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (
        SinglePointOfContact.objects.count(),
        InformationRequest.objects.count(),
        HitCheck.objects.count(),
    ) == counts

    assert set(SinglePointOfContact.objects.values_list("country_id", flat=True)) == {"LT", "LV", "EE", "PL", "FI"}
    open_request = InformationRequest.objects.get(status="sent")
    assert open_request.urgent and open_request.due_at > timezone.now()
    assert open_request.hit is not None and open_request.hit.holder_country_id == "PL"
    assert InformationRequest.objects.get(status="answered").answers.get().kind == "full"
    # The walkthrough's check: Lithuania finds the Polish lorry's plate under the LT-PL MoU.
    liaison = User.objects.get(username="lt-sbgs.liaison")
    result = hits.hit_check(
        actor=liaison, kind="plate", value="WPR 4471K", country="PL", purpose="Check of the demo walkthrough"
    )
    assert {country.country_id: len(country.hits) for country in result.checked if country.hit} == {"PL": 1}
    assert "LV" in {country.country_id for country in result.checked}  # the LT-LV MoU allows plates too


def test_demo_has_joint_work_to_look_at(db, settings):
    from training.models import ActionStatus, Exercise, Patrol, Programme

    settings.DEMO_MODE = True
    call_command("load_demo", stdout=io.StringIO())
    counts = (Patrol.objects.count(), Exercise.objects.count(), Programme.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (Patrol.objects.count(), Exercise.objects.count(), Programme.objects.count()) == counts

    completed = Patrol.objects.get(status="completed")
    assert completed.report.incidents.exists()
    assert Patrol.objects.filter(status="planned", starts_at__gt=timezone.now()).exists()
    assert Patrol.objects.filter(status="cancelled").exclude(cancel_reason="").exists()

    exercise = Exercise.objects.get(status="completed")
    assert exercise.after_action.lessons_learned
    assert exercise.objectives.filter(observations__isnull=False).exists()
    open_actions = exercise.corrective_actions.exclude(status=ActionStatus.CLOSED)
    assert open_actions.count() >= 2 and open_actions.filter(sop_document__isnull=False).exists()
    assert exercise.incidents.filter(alerts__status="Exercise").exists()

    programme = Programme.objects.get()
    assert programme.indicators.count() >= 2
    assert all(indicator.measurements.count() >= 3 for indicator in programme.indicators.all())
    assert programme.courses.filter(trainees__completed=True).exists()
