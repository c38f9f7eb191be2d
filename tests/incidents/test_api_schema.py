"""Incidents and alerts answer as the OpenAPI schema says, nulls included; bad cursors are 400."""

import base64
from decimal import Decimal

import pytest
from django.utils import timezone

from agreements import services as agreement_services
from agreements.models import AgreementStatus
from alerts.models import Alert, AlertType
from portal.models import APIScope
from tests.openapi import assert_documented, documented_response, openapi_schema

INCIDENTS = (APIScope.INCIDENTS_READ, APIScope.INCIDENTS_WRITE)
ALERTS = (APIScope.ALERTS_READ, APIScope.ALERTS_ACK)


def key(api_key, agency, *scopes):
    _obj, raw = api_key(scopes=scopes, agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


@pytest.fixture
def shared(lt_pl_in_force, make_incident):
    """Two incidents LT shares with PL: one with personal data (withheld from PL) and no
    coordinates, and a follow-up of it with coordinates."""
    first = make_incident("validated", has_personal_data=True, person_name="Jonas Jonaitis")
    follow_up = make_incident(
        "validated", follow_up_of=first, latitude=Decimal("54.687157"), longitude=Decimal("25.279652")
    )
    return first, follow_up


def test_the_partner_reads_incidents_as_documented(shared, client, api_key, partner_agency):
    first, follow_up = shared
    headers = key(api_key, partner_agency, *INCIDENTS)
    listing = assert_documented(client.get("/api/v1/incidents/", **headers))
    rows = {row["reference"]: row for row in listing["results"]}
    assert rows[first.reference]["latitude"] is None and rows[first.reference]["person_name"] is None
    assert rows[first.reference]["follow_up_of"] is None
    assert rows[follow_up.reference]["follow_up_of"] == first.pk and rows[follow_up.reference]["latitude"]
    detail = assert_documented(client.get(f"/api/v1/incidents/{first.pk}/", **headers))
    assert detail["personal_data_withheld"] is True and detail["person_birth_date"] is None
    assert [grant["country"] for grant in detail["grants"]] == ["PL"] and detail["grants"][0]["revoked_at"] is None


def test_the_owner_reads_its_draft_as_documented(make_incident, client, api_key, owner_agency):
    draft = make_incident()
    detail = assert_documented(client.get(f"/api/v1/incidents/{draft.pk}/", **key(api_key, owner_agency, *INCIDENTS)))
    assert detail["validated_at"] is None and detail["grants"] == [] and detail["person_name"] is None


def test_comments_answer_as_documented(shared, client, api_key, partner_agency, owner_agency):
    first, _follow_up = shared
    partner = key(api_key, partner_agency, *INCIDENTS)
    owner = key(api_key, owner_agency, *INCIDENTS)
    path = f"/api/v1/incidents/{first.pk}/comments/"
    assert assert_documented(client.get(path, **partner)) == []
    posted = client.post(path, {"body": "Seen at Ogrodniki too"}, content_type="application/json", **partner)
    assert assert_documented(posted)["author"]
    client.post(path, {"body": "Thanks"}, content_type="application/json", **owner)
    assert len(assert_documented(client.get(path, **owner))) == 2
    empty = client.post(path, {"body": ""}, content_type="application/json", **owner)
    assert empty.status_code == 400 and "body" in assert_documented(empty)["error"]["fields"]


def test_the_owner_previews_as_documented(shared, client, api_key, owner_agency, partner_agency):
    first, _follow_up = shared
    owner = key(api_key, owner_agency, *INCIDENTS)
    preview = assert_documented(client.get(f"/api/v1/incidents/{first.pk}/preview/", {"country": "PL"}, **owner))
    assert preview["visible"] is True and preview["incident"]["person_name"] is None
    assert preview["incident"]["latitude"] is None and preview["alerts"][0]["reason"] is None
    assert preview["grants"][0]["end_reason"] == ""
    unseen = assert_documented(client.get(f"/api/v1/incidents/{first.pk}/preview/", {"country": "fi"}, **owner))
    assert unseen["visible"] is False and unseen["incident"] is None and unseen["until"] is None
    own = client.get(f"/api/v1/incidents/{first.pk}/preview/", {"country": "LT"}, **owner)
    assert own.status_code == 400 and "country" in assert_documented(own)["error"]["fields"]
    partner = key(api_key, partner_agency, *INCIDENTS)
    foreign = client.get(f"/api/v1/incidents/{first.pk}/preview/", {"country": "PL"}, **partner)
    assert foreign.status_code == 404 and assert_documented(foreign)["error"]["code"] == "not_found"


# --- Cursors of the incident list ------------------------------------------------------------------


def test_cursor_pages_answer_as_documented(make_incident, client, api_key, owner_agency):
    for hours in range(1, 5):
        make_incident(occurred_at=timezone.now() - timezone.timedelta(hours=hours))
    headers = key(api_key, owner_agency, *INCIDENTS)
    first = assert_documented(client.get("/api/v1/incidents/", {"page_size": 3}, **headers))
    assert first["previous"] is None and first["next"]
    second = assert_documented(client.get(first["next"], **headers))
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    back = assert_documented(client.get(second["previous"], **headers))
    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]


