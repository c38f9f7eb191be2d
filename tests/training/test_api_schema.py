"""Patrols, exercises and programmes answer as the OpenAPI schema says, nulls included."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.models import APIScope, User
from tests.openapi import assert_documented
from training.services import exercises, lessons, lifecycle, patrols, programmes


@pytest.fixture
def partner(api_key, partner_agency):
    _key, raw = api_key(scopes=[APIScope.TRAINING_READ], agency=partner_agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def run(activity, actor, *steps):
    for step in steps:
        activity = lifecycle.activity_transition(activity=activity, to_status=step, actor=actor)
    return activity


def test_patrols_answer_as_documented(plan_patrol, make_incident, owner_liaison, client, partner):
    planned = plan_patrol(route=None)
    done = plan_patrol(starts_at=timezone.now() - datetime.timedelta(hours=1), title="Dawn patrol")
    done = run(done, owner_liaison, "under_way", "completed")
    patrols.patrol_report_save(
        patrol=done,
        actor=owner_liaison,
        summary="Quiet",
        hours=Decimal("8.5"),
        distance_km=40,
        incidents=[make_incident("validated")],
    )
    assert len(assert_documented(client.get("/api/v1/patrols/", **partner))["results"]) == 2
    detail = assert_documented(client.get(f"/api/v1/patrols/{planned.pk}/", **partner))
    assert detail["route"] is None and detail["report"] is None and detail["agreement"]
    detail = assert_documented(client.get(f"/api/v1/patrols/{done.pk}/", **partner))
    assert detail["route"]["type"] == "LineString" and detail["report"]["hours"] == "8.5"
    assert len(detail["report"]["incidents"]) == 1


def test_exercises_answer_as_documented(plan_exercise, owner_liaison, partner_officer, partner_agency, client, partner):
    planned = plan_exercise()
    exercises.exercise_participant_add(exercise=planned, user=partner_officer, role="player", actor=owner_liaison)
    done = plan_exercise(starts_at=timezone.now() - datetime.timedelta(hours=1), title="Harbour drill")
    done = run(done, owner_liaison, "under_way", "completed")
    lessons.after_action_save(exercise=done, actor=owner_liaison, summary="Done", lessons_learned="Slow radios")
    lessons.corrective_action_add(
        exercise=done,
        actor=owner_liaison,
        description="Train the radio handover",
        owner_agency=partner_agency,
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    assert len(assert_documented(client.get("/api/v1/exercises/", **partner))["results"]) == 2
    detail = assert_documented(client.get(f"/api/v1/exercises/{planned.pk}/", **partner))
    assert detail["after_action"] is None and detail["corrective_actions"] == []
    assert detail["participants"][0]["agency"] == partner_agency.code
    detail = assert_documented(client.get(f"/api/v1/exercises/{done.pk}/", **partner))
    (action,) = detail["corrective_actions"]
    assert detail["after_action"]["summary"] == "Done"
    assert action["sop"] is None and action["closed_by_version"] is None and action["closed_at"] is None


def test_a_participant_who_left_every_agency_is_shown_with_a_null_agency(
    plan_exercise, owner_liaison, partner_officer, client, partner
):
    exercise = plan_exercise()
    exercises.exercise_participant_add(exercise=exercise, user=partner_officer, role="observer", actor=owner_liaison)
    User.objects.filter(pk=partner_officer.pk).update(agency=None)  # as an administrator may
    detail = assert_documented(client.get(f"/api/v1/exercises/{exercise.pk}/", **partner))
    assert detail["participants"][0]["agency"] is None


def test_programmes_answer_as_documented(owner_liaison, owner_agency, partner_agency, client, partner):
    today = timezone.localdate()
    programme = programmes.programme_save(
        actor=owner_liaison,
        title="Dog handling",
        source_kind="eu_fund",
        funder_name="Border Management Fund",
        budget=Decimal("5000"),
        starts_on=today,
        ends_on=today + datetime.timedelta(days=90),
        agencies=[owner_agency, partner_agency],
    )
    listing = assert_documented(client.get("/api/v1/programmes/", **partner))
    assert listing["results"][0]["funder_country"] is None and listing["results"][0]["spent"] == "0.00"
    detail = assert_documented(client.get(f"/api/v1/programmes/{programme.pk}/", **partner))
    assert detail["courses"] == [] and detail["indicators"] == []
