"""Joint patrols: the agreement that allows them, double booking, lifecycle, report, visibility."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agreements import services as agreement_services
from agreements.models import AgreementStatus
from incidents.models import Incident
from portal.models import Country
from tests.factories import AgencyFactory, UserFactory
from tests.training.conftest import tomorrow_at
from training.models import ActivityStatus, Asset, Patrol
from training.services import exercises, lifecycle, patrols
from training.services.assets import asset_save


def messages_of(exc):
    return " ".join(exc.value.messages)


def test_planned_patrol_is_seen_by_the_countries_taking_part_only(
    plan_patrol, officer, partner_officer, outsider_officer
):
    patrol = plan_patrol()
    assert Patrol.objects.visible_to(officer).filter(pk=patrol.pk).exists()
    assert Patrol.objects.visible_to(partner_officer).filter(pk=patrol.pk).exists()
    assert not Patrol.objects.visible_to(outsider_officer).exists()


def test_the_officers_are_told(plan_patrol, partner_officer):
    plan_patrol()
    assert partner_officer.notifications.filter(title__contains="Night watch").exists()


def test_a_patrol_needs_an_agreement_in_force(plan_patrol, make_agreement):
    draft = make_agreement("draft")
    with pytest.raises(ValidationError) as exc:
        plan_patrol(agreement=draft)
    assert "is not in force" in messages_of(exc)
    assert not Patrol.objects.exists()


def test_the_agreement_must_still_be_in_force_at_the_end(plan_patrol, make_agreement):
    ending = make_agreement("in_force", expires_on=tomorrow_at(8).date())
    with pytest.raises(ValidationError) as exc:
        plan_patrol(agreement=ending, ends_at=tomorrow_at(8) + datetime.timedelta(days=1, hours=2))
    assert "is not in force" in messages_of(exc)


def test_the_agreement_must_cover_every_participating_country(
    lt_pl_in_force, owner_liaison, owner_agency, outsider_agency
):
    with pytest.raises(ValidationError) as exc:
        patrols.patrol_save(
            actor=owner_liaison,
            title="Three-country patrol",
            agreement=lt_pl_in_force,
            border_sector="Lake",
            starts_at=tomorrow_at(8),
            ends_at=tomorrow_at(12),
            commanding_agency=owner_agency,
            participants=[(owner_agency, [], []), (outsider_agency, [], [])],
        )
    assert "does not cover Finland" in messages_of(exc)


def test_an_agreement_the_planner_cannot_see_is_refused(plan_patrol, outsider_liaison):
    with pytest.raises(ValidationError) as exc:
        plan_patrol(actor=outsider_liaison)
    assert "Choose an agreement your country is party to" in messages_of(exc)


def test_a_joint_patrol_needs_two_countries(lt_pl_in_force, owner_liaison, owner_agency):
    with pytest.raises(ValidationError) as exc:
        patrols.patrol_save(
            actor=owner_liaison,
            title="Alone",
            agreement=lt_pl_in_force,
            border_sector="Lake",
            starts_at=tomorrow_at(8),
            ends_at=tomorrow_at(12),
            commanding_agency=owner_agency,
            participants=[(owner_agency, [], [])],
        )
    assert "at least two countries" in messages_of(exc)


def test_officers_do_not_plan_patrols(plan_patrol, officer):
    with pytest.raises(PermissionDenied):
        plan_patrol(actor=officer)


def test_end_before_start_is_refused(plan_patrol):
    with pytest.raises(ValidationError) as exc:
        plan_patrol(starts_at=tomorrow_at(10), ends_at=tomorrow_at(9))
    assert "end must come after the start" in messages_of(exc)


# --- Double booking -----------------------------------------------------------------------------


def test_an_officer_booked_on_an_overlapping_patrol_is_refused_by_name(plan_patrol, partner_officer):
    plan_patrol(title="Morning watch")
    with pytest.raises(ValidationError) as exc:
        plan_patrol(title="Second watch", starts_at=tomorrow_at(12), ends_at=tomorrow_at(20))
    text = messages_of(exc)
    assert "Ona Test is already booked on joint patrol “Morning watch”" in text
    assert Patrol.objects.count() == 1


def test_back_to_back_patrols_do_not_conflict(plan_patrol):
    plan_patrol(starts_at=tomorrow_at(8), ends_at=tomorrow_at(12))
    plan_patrol(starts_at=tomorrow_at(12), ends_at=tomorrow_at(16))
    assert Patrol.objects.count() == 2


def test_an_asset_cannot_be_on_two_patrols_at_once(plan_patrol, vessel):
    plan_patrol(officers=[], assets=[vessel])
    with pytest.raises(ValidationError) as exc:
        plan_patrol(officers=[], assets=[vessel], starts_at=tomorrow_at(9))
    assert "Vessel LT-101 is already booked" in messages_of(exc)


def test_a_cancelled_patrol_frees_its_officers(plan_patrol, owner_liaison):
    first = plan_patrol()
    lifecycle.activity_transition(activity=first, to_status="cancelled", reason="Storm", actor=owner_liaison)
    plan_patrol(title="Replacement")
    assert Patrol.objects.filter(status=ActivityStatus.PLANNED).count() == 1


def test_an_officer_in_an_overlapping_exercise_is_refused(plan_patrol, plan_exercise, owner_liaison, officer):
    exercise = plan_exercise(starts_at=tomorrow_at(6))
    exercises.exercise_participant_add(exercise=exercise, user=officer, role="player", actor=owner_liaison)
    with pytest.raises(ValidationError) as exc:
        plan_patrol()
    assert "already booked on exercise “Baltic Rescue”" in messages_of(exc)


def test_a_conflict_elsewhere_is_not_named_to_a_country_not_taking_part(
    plan_patrol, partner_officer, partner_liaison, partner_agency, owner_agency
):
    """PL's officer is on a PL-FI patrol; an LT planner learns that the officer is busy, not where."""
    from agreements import services as agreement_services

    fi = AgencyFactory(code="FI-RVL", country=Country.objects.get(pk="FI"))
    fi_liaison = UserFactory(username="fi.liaison", agency=fi, is_officer=False, is_liaison=True)
    agreement = agreement_services.agreement_create(
        parties=[(partner_agency, [partner_liaison]), (fi, [fi_liaison])],
        actor=partner_liaison,
        kind="mou",
        reference="PL-FI/1",
        title="Secret cooperation",
    )
    agreement = _bring_into_force(agreement, partner_liaison)
    patrols.patrol_save(
        actor=partner_liaison,
        title="Secret PL-FI patrol",
        agreement=agreement,
        border_sector="North",
        starts_at=tomorrow_at(8),
        ends_at=tomorrow_at(16),
        commanding_agency=partner_agency,
        participants=[(partner_agency, [partner_officer], []), (fi, [], [])],
    )
    with pytest.raises(ValidationError) as exc:
        plan_patrol(officers=[partner_officer])
    text = messages_of(exc)
    assert "already booked on another activity not shared with your country" in text
    assert "Secret" not in text