def encoded(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",  # not base64 (DRF drops the characters and gives the first page)
        "cD0y*",
        "ąčę",
        encoded("o=-1"),
        encoded("r=yes"),
        encoded("p=not-a-date"),  # DRF compares it with the ordering field: a 500
    ],
)
def test_a_malformed_cursor_is_invalid_input_as_documented(make_incident, client, api_key, owner_agency, cursor):
    make_incident()
    response = client.get("/api/v1/incidents/", {"cursor": cursor}, **key(api_key, owner_agency, *INCIDENTS))
    assert response.status_code == 400
    error = assert_documented(response)["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["cursor"]


def test_the_schema_documents_the_bad_cursor_answer():
    operation = openapi_schema()["paths"]["/api/v1/incidents/"]["get"]
    assert "cursor" in {parameter["name"] for parameter in operation["parameters"]}
    assert "`cursor`" in documented_response("/api/v1/incidents/", "get", 400)["description"]
    assert "404" not in operation["responses"]


# --- The pull feed of alerts ---------------------------------------------------------------------


def test_the_schema_documents_the_feed_envelope():
    feed = openapi_schema()["paths"]["/api/v1/alerts/"]["get"]
    assert feed["operationId"] == "alerts_list"
    page = feed["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/AlertPageOut"}
    envelope = openapi_schema()["components"]["schemas"]["AlertPageOut"]
    assert envelope["properties"]["results"]["items"] == {"$ref": "#/components/schemas/AlertOut"}
    assert envelope["properties"]["next_after"]["type"] == ["integer", "null"]
    assert "`after`" in documented_response("/api/v1/alerts/", "get", 400)["description"]


def test_the_feed_answers_as_documented_with_nulls_and_a_cancel(
    shared, lt_pl_in_force, client, api_key, partner_agency, owner_liaison
):
    first, follow_up = shared
    headers = key(api_key, partner_agency, *ALERTS)
    page = assert_documented(client.get("/api/v1/alerts/", **headers))
    alerts = {alert["reference"]: alert for alert in page["results"]}
    assert set(alerts) == {first.reference, follow_up.reference}
    assert all(alert["acknowledged_at"] is None and alert["references"] is None for alert in page["results"])
    assert alerts[first.reference]["incident"]["latitude"] is None and alerts[first.reference]["reason"] is None
    ack = client.post(f"/api/v1/alerts/{alerts[first.reference]['id']}/ack/", **headers)
    acknowledged_at = assert_documented(ack)["acknowledged_at"]

    agreement_services.agreement_transition(
        agreement=lt_pl_in_force, to_status=AgreementStatus.SUSPENDED, actor=owner_liaison, reason="Under review"
    )
    assert Alert.objects.filter(msg_type=AlertType.CANCEL).count() == 2
    page = assert_documented(client.get("/api/v1/alerts/", **headers))
    cancels = [alert for alert in page["results"] if alert["msg_type"] == AlertType.CANCEL]
    assert len(cancels) == 2 and all(cancel["incident"] is None and cancel["reason"] for cancel in cancels)
    assert all(cancel["references"] for cancel in cancels)
    assert page["next_after"] == page["results"][-1]["cursor"]
    acknowledged = next(a for a in page["results"] if a["id"] == alerts[first.reference]["id"])
    assert acknowledged["acknowledged_at"] == acknowledged_at and acknowledged["incident"] is None

    after = assert_documented(client.get("/api/v1/alerts/", {"after": page["next_after"]}, **headers))
    assert after == {"results": [], "next_after": page["next_after"]}


def test_an_empty_feed_has_null_next_after(client, api_key, outsider_agency):
    page = assert_documented(client.get("/api/v1/alerts/", **key(api_key, outsider_agency, *ALERTS)))
    assert page == {"results": [], "next_after": None}


@pytest.mark.parametrize("after", ["-1", "abc", "1.5"])
def test_an_after_that_is_no_id_is_invalid_input_as_documented(client, api_key, partner_agency, after):
    response = client.get("/api/v1/alerts/", {"after": after}, **key(api_key, partner_agency, *ALERTS))
    assert response.status_code == 400
    error = assert_documented(response)["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["after"]


# --- Filing through the API ----------------------------------------------------------------------


def test_filing_answers_as_documented(make_incident, client, api_key, owner_agency, outsider_agency):
    headers = key(api_key, owner_agency, *INCIDENTS)
    parent = make_incident("validated")
    body = {
        "category": "document_fraud",
        "occurred_at": timezone.now().isoformat(),
        "description": "Forged visa",
        "crossing_point": "Kybartai",
        "follow_up_of": parent.pk,
    }
    created = client.post("/api/v1/incidents/", body, content_type="application/json", **headers)
    assert created.status_code == 201
    incident = assert_documented(created)
    assert incident["follow_up_of"] == parent.pk and incident["latitude"] is None and incident["validated_at"] is None
    submitted = assert_documented(client.post(f"/api/v1/incidents/{incident['id']}/submit/", **headers))
    assert submitted["status"] == "submitted"
    again = client.post(f"/api/v1/incidents/{incident['id']}/submit/", **headers)
    assert again.status_code == 400 and assert_documented(again)["error"]["code"] == "invalid"


@pytest.mark.parametrize("parent", ["foreign", "missing"])
def test_a_follow_up_of_an_incident_not_seen_is_invalid_input_as_documented(
    make_incident, client, api_key, owner_agency, outsider_agency, parent
):
    foreign = make_incident("validated")
    parent_id = foreign.pk if parent == "foreign" else foreign.pk + 1000
    body = {"category": "document_fraud", "occurred_at": timezone.now().isoformat(), "follow_up_of": parent_id}
    response = client.post(
        "/api/v1/incidents/", body, content_type="application/json", **key(api_key, outsider_agency, *INCIDENTS)
    )
    assert response.status_code == 400
    assert list(assert_documented(response)["error"]["fields"]) == ["follow_up_of"]
