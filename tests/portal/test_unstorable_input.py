"""A NUL byte (which PostgreSQL text refuses) in the address is a 400 before any view runs."""

import pytest
from django.utils import timezone

from incidents.models import Incident
from portal.models import APIScope, AuditQueueEntry
from tests.helpers import audit_log

PAGES = [
    "/incidents/?country=%00",
    "/incidents/?%00=LT",
    "/agreements/?partner=%00",
    "/training/patrols/?q=a%00b",
    "/training/exercises/?q=%00",
    "/agency/users/?q=%00",
    "/incidents/new/?exercise=%00",
    "/account/login/?next=/%00",
]
API = [
    "/api/v1/incidents/?country=%00",
    "/api/v1/incidents/?%00=1",
    "/api/v1/agreements/?partner=%00",
    "/api/v1/patrols/?q=%00",
    "/api/v1/agencies/?country=%00",
    "/api/v1/alerts/?since=%00",
]


def _audit_rows():
    return audit_log().count() + AuditQueueEntry.objects.count()


@pytest.mark.parametrize("path", PAGES)
def test_a_nul_in_the_query_string_of_a_page_is_a_400_in_plain_text(path, verified_client, agency_admin):
    client = verified_client(agency_admin)
    before = _audit_rows()
    response = client.get(path)
    assert response.status_code == 400, path
    assert response["Content-Type"].startswith("text/plain")
    assert "not allowed" in response.content.decode()
    assert _audit_rows() == before


@pytest.mark.parametrize("path", API)
def test_a_nul_in_the_query_string_of_the_api_is_a_400_in_json(path, api_key, client):
    key, raw = api_key(scopes=list(APIScope.values))
    response = client.get(path, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 400, path
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] == "invalid_characters" and "NUL" in error["message"]
    key.refresh_from_db()
    assert key.last_used_at is None  # the key was never even looked at


def test_an_anonymous_caller_gets_the_400_too(client, db):
    assert client.get("/incidents/?country=%00").status_code == 400
    assert client.get("/api/v1/incidents/?country=%00").status_code == 400


def test_a_nul_in_the_path_is_refused_too(verified_client, agency_admin):
    response = verified_client(agency_admin).post("/agency/api-keys/ab%00cd/revoke/")
    assert response.status_code == 400


def test_a_refused_write_changes_nothing(verified_client, officer, api_key, client):
    form = {
        "category": "smuggling_goods",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "severity": "low",
        "source_reliability": "F",
        "information_credibility": "6",
        "marking": "GREEN",
        "people_involved": 0,
    }
    _key, raw = api_key(scopes=[APIScope.INCIDENTS_WRITE])
    browser = verified_client(officer)
    before = _audit_rows()
    response = browser.post("/incidents/new/?next=%00", form)
    assert response.status_code == 400
    body = {"category": "smuggling_goods", "occurred_at": timezone.now().isoformat()}
    response = client.post(
        "/api/v1/incidents/?x=%00",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()
    assert _audit_rows() == before


def test_the_message_follows_the_language_of_the_request(client, db):
    response = client.get("/incidents/?country=%00", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "not allowed" not in response.content.decode()


def test_ordinary_queries_still_pass(verified_client, officer):
    assert verified_client(officer).get("/incidents/?country=LT&q=caf%C3%A9").status_code == 200