def _bring_into_force(agreement, actor):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tests.conftest import PDF_BYTES

    for step in ("negotiation", "signed", "in_force"):
        extra = {}
        if step == "signed":
            extra["signed_on"] = timezone.localdate() - datetime.timedelta(days=10)
        if step == "in_force":
            agreement_services.document_upload(
                agreement=agreement,
                actor=actor,
                title="Signed text",
                upload=SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf"),
            )
            extra["effective_from"] = timezone.localdate() - datetime.timedelta(days=5)
        agreement = agreement_services.agreement_transition(
            agreement=agreement, to_status=AgreementStatus(step), actor=actor, **extra
        )
    return agreement


def test_editing_a_patrol_does_not_conflict_with_itself(plan_patrol, owner_liaison, lt_pl_in_force):
    patrol = plan_patrol()
    changed = patrols.patrol_save(
        actor=owner_liaison,
        patrol=patrol,
        title=patrol.title,
        agreement=lt_pl_in_force,
        border_sector="Druskininkai north",
        starts_at=patrol.starts_at + datetime.timedelta(hours=1),
        ends_at=patrol.ends_at + datetime.timedelta(hours=1),
        commanding_agency=patrol.commanding_agency,
        participants=[(p.agency, list(p.officers.all()), []) for p in patrol.participants.all()],
    )
    assert changed.sequence == 1
    assert changed.border_sector == "Druskininkai north"


