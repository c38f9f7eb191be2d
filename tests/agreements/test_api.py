"""Agreements API: parties read (people and partner systems), liaison officers write, others get 404."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agreements import services
from agreements.models import Agreement, DocumentVersion
from portal.models import APIScope, AuditEntry, Country
from tests.conftest import PDF_BYTES
from tests.factories import UserFactory

CLAUSE = {
    "categories": ["smuggling_goods"],
    "max_marking": "AMBER",
    "retention_days": 30,
    "purpose": "p",
    "mutual": True,
}


@pytest.fixture
def agreement(make_agreement, owner_liaison):
    agreement = make_agreement("in_force", clause=CLAUSE)
    services.dispute_raise(agreement=agreement, actor=owner_liaison, subject="s", description="d")
    return agreement


def routes(agreement):
    version = DocumentVersion.objects.filter(document__agreement=agreement).first()
    base = f"/api/v1/agreements/{agreement.pk}/"
    return [base, base + "clauses/iep/", base + f"documents/{version.pk}/download/"]


def key_header(api_key, agency, scopes=(APIScope.AGREEMENTS_READ,)):
    _key, raw = api_key(scopes=scopes, agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def test_party_reads_list_and_detail_by_session(agreement, verified_client, partner_officer):
    client = verified_client(partner_officer)
    listing = client.get("/api/v1/agreements/").json()
    assert [a["id"] for a in listing["results"]] == [agreement.pk]
    detail = client.get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert {p["country"] for p in detail["parties"]} == {"LT", "PL"}
    assert detail["clauses"][0]["sentence"].startswith("Every party shares smuggling of goods")
    assert detail["documents"][0]["versions"][0]["sha256"]
    assert [e["to_status"] for e in detail["events"] if e["kind"] == "transition"] == [
        "negotiation",
        "signed",
        "in_force",
    ]
    assert detail["disputes"][0]["subject"] == "s"


def test_party_system_reads_with_api_key(agreement, client, api_key, partner_agency):
    headers = key_header(api_key, partner_agency)
    assert client.get("/api/v1/agreements/", **headers).json()["count"] == 1
    for url in routes(agreement):
        assert client.get(url, **headers).status_code == 200, url


def test_api_key_without_scope_is_refused(agreement, client, api_key, partner_agency):
    headers = key_header(api_key, partner_agency, scopes=(APIScope.ALERTS_READ,))
    response = client.get("/api/v1/agreements/", **headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_non_party_sees_nothing_on_any_route(
    agreement, verified_client, outsider_officer, api_key, outsider_agency, client
):
    for headers, principal_client in (({}, verified_client(outsider_officer)),):
        assert principal_client.get("/api/v1/agreements/", **headers).json()["count"] == 0
        for url in routes(agreement):
            response = principal_client.get(url, **headers)
            assert response.status_code == 404, url
            assert response.json()["error"]["code"] == "not_found"
    principal_client.logout()
    headers = key_header(api_key, outsider_agency)
    assert client.get("/api/v1/agreements/", **headers).json()["count"] == 0
    for url in routes(agreement):
        assert client.get(url, **headers).status_code == 404, url
    for path, body in (("transition/", {"to": "suspended", "reason": "x"}), ("clauses/", CLAUSE)):
        assert (
            client.post(
                f"/api/v1/agreements/{agreement.pk}/{path}", body, content_type="application/json", **headers
            ).status_code
            == 404
        )


def test_missing_and_forbidden_answer_alike(agreement, verified_client, outsider_officer):
    client = verified_client(outsider_officer)
    missing = client.get(f"/api/v1/agreements/{agreement.pk + 999}/")
    forbidden = client.get(f"/api/v1/agreements/{agreement.pk}/")
    assert missing.status_code == forbidden.status_code == 404
    assert missing.json() == forbidden.json()


def test_filters(make_agreement, verified_client, owner_liaison):
    soon = make_agreement("draft", expires_on=timezone.localdate() + timezone.timedelta(days=10), kind="sop")
    make_agreement("draft")
    client = verified_client(owner_liaison)
    assert [a["id"] for a in client.get("/api/v1/agreements/", {"expiring_within": 30}).json()["results"]] == [soon.pk]
    assert [a["id"] for a in client.get("/api/v1/agreements/", {"kind": "sop"}).json()["results"]] == [soon.pk]
    assert client.get("/api/v1/agreements/", {"partner": "pl", "status": "draft"}).json()["count"] == 2
    assert client.get("/api/v1/agreements/", {"partner": "fi"}).json()["count"] == 0
    bad = client.get("/api/v1/agreements/", {"expiring_within": "soon"})
    assert bad.status_code == 400
    assert "expiring_within" in bad.json()["error"]["fields"]


def test_liaison_creates_through_the_api(verified_client, owner_liaison, partner_liaison, owner_agency, partner_agency):
    client = verified_client(owner_liaison)
    response = client.post(
        "/api/v1/agreements/",
        {
            "kind": "mou",
            "reference": "API/1",
            "title": "Created by API",
            "parties": [
                {"agency": owner_agency.code, "liaison_officers": [owner_liaison.username]},
                {"agency": partner_agency.code, "liaison_officers": [partner_liaison.username]},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft"
    assert AuditEntry.objects.filter(action="agreement.created").exists()

    clause = client.post(
        f"/api/v1/agreements/{response.json()['id']}/clauses/",
        {**CLAUSE, "provider": "PL", "receiver": "LT"},
        content_type="application/json",
    )
    assert clause.status_code == 201
    assert clause.json()["sentence"].startswith("Poland and Lithuania share")


def test_create_refuses_bad_input_with_field_errors(verified_client, owner_liaison, owner_agency):
    response = verified_client(owner_liaison).post(
        "/api/v1/agreements/",
        {
            "kind": "nonsense",
            "reference": "",
            "title": "t",
            "parties": [{"agency": owner_agency.code}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {"kind", "reference"} <= set(response.json()["error"]["fields"])
    response = verified_client(owner_liaison).post(
        "/api/v1/agreements/",
        {
            "kind": "mou",
            "reference": "R/1",
            "title": "t",
            "parties": [{"agency": owner_agency.code}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "parties" in response.json()["error"]["fields"]
    assert Agreement.objects.count() == 0


def test_officer_and_api_key_cannot_write(verified_client, officer, owner_agency, partner_agency, api_key, client):
    body = {
        "kind": "mou",
        "reference": "X/1",
        "title": "t",
        "parties": [{"agency": owner_agency.code}, {"agency": partner_agency.code}],
    }
    assert (
        verified_client(officer).post("/api/v1/agreements/", body, content_type="application/json").status_code == 403
    )
    client.logout()
    headers = key_header(api_key, owner_agency)
    assert client.post("/api/v1/agreements/", body, content_type="application/json", **headers).status_code == 403
    assert Agreement.objects.count() == 0


def test_party_officer_cannot_transition(agreement, verified_client, partner_officer):
    response = verified_client(partner_officer).post(
        f"/api/v1/agreements/{agreement.pk}/transition/",
        {"to": "suspended", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_refused_transition_says_why_and_changes_nothing(agreement, verified_client, partner_liaison):
    client = verified_client(partner_liaison)
    response = client.post(
        f"/api/v1/agreements/{agreement.pk}/transition/", {"to": "suspended"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "Give the reason." in str(response.json()["error"]["fields"])
    response = client.post(
        f"/api/v1/agreements/{agreement.pk}/transition/", {"to": "draft"}, content_type="application/json"
    )
    assert "cannot become" in str(response.json()["error"]["fields"])
    agreement.refresh_from_db()
    assert agreement.status == "in_force"
    ok = client.post(
        f"/api/v1/agreements/{agreement.pk}/transition/",
        {"to": "suspended", "reason": "Review"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "suspended"


def test_patch_respects_the_state(agreement, verified_client, owner_liaison):
    client = verified_client(owner_liaison)
    response = client.patch(
        f"/api/v1/agreements/{agreement.pk}/", {"title": "New title"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "Amend it instead" in str(response.json())
    response = client.patch(
        f"/api/v1/agreements/{agreement.pk}/", {"notice_period_days": 30}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["notice_period_days"] == 30


def test_download_returns_exact_bytes_and_is_audited(agreement, client, api_key, partner_agency):
    version = DocumentVersion.objects.get(document__agreement=agreement)
    response = client.get(routes(agreement)[2], **key_header(api_key, partner_agency))
    content = b"".join(response.streaming_content)
    assert content == PDF_BYTES and hashlib.sha256(content).hexdigest() == version.sha256
    entry = AuditEntry.objects.get(action="document.downloaded")
    assert entry.actor_label.startswith("api-key:") and entry.agency == partner_agency


def test_user_of_inactive_agency_sees_nothing(agreement, verified_client, partner_agency):
    person = UserFactory(username="pl.someone", agency=partner_agency)
    partner_agency.is_active = False
    partner_agency.save()
    assert verified_client(person).get(f"/api/v1/agreements/{agreement.pk}/").status_code == 404


def test_schema_lists_agreement_routes(verified_client, officer):
    schema = verified_client(officer).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/agreements/",
        "/api/v1/agreements/{id}/",
        "/api/v1/agreements/{id}/transition/",
        "/api/v1/agreements/{id}/clauses/iep/",
        "/api/v1/agreements/{id}/documents/{version_id}/download/",
    ):
        assert path in schema["paths"], path


def test_new_version_upload_changes_checksum_in_metadata(agreement, owner_liaison, verified_client):
    document = agreement.documents.get()
    services.document_upload(
        agreement=agreement,
        actor=owner_liaison,
        document=document,
        upload=SimpleUploadedFile("v2.pdf", PDF_BYTES + b"%2"),
    )
    detail = verified_client(owner_liaison).get(f"/api/v1/agreements/{agreement.pk}/").json()
    versions = detail["documents"][0]["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["sha256"] != versions[1]["sha256"]
    assert Country.objects.filter(pk="LT").exists()
