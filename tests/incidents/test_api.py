"""Incidents API: cursor pages, filters, redaction, filing by an agency's own system, comments."""

import pytest
from django.utils import timezone

from incidents.models import Incident
from portal.models import APIScope
from tests.helpers import audit_log


@pytest.fixture
def shared(lt_pl_in_force, make_incident):
    return make_incident("validated", has_personal_data=True, person_name="Jonas Jonaitis")


def key(api_key, agency, *scopes):
    _obj, raw = api_key(scopes=scopes or (APIScope.INCIDENTS_READ,), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def test_partner_system_reads_redacted_incident(shared, client, api_key, partner_agency):
    headers = key(api_key, partner_agency)
    listing = client.get("/api/v1/incidents/", **headers).json()
    assert [i["reference"] for i in listing["results"]] == [shared.reference]
    detail = client.get(f"/api/v1/incidents/{shared.pk}/", **headers).json()
    assert detail["person_name"] is None and detail["personal_data_withheld"] is True
    assert [g["country"] for g in detail["grants"]] == ["PL"]
    assert audit_log().filter(action="incident.viewed", actor_label__startswith="api-key:").exists()
    assert audit_log().filter(action="incident.listed").exists()


def test_owner_sees_personal_data(shared, verified_client, officer):
    detail = verified_client(officer).get(f"/api/v1/incidents/{shared.pk}/").json()
    assert detail["person_name"] == "Jonas Jonaitis" and detail["personal_data_withheld"] is False


def test_country_without_clause_gets_nothing(shared, client, api_key, outsider_agency):
    headers = key(api_key, outsider_agency, APIScope.INCIDENTS_READ, APIScope.INCIDENTS_WRITE)
    assert client.get("/api/v1/incidents/", **headers).json()["results"] == []
    for path in (f"/api/v1/incidents/{shared.pk}/", f"/api/v1/incidents/{shared.pk}/comments/"):
        response = client.get(path, **headers)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (
        client.post(
            f"/api/v1/incidents/{shared.pk}/comments/", {"body": "x"}, content_type="application/json", **headers
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/incidents/{shared.pk}/submit/", **headers).status_code == 404


def test_cursor_pages_and_filters(make_incident, verified_client, officer):
    for hours in range(1, 8):
        make_incident(
            occurred_at=timezone.now() - timezone.timedelta(hours=hours), severity="high" if hours % 2 else "low"
        )
    client = verified_client(officer)
    first = client.get("/api/v1/incidents/", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"] and "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert not {i["id"] for i in first["results"]} & {i["id"] for i in second["results"]}
    assert len(client.get("/api/v1/incidents/", {"severity": "high"}).json()["results"]) == 4
    bad = client.get("/api/v1/incidents/", {"severity": "apocalyptic"})
    assert bad.status_code == 400 and "severity" in bad.json()["error"]["fields"]


def test_own_system_files_and_submits_with_write_scope(client, api_key, owner_agency):
    headers = key(api_key, owner_agency, APIScope.INCIDENTS_READ, APIScope.INCIDENTS_WRITE)
    response = client.post(
        "/api/v1/incidents/",
        {
            "category": "document_fraud",
            "occurred_at": timezone.now().isoformat(),
            "description": "Forged visa",
            "crossing_point": "Kybartai",
            "marking": "GREEN",
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert incident.reporter is None and incident.reported_via.startswith("api-key:")
    submitted = client.post(f"/api/v1/incidents/{incident.pk}/submit/", **headers)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"


def test_read_only_key_cannot_file(client, api_key, owner_agency):
    response = client.post(
        "/api/v1/incidents/",
        {"category": "other", "occurred_at": timezone.now().isoformat()},
        content_type="application/json",
        **key(api_key, owner_agency),
    )
    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_bad_input_is_a_400_with_fields(client, api_key, owner_agency):
    headers = key(api_key, owner_agency, APIScope.INCIDENTS_READ, APIScope.INCIDENTS_WRITE)
    response = client.post(
        "/api/v1/incidents/", {"category": "spaceship", "latitude": 200}, content_type="application/json", **headers
    )
    assert response.status_code == 400
    assert {"category", "occurred_at", "latitude"} <= set(response.json()["error"]["fields"])


def test_partner_comments_through_the_api(shared, verified_client, partner_officer):
    client = verified_client(partner_officer)
    posted = client.post(
        f"/api/v1/incidents/{shared.pk}/comments/", {"body": "Seen at our side too"}, content_type="application/json"
    )
    assert posted.status_code == 201
    assert client.get(f"/api/v1/incidents/{shared.pk}/comments/").json()[0]["author"] == "pl.officer"


def test_list_query_count_is_constant(make_incident, verified_client, officer, django_assert_max_num_queries):
    client = verified_client(officer)
    make_incident()
    with django_assert_max_num_queries(15) as few:
        client.get("/api/v1/incidents/")
    for _ in range(15):
        make_incident()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/incidents/")


def test_partner_list_takes_four_queries_audit_included(
    shared, verified_client, partner_officer, django_assert_max_num_queries
):
    """Session, person (with agency, country and authenticator), the page, the audit entry."""
    client = verified_client(partner_officer)
    client.get("/api/v1/incidents/")  # the first request of a session refreshes its expiry
    with django_assert_max_num_queries(4) as queries:
        rows = client.get("/api/v1/incidents/").json()["results"]
    assert [row["reference"] for row in rows] == [shared.reference]
    assert any("portal_auditqueueentry" in q["sql"] for q in queries.captured_queries)