# --- Lifecycle and report -----------------------------------------------------------------------


def test_lifecycle_planned_under_way_completed(plan_patrol, owner_liaison, partner_liaison):
    patrol = plan_patrol()
    with pytest.raises(ValidationError):
        lifecycle.activity_transition(activity=patrol, to_status="completed", actor=owner_liaison)
    patrol = lifecycle.activity_transition(activity=patrol, to_status="under_way", actor=partner_liaison)
    patrol = lifecycle.activity_transition(activity=patrol, to_status="completed", actor=owner_liaison)
    assert patrol.status == "completed"
    assert patrol.sequence == 2
    with pytest.raises(ValidationError):
        lifecycle.activity_transition(activity=patrol, to_status="cancelled", reason="x", actor=owner_liaison)


def test_cancelling_needs_a_reason(plan_patrol, owner_liaison):
    patrol = plan_patrol()
    with pytest.raises(ValidationError) as exc:
        lifecycle.activity_transition(activity=patrol, to_status="cancelled", reason=" ", actor=owner_liaison)
    assert "Say why" in messages_of(exc)
    patrol.refresh_from_db()
    assert patrol.status == "planned"


def test_report_after_completion_links_only_incidents_the_author_sees(
    plan_patrol, owner_liaison, make_incident, partner_officer, outsider_officer
):
    patrol = plan_patrol()
    own = make_incident("validated")
    foreign = Incident.objects.create(
        reference="FI-1",
        agency=outsider_officer.agency,
        country_id="FI",
        category="smuggling_goods",
        occurred_at=own.occurred_at,
    )
    with pytest.raises(ValidationError):
        patrols.patrol_report_save(patrol=patrol, actor=owner_liaison, summary="x", hours=8, distance_km=40)
    for step in ("under_way", "completed"):
        patrol = lifecycle.activity_transition(activity=patrol, to_status=step, actor=owner_liaison)
    with pytest.raises(ValidationError) as exc:
        patrols.patrol_report_save(
            patrol=patrol, actor=owner_liaison, summary="x", hours=8, distance_km=40, incidents=[foreign]
        )
    assert "Only incidents you may see" in messages_of(exc)
    report = patrols.patrol_report_save(
        patrol=patrol, actor=owner_liaison, summary="Quiet night", hours=8, distance_km=40, incidents=[own]
    )
    assert list(report.incidents.all()) == [own]


def test_partner_reading_the_report_sees_only_incidents_shared_with_it(
    plan_patrol, owner_liaison, make_incident, partner_officer, verified_client
):
    """The LT incident is GREEN smuggling of goods: the LT-PL clause shares it; a RED one is not."""
    patrol = plan_patrol()
    shared = make_incident("validated")
    secret = make_incident("validated", marking="RED", description="Red secret")
    for step in ("under_way", "completed"):
        patrol = lifecycle.activity_transition(activity=patrol, to_status=step, actor=owner_liaison)
    patrols.patrol_report_save(
        patrol=patrol, actor=owner_liaison, summary="Two finds", hours=8, distance_km=40, incidents=[shared, secret]
    )
    client = verified_client(partner_officer)
    page = client.get(reverse("training:patrol_detail", args=[patrol.pk])).content.decode()
    assert shared.reference in page
    assert secret.reference not in page
    api = client.get(reverse("api_patrol_detail", args=[patrol.pk])).json()
    assert api["report"]["incidents"] == [shared.reference]


def test_asset_identifier_is_unique_per_agency(owner_liaison, partner_liaison, vessel):
    with pytest.raises(ValidationError) as exc:
        asset_save(actor=owner_liaison, kind="vehicle", identifier="lt-101", name="Other")
    assert "already registered" in messages_of(exc)
    asset_save(actor=partner_liaison, kind="vessel", identifier="LT-101", name="Same number elsewhere")
    assert Asset.objects.filter(identifier__iexact="LT-101").count() == 2


