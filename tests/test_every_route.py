"""Walk every URL route of the portal (read from the resolver, so new routes are covered by
themselves) as three personas, and check that no route leaks a foreign incident or agreement."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from agreements.models import DocumentVersion
from incidents import services as incident_services
from tests.conftest import make_verified

SKIP_PREFIXES = ("admin/", "static/", "i18n/", "account/", "healthz")


def routes():
    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return sorted({r for r in walk(get_resolver().url_patterns, "") if not r.startswith(SKIP_PREFIXES)})


def fill(route, ids):
    """A concrete path: every id parameter gets the foreign objects' ids, slugs a real step."""

    def value(match):
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return str(ids.get(name, ids["pk"]))
        if converter == "slug":
            return {"step": "validate", "target": "suspended", "action": "deactivate"}.get(name, "x")
        return ids.get(name, "x")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def secrets(lt_pl_in_force, make_incident, officer, owner_liaison):
    """An LT incident shared with PL (an LT-PL clause), with a comment and a follow-up."""
    incident = make_incident("validated", has_personal_data=True, person_name="Secret Person")
    incident_services.comment_add(incident=incident, actor=officer, body="Secret comment")
    version = DocumentVersion.objects.filter(document__agreement=lt_pl_in_force).first()
    return incident, lt_pl_in_force, version


def test_routes_are_found():
    found = routes()
    assert "incidents/<int:pk>/" in found and "api/v1/agreements/<int:pk>/" in found


@pytest.mark.parametrize("method", ["get", "post"])
def test_country_without_clause_sees_nothing_anywhere(secrets, client, outsider_liaison, method):
    incident, agreement, version = secrets
    make_verified(client, outsider_liaison)
    for ids in ({"pk": incident.pk}, {"pk": agreement.pk, "version_pk": version.pk, "version_id": version.pk}):
        for route in routes():
            path = fill(route, ids)
            response = getattr(client, method)(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode(errors="replace")
            assert incident.reference not in text, path
            assert "Secret" not in text, path
            assert agreement.reference not in text, path
            assert response.status_code in {200, 302, 400, 403, 404, 405, 415}, (path, response.status_code)
            if re.search(r"^/(incidents|agreements|api/v1/agreements)/\d+", path):
                assert response.status_code in {403, 404, 405}, (path, response.status_code)


def test_partner_with_clause_sees_the_incident_without_personal_data(secrets, client, partner_officer):
    incident, _agreement, _version = secrets
    make_verified(client, partner_officer)
    for route in routes():
        if "<" in route and not route.startswith("incidents/"):
            continue
        path = fill(route, {"pk": incident.pk})
        response = client.get(path)
        if response.streaming:
            continue
        assert "Secret Person" not in response.content.decode(errors="replace"), path
    assert incident.reference in client.get("/incidents/").content.decode()


def test_owner_sees_everything(secrets, client, officer):
    incident, _agreement, _version = secrets
    make_verified(client, officer)
    body = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Secret Person" in body and "Secret comment" in body


@pytest.fixture
def joint_work(lt_pl_in_force, owner_liaison, officer, partner_officer, owner_agency, partner_agency):
    """An LT-PL patrol, exercise and programme (with a course and an indicator): Secret titles."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from training import services as training

    start = timezone.now() + datetime.timedelta(days=1)
    patrol = training.patrol_save(
        actor=owner_liaison,
        title="Secret patrol",
        agreement=lt_pl_in_force,
        border_sector="Secret sector",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        commanding_agency=owner_agency,
        participants=[(owner_agency, [officer], []), (partner_agency, [partner_officer], [])],
    )
    exercise = training.exercise_save(
        actor=owner_liaison,
        title="Secret exercise",
        scenario="search_rescue",
        host_agency=owner_agency,
        agencies=[partner_agency],
        starts_at=start + datetime.timedelta(days=2),
        ends_at=start + datetime.timedelta(days=2, hours=6),
        objectives=["Secret objective"],
    )
    participant = training.exercise_participant_add(
        exercise=exercise, user=partner_officer, role="player", actor=owner_liaison
    )
    today = timezone.localdate()
    programme = training.programme_save(
        actor=owner_liaison,
        title="Secret programme",
        source_kind="eu_fund",
        funder_name="Secret fund",
        budget=Decimal(1000),
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
        agencies=[owner_agency, partner_agency],
    )
    course = training.course_save(
        programme=programme,
        actor=owner_liaison,
        title="Secret course",
        place="Secret place",
        trainer_agency=owner_agency,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=4),
        trainees=[officer],
    )
    indicator = training.indicator_save(
        programme=programme, actor=owner_liaison, name="Secret indicator", baseline=Decimal(0), target=Decimal(5)
    )
    return {
        "patrol": {"pk": patrol.pk},
        "exercise": {"pk": exercise.pk, "participant_pk": participant.pk},
        "programme": {"pk": programme.pk, "course_pk": course.pk, "indicator_pk": indicator.pk},
    }


@pytest.mark.parametrize("method", ["get", "post"])
def test_country_not_taking_part_sees_no_joint_work_anywhere(joint_work, client, outsider_liaison, method):
    make_verified(client, outsider_liaison)
    for ids in joint_work.values():
        for route in routes():
            path = fill(route, ids)
            response = getattr(client, method)(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert "Secret" not in body.decode(errors="replace"), path
            assert response.status_code in {200, 302, 400, 403, 404, 405, 415}, (path, response.status_code)
            if re.search(r"^/(training|api/v1)/(patrols|exercises|programmes)/\d+", path):
                assert response.status_code in {403, 404, 405}, (path, response.status_code)


def test_partner_taking_part_sees_the_joint_work(joint_work, client, partner_officer):
    make_verified(client, partner_officer)
    for kind, ids in joint_work.items():
        body = client.get(f"/training/{kind}s/{ids['pk']}/").content.decode()
        assert f"Secret {kind}" in body, kind
