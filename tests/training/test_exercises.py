"""Exercises: participants, injects, exercise play marked everywhere, and the lessons-learned loop."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from alerts.models import Alert, AlertStatus
from incidents import access
from incidents import services as incident_services
from tests.conftest import PDF_BYTES
from tests.training.conftest import tomorrow_at
from training.models import ActionStatus, Exercise
from training.services import exercises, lessons, lifecycle


def messages_of(exc):
    return " ".join(exc.value.messages)


def run(exercise, actor, *steps):
    for step in steps:
        exercise = lifecycle.activity_transition(activity=exercise, to_status=step, actor=actor)
    return exercise


def test_exercise_is_seen_by_host_and_participants_only(plan_exercise, officer, partner_officer, outsider_officer):
    exercise = plan_exercise()
    assert Exercise.objects.visible_to(officer).filter(pk=exercise.pk).exists()
    assert Exercise.objects.visible_to(partner_officer).filter(pk=exercise.pk).exists()
    assert not Exercise.objects.visible_to(outsider_officer).exists()


def test_adding_an_agency_later_shares_it_and_removing_it_unshares(
    plan_exercise, owner_liaison, owner_agency, outsider_agency, outsider_officer, partner_officer
):
    exercise = plan_exercise()
    fields = {
        "actor": owner_liaison,
        "exercise": exercise,
        "title": exercise.title,
        "scenario": exercise.scenario,
        "host_agency": owner_agency,
        "starts_at": exercise.starts_at,
        "ends_at": exercise.ends_at,
        "objectives": ["Locate the vessel within an hour"],
    }
    exercises.exercise_save(agencies=[outsider_agency], **fields)
    assert Exercise.objects.visible_to(outsider_officer).exists()
    assert not Exercise.objects.visible_to(partner_officer).exists()
    exercise.refresh_from_db()
    assert exercise.sequence == 1


def test_participants_must_come_from_agencies_taking_part(
    plan_exercise, owner_liaison, outsider_officer, partner_officer
):
    exercise = plan_exercise()
    with pytest.raises(ValidationError) as exc:
        exercises.exercise_participant_add(exercise=exercise, user=outsider_officer, role="player", actor=owner_liaison)
    assert "not a member of an agency taking part" in messages_of(exc)
    participant = exercises.exercise_participant_add(
        exercise=exercise, user=partner_officer, role="evaluator", actor=owner_liaison
    )
    assert participant.get_role_display() == "Evaluator"
    assert partner_officer.notifications.filter(title__contains="Baltic Rescue").exists()


def test_an_inject_happens_during_the_exercise(plan_exercise, owner_liaison, partner_officer):
    exercise = plan_exercise()
    player = exercises.exercise_participant_add(
        exercise=exercise, user=partner_officer, role="player", actor=owner_liaison
    )
    with pytest.raises(ValidationError) as exc:
        exercises.inject_add(
            exercise=exercise,
            at=exercise.ends_at + datetime.timedelta(hours=1),
            description="Second boat capsizes",
            recipient=player,
            actor=owner_liaison,
        )
    assert "happens during the exercise" in messages_of(exc)
    exercises.inject_add(
        exercise=exercise,
        at=exercise.starts_at + datetime.timedelta(hours=1),
        description="Second boat capsizes",
        recipient=player,
        actor=owner_liaison,
    )
    assert exercise.injects.count() == 1


def test_an_officer_cannot_play_two_overlapping_exercises(plan_exercise, owner_liaison, officer):
    first = plan_exercise()
    exercises.exercise_participant_add(exercise=first, user=officer, role="player", actor=owner_liaison)
    second = plan_exercise(title="Harbour Shield", starts_at=first.starts_at + datetime.timedelta(hours=2))
    with pytest.raises(ValidationError) as exc:
        exercises.exercise_participant_add(exercise=second, user=officer, role="observer", actor=owner_liaison)
    assert "already booked on exercise “Baltic Rescue”" in messages_of(exc)


# --- Exercise play is marked --------------------------------------------------------------------


@pytest.fixture
def running(plan_exercise, owner_liaison):
    exercise = plan_exercise(starts_at=timezone.now() - datetime.timedelta(hours=1))
    return run(exercise, owner_liaison, "under_way")


def test_incident_filed_in_a_running_exercise_is_marked_and_its_alert_is_cap_exercise(
    running, officer, supervisor, partner_officer, lt_pl_in_force, verified_client
):
    incident = incident_services.incident_create(
        actor=officer,
        exercise=running,
        category="smuggling_goods",
        occurred_at=timezone.now() - datetime.timedelta(minutes=10),
        description="Play: boat with cigarettes",
        border_sector="Lake",
        latitude=Decimal("54.1"),
        longitude=Decimal("24.2"),
        marking="GREEN",
    )
    incident_services.incident_submit(incident=incident, actor=officer)
    incident_services.incident_validate(incident=incident, actor=supervisor)
    assert incident.is_exercise
    alert = Alert.objects.get(incident=incident, country="PL")
    assert alert.status == AlertStatus.EXERCISE
    message = access.alert_message(alert, access.access_of(incident.pk, "PL"))
    assert message["status"] == "Exercise"
    assert message["incident"]["exercise"] is True
    client = verified_client(partner_officer)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "exercise-banner" in page
    listing = client.get(reverse("incidents:list")).content.decode()
    assert "badge-exercise" in listing and "exercise-banner" in listing
    stix = client.get(reverse("api_incident_stix", args=[incident.pk])).json()
    stix_incident = next(o for o in stix["objects"] if o["type"] == "incident")
    assert "exercise" in stix_incident["labels"] and stix_incident["name"].startswith("EXERCISE ")
    assert 'id="map-exercise"' in client.get(reverse("incidents:map")).content.decode()
    assert client.get(reverse("api_incident_detail", args=[incident.pk])).json()["is_exercise"] is True
    cap = client.get(reverse("api_alert_cap", args=[alert.pk])).content.decode()
    assert "<status>Exercise</status>" in cap
    geo = client.get(reverse("incidents:geojson")).json()
    assert [f["properties"]["exercise"] for f in geo["features"]] == [True]
    csv = b"".join(client.get(reverse("incidents:csv")).streaming_content).decode().splitlines()
    assert csv[0].startswith("reference,is_exercise") and csv[1].split(",")[1] == "true"


def test_real_incidents_are_not_marked(make_incident, verified_client, officer):
    incident = make_incident("validated")
    assert not incident.is_exercise
    client = verified_client(officer)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "exercise-banner" not in page
    assert "exercise-banner" not in client.get(reverse("incidents:list")).content.decode()


def test_an_exercise_that_is_not_under_way_takes_no_incidents(plan_exercise, officer):
    planned = plan_exercise()
    with pytest.raises(ValidationError) as exc:
        incident_services.incident_create(
            actor=officer,
            exercise=planned,
            category="smuggling_goods",
            occurred_at=timezone.now(),
            description="x",
        )
    assert "under way" in messages_of(exc)


def test_an_outsider_cannot_file_into_an_exercise(running, outsider_officer):
    with pytest.raises(ValidationError):
        incident_services.incident_create(
            actor=outsider_officer, exercise=running, category="smuggling_goods", occurred_at=timezone.now()
        )


def test_the_form_offers_running_exercises_and_files_into_them(running, officer, verified_client):
    client = verified_client(officer)
    form = client.get(reverse("incidents:create") + f"?exercise={running.pk}").content.decode()
    assert "Baltic Rescue" in form
    client.post(
        reverse("incidents:create"),
        {
            "exercise": running.pk,
            "category": "smuggling_goods",
            "occurred_at": (timezone.localtime() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "severity": "low",
            "source_reliability": "F",
            "information_credibility": "6",
            "marking": "GREEN",
            "people_involved": 0,
        },
    )
    assert running.incidents.count() == 1


def test_api_files_exercise_incidents_only_into_visible_exercises(running, api_key, client, outsider_agency):
    from portal.models import APIScope

    _key, raw = api_key(scopes=[APIScope.INCIDENTS_READ, APIScope.INCIDENTS_WRITE])
    body = {"category": "smuggling_goods", "occurred_at": timezone.now().isoformat(), "exercise": running.pk}
    response = client.post(
        reverse("api_incident_list"), body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {raw}"
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_exercise"] is True
    _foreign_key, foreign_raw = api_key(scopes=[APIScope.INCIDENTS_WRITE], agency=outsider_agency)
    response = client.post(
        reverse("api_incident_list"), body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {foreign_raw}"
    )
    assert response.status_code == 400
    assert "exercise" in response.json()["error"]["fields"]


# --- After-action report and the lessons-learned loop --------------------------------------------


@pytest.fixture
def sop(make_agreement):
    return make_agreement("in_force", kind="sop", title="Joint search and rescue SOP")


@pytest.fixture
def completed(running, owner_liaison):
    exercise = run(running, owner_liaison, "completed")
    lessons.after_action_save(
        exercise=exercise, actor=owner_liaison, summary="Went well", lessons_learned="Radio handover was slow"
    )
    return exercise


def test_after_action_report_only_once_completed(running, owner_liaison):
    with pytest.raises(ValidationError) as exc:
        lessons.after_action_save(exercise=running, actor=owner_liaison, summary="x", lessons_learned="y")
    assert "once the exercise is completed" in messages_of(exc)


def test_observations_per_objective(completed, owner_liaison):
    objective = completed.objectives.first()
    lessons.observation_add(objective=objective, kind="improvement", text="Found after 80 minutes", actor=owner_liaison)
    assert objective.observations.get().get_kind_display() == "Area for improvement"


def test_corrective_action_is_closed_by_a_new_version_of_its_sop(completed, sop, owner_liaison, partner_agency):
    document = sop.documents.get()
    action = lessons.corrective_action_add(
        exercise=completed,
        actor=owner_liaison,
        description="Add a radio handover step",
        owner_agency=partner_agency,
        due_on=timezone.localdate() + datetime.timedelta(days=30),
        sop_document=document,
    )
    with pytest.raises(ValidationError) as exc:
        lessons.corrective_action_update(action=action, actor=owner_liaison, status="closed", closing_note="done")
    assert "closes when a new version is uploaded" in messages_of(exc)
    lessons.corrective_action_update(action=action, actor=owner_liaison, status="in_progress")
    version = agreement_services.document_upload(
        agreement=sop,
        document=document,
        actor=owner_liaison,
        upload=SimpleUploadedFile("sop-v2.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.CLOSED
    assert action.closed_by_version == version
    assert "version 2" in action.closing_note


def test_actions_of_another_document_stay_open(completed, sop, owner_liaison, owner_agency):
    document = sop.documents.get()
    action = lessons.corrective_action_add(
        exercise=completed,
        actor=owner_liaison,
        description="Train the crews",
        owner_agency=owner_agency,
        due_on=timezone.localdate(),
    )
    agreement_services.document_upload(
        agreement=sop,
        document=document,
        actor=owner_liaison,
        upload=SimpleUploadedFile("sop-v2.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    with pytest.raises(ValidationError):
        lessons.corrective_action_update(action=action, actor=owner_liaison, status="closed")
    lessons.corrective_action_update(action=action, actor=owner_liaison, status="closed", closing_note="Course held")
    action.refresh_from_db()
    assert action.status == ActionStatus.CLOSED and action.closed_by == owner_liaison


def test_a_corrective_action_can_only_point_to_an_sop_the_actor_sees(
    completed, owner_liaison, owner_agency, outsider_liaison, outsider_agency
):
    from tests.training.test_patrols import _bring_into_force

    mou = agreement_services.agreement_create(
        parties=[(outsider_agency, [outsider_liaison]), (owner_agency.__class__.objects.get(code="PL-SG"), [])],
        actor=outsider_liaison,
        kind="sop",
        reference="FI-PL/SOP",
        title="Not yours",
    )
    _bring_into_force(mou, outsider_liaison)
    with pytest.raises(ValidationError) as exc:
        lessons.corrective_action_add(
            exercise=completed,
            actor=owner_liaison,
            description="x",
            owner_agency=owner_agency,
            due_on=timezone.localdate(),
            sop_document=mou.documents.get(),
        )
    assert "SOP your country is party to" in messages_of(exc)


def test_exercise_pages_carry_the_banner_and_404_for_outsiders(
    completed, verified_client, partner_officer, outsider_officer
):
    page = verified_client(partner_officer).get(reverse("training:exercise_detail", args=[completed.pk]))
    assert page.status_code == 200
    assert "exercise-banner" in page.content.decode()
    assert "Radio handover was slow" in page.content.decode()
    client = verified_client(outsider_officer)
    for name in ("exercise_detail", "exercise_edit", "participant_add", "inject_add", "after_action", "action_add"):
        assert client.get(reverse(f"training:{name}", args=[completed.pk])).status_code == 404, name
    assert client.get(reverse("api_exercise_detail", args=[completed.pk])).status_code == 404


def test_after_action_and_actions_through_the_pages(completed, verified_client, owner_liaison, owner_agency):
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("training:action_add", args=[completed.pk]),
        {"description": "Buy radios", "owner_agency": owner_agency.pk, "due_on": "2027-01-15"},
    )
    assert response.status_code == 302
    action = completed.corrective_actions.get()
    response = client.post(reverse("training:action_update", args=[completed.pk, action.pk]), {"status": "closed"})
    assert response.status_code == 200 and "Say how the action was carried out" in response.content.decode()
    client.post(
        reverse("training:action_update", args=[completed.pk, action.pk]),
        {"status": "closed", "closing_note": "Radios bought"},
    )
    action.refresh_from_db()
    assert action.status == "closed"


def test_planning_an_exercise_through_the_form(
    verified_client, owner_liaison, owner_agency, partner_agency, lt_pl_in_force
):
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("training:exercise_create"),
        {
            "title": "Port Shield",
            "scenario": "port_security",
            "host_agency": owner_agency.pk,
            "agencies": [partner_agency.pk],
            "starts_at": tomorrow_at(9).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": tomorrow_at(15).strftime("%Y-%m-%dT%H:%M"),
            "objectives": "Seal the port\nCheck every lorry\n",
        },
    )
    assert response.status_code == 302
    exercise = Exercise.objects.get()
    assert [o.text for o in exercise.objectives.all()] == ["Seal the port", "Check every lorry"]