# --- Pages --------------------------------------------------------------------------------------


def test_liaison_plans_a_patrol_through_the_form(
    verified_client, owner_liaison, lt_pl_in_force, owner_agency, partner_agency, officer, partner_officer
):
    client = verified_client(owner_liaison)
    assert client.get(reverse("training:patrol_create")).status_code == 200
    response = client.post(
        reverse("training:patrol_create"),
        {
            "title": "Joint watch",
            "agreement": lt_pl_in_force.pk,
            "starts_at": tomorrow_at(8).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": tomorrow_at(14).strftime("%Y-%m-%dT%H:%M"),
            "commanding_agency": owner_agency.pk,
            "agencies": [partner_agency.pk],
            "officers": [officer.pk, partner_officer.pk],
            "route": '{"type": "Polygon", "coordinates": [[[23.5, 54.2], [23.6, 54.2], [23.6, 54.3]]]}',
        },
    )
    patrol = Patrol.objects.get()
    assert response.status_code == 302
    assert patrol.route["coordinates"][0][-1] == [23.5, 54.2]  # the ring was closed
    assert {p.agency.code for p in patrol.participants.all()} == {"LT-SBGS", "PL-SG"}


def test_bad_route_is_refused_with_a_message(verified_client, owner_liaison, lt_pl_in_force, owner_agency):
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("training:patrol_create"),
        {
            "title": "x",
            "agreement": lt_pl_in_force.pk,
            "starts_at": tomorrow_at(8).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": tomorrow_at(9).strftime("%Y-%m-%dT%H:%M"),
            "commanding_agency": owner_agency.pk,
            "route": '{"type": "LineString", "coordinates": [[200, 54]]}',
        },
    )
    assert response.status_code == 200
    assert "outside the globe" in response.content.decode()
    assert not Patrol.objects.exists()


def test_conflict_is_shown_on_the_form(
    verified_client, owner_liaison, plan_patrol, lt_pl_in_force, owner_agency, partner_agency, officer
):
    plan_patrol(title="First watch")
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("training:patrol_create"),
        {
            "title": "Second",
            "agreement": lt_pl_in_force.pk,
            "starts_at": tomorrow_at(9).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": tomorrow_at(10).strftime("%Y-%m-%dT%H:%M"),
            "commanding_agency": owner_agency.pk,
            "agencies": [partner_agency.pk],
            "officers": [officer.pk],
        },
    )
    assert response.status_code == 200
    assert "First watch" in response.content.decode()
    assert Patrol.objects.count() == 1


def test_outsiders_get_404_on_every_patrol_page_and_api(
    plan_patrol, verified_client, outsider_liaison, api_key, outsider_agency
):
    patrol = plan_patrol()
    client = verified_client(outsider_liaison)
    for name in ("patrol_detail", "patrol_edit", "patrol_report"):
        assert client.get(reverse(f"training:{name}", args=[patrol.pk])).status_code == 404
    assert client.get(reverse("training:patrol_transition", args=[patrol.pk, "cancelled"])).status_code == 404
    assert patrol.title not in client.get(reverse("training:patrol_list")).content.decode()
    assert client.get(reverse("api_patrol_detail", args=[patrol.pk])).status_code == 404
    assert client.get(reverse("api_patrol_list")).json()["count"] == 0


def test_partner_officer_reads_but_cannot_change(plan_patrol, verified_client, partner_officer):
    patrol = plan_patrol()
    client = verified_client(partner_officer)
    page = client.get(reverse("training:patrol_detail", args=[patrol.pk]))
    assert page.status_code == 200 and "Night watch" in page.content.decode()
    assert client.get(reverse("training:patrol_edit", args=[patrol.pk])).status_code == 403


def test_a_step_no_one_can_take_is_a_404_not_an_error(verified_client, owner_liaison, plan_patrol):
    patrol = plan_patrol()
    client = verified_client(owner_liaison)
    for target in ("planned", "nonsense"):
        assert client.get(f"/training/patrols/{patrol.pk}/status/{target}/").status_code == 404
