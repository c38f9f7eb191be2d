"""Agreements API: parties read (people and partner systems), liaison officers write, others get 404."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements import services
from agreements.models import Agreement, AgreementEvent, DataSharingClause, DocumentVersion
from portal.models import APIScope
from tests.conftest import PDF_BYTES, make_verified
from tests.factories import UserFactory
from tests.helpers import audit_log

API = "/api/v1/agreements/"
JSON = "application/json"
CLAUSE = {
    "categories": ["smuggling_goods"],
    "max_marking": "AMBER",
    "retention_days": 30,
    "purpose": "Stop smuggling at the shared border.",
    "mutual": True,
}

# Who calls: a person signed in with MFA, or a partner system with an API key of an agency.
PARTIES = {
    "owner liaison": ("person", "owner_liaison"),
    "partner officer": ("person", "partner_officer"),
    "owner system": ("key", "owner_agency"),
    "partner system": ("key", "partner_agency"),
}
OUTSIDERS = {
    "outsider officer": ("person", "outsider_officer"),
    "outsider liaison": ("person", "outsider_liaison"),
    "outsider system": ("key", "outsider_agency"),
}


@pytest.fixture
def caller(request, api_key):
    """A fresh test client acting as the named persona (see PARTIES and OUTSIDERS)."""

    def _make(how, fixture, scopes=(APIScope.AGREEMENTS_READ,)):
        if how == "person":
            return make_verified(Client(), request.getfixturevalue(fixture))
        _key, raw = api_key(scopes=scopes, agency=request.getfixturevalue(fixture))
        return Client(headers={"Authorization": f"Api-Key {raw}"})

    return _make


@pytest.fixture
def agreement(make_agreement, owner_liaison):
    """An LT-PL agreement in force, with a clause, a signed text and a dispute."""
    agreement = make_agreement("in_force", clause=CLAUSE)
    services.dispute_raise(agreement=agreement, actor=owner_liaison, subject="Late answers", description="d")
    return agreement


def version_of(agreement):
    return DocumentVersion.objects.get(document__agreement=agreement)


def read_routes(agreement):
    base = f"{API}{agreement.pk}/"
    return [base, base + "clauses/iep/", base + f"documents/{version_of(agreement).pk}/download/"]


def write_routes(agreement):
    base = f"{API}{agreement.pk}/"
    return [
        ("patch", base, {"notice_period_days": 10}),
        ("post", base + "transition/", {"to": "suspended", "reason": "Review"}),
        ("post", base + "clauses/", CLAUSE),
    ]


def snapshot(agreement):
    agreement.refresh_from_db()
    return (
        agreement.status,
        agreement.notice_period_days,
        agreement.updated_at,
        DataSharingClause.objects.filter(agreement=agreement).count(),
        AgreementEvent.objects.filter(agreement=agreement).count(),
    )


def send(client, method, url, body):
    return getattr(client, method)(url, body, content_type=JSON)


# --- Reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PARTIES)
def test_party_reads_every_route(persona, agreement, caller):
    client = caller(*PARTIES[persona])
    listing = client.get(API)
    assert listing.status_code == 200
    assert [a["id"] for a in listing.json()["results"]] == [agreement.pk]
    for url in read_routes(agreement):
        assert client.get(url).status_code == 200, url


def test_detail_shows_parties_clauses_documents_disputes_and_timeline(agreement, caller):
    detail = caller(*PARTIES["partner officer"]).get(f"{API}{agreement.pk}/").json()
    assert {(p["country"], p["agency"]) for p in detail["parties"]} == {("LT", "LT-SBGS"), ("PL", "PL-SG")}
    assert {u for p in detail["parties"] for u in p["liaison_officers"]} == {"lt.liaison", "pl.liaison"}

    (clause,) = detail["clauses"]
    assert clause["categories"] == ["smuggling_goods"] and clause["max_marking"] == "AMBER"
    assert clause["provider"] is None and clause["receiver"] is None and clause["retention_days"] == 30
    assert clause["sentence"].startswith("Every party shares smuggling of goods")

    version = version_of(agreement)
    (document,) = detail["documents"]
    assert document["title"] == "Signed text" and document["kind"] == "signed"
    (meta,) = document["versions"]
    assert meta["id"] == version.pk and meta["number"] == 1
    assert meta["original_name"] == "signed.pdf" and meta["content_type"] == "application/pdf"
    assert meta["size"] == len(PDF_BYTES) and meta["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert meta["download_url"].endswith(f"{API}{agreement.pk}/documents/{version.pk}/download/")

    (dispute,) = detail["disputes"]
    assert dispute["subject"] == "Late answers" and dispute["status"] == "open" and dispute["created_at"]
    assert [(e["kind"], e["to_status"]) for e in detail["events"]] == [
        ("created", "draft"),
        ("transition", "negotiation"),
        ("transition", "signed"),
        ("transition", "in_force"),
    ]
    assert {"from_status", "reason", "at"} <= set(detail["events"][-1])


def test_iep_export_lists_the_clauses(agreement, caller):
    iep = caller(*PARTIES["partner system"]).get(f"{API}{agreement.pk}/clauses/iep/").json()
    assert iep["iep_version"] == 2.0 and iep["policies"][0]["iep_version"] == 2.0
    assert iep["policies"][0]["tlp"] == "amber"
    assert iep["clauses"][0]["directions"] == ["LT->PL", "PL->LT"]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsider_gets_404_on_every_route_and_changes_nothing(persona, agreement, caller):
    client = caller(*OUTSIDERS[persona])
    before = snapshot(agreement)
    listing = client.get(API)
    assert listing.status_code == 200 and listing.json()["count"] == 0
    missing = client.get(f"{API}{agreement.pk + 999}/").json()
    for url in read_routes(agreement):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found", url
    assert client.get(f"{API}{agreement.pk}/").json() == missing
    for method, url, body in write_routes(agreement):
        response = send(client, method, url, body)
        if OUTSIDERS[persona][0] == "key":
            # No key writes agreements: refused before any lookup, alike for a missing one.
            other = send(client, method, url.replace(f"/{agreement.pk}/", f"/{agreement.pk + 999}/"), body)
            assert response.status_code == other.status_code == 403, (method, url)
            assert response.json() == other.json()
        else:
            assert response.status_code == 404, (method, url)
            assert response.json() == missing
    assert snapshot(agreement) == before
    assert not audit_log().filter(action="document.downloaded").exists()


def test_download_needs_a_version_of_that_agreement(agreement, make_agreement, caller):
    other = make_agreement("in_force")
    client = caller(*PARTIES["partner officer"])
    url = f"{API}{agreement.pk}/documents/{version_of(other).pk}/download/"
    assert client.get(url).status_code == 404
    assert client.get(f"{API}{agreement.pk}/documents/999999/download/").status_code == 404


def test_api_key_without_read_scope_is_refused_on_every_read(agreement, caller):
    client = caller("key", "partner_agency", scopes=[APIScope.ALERTS_READ])
    for url in [API, *read_routes(agreement)]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_caller_is_asked_to_authenticate(agreement, client):
    for url in [API, *read_routes(agreement)]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "not_authenticated"


def test_user_of_inactive_agency_sees_nothing(agreement, partner_agency):
    person = UserFactory(username="pl.someone", agency=partner_agency)
    partner_agency.is_active = False
    partner_agency.save()
    client = make_verified(Client(), person)
    assert client.get(API).json()["count"] == 0
    assert client.get(f"{API}{agreement.pk}/").status_code == 404


# --- Filters ------------------------------------------------------------------------------------


def ids(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.json()
    return sorted(a["id"] for a in response.json()["results"])


def test_filters(make_agreement, caller):
    today = timezone.localdate()
    soon = make_agreement("draft", expires_on=today + datetime.timedelta(days=10), kind="sop", title="Night patrols")
    later = make_agreement("draft", expires_on=today + datetime.timedelta(days=100))
    signed = make_agreement("signed")
    client = caller(*PARTIES["owner liaison"])

    assert ids(client, expiring_within=30) == [soon.pk]
    assert ids(client, expiring_within=0) == []
    assert ids(client, expiring_within=365) == [soon.pk, later.pk]
    assert ids(client, kind="sop") == [soon.pk]
    assert ids(client, status="signed") == [signed.pk]
    assert ids(client, partner="pl", status="draft") == [soon.pk, later.pk]
    assert ids(client, partner="PL") == [soon.pk, later.pk, signed.pk]
    assert ids(client, partner="fi") == []
    assert ids(client, q="night") == [soon.pk]
    assert ids(client, q=soon.reference) == [soon.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"expiring_within": "soon"}, "expiring_within"),
        ({"expiring_within": "-1"}, "expiring_within"),
        ({"status": "asleep"}, "status"),
        ({"kind": "poem"}, "kind"),
        ({"partner": "ZZ"}, "partner"),
    ],
)
def test_bad_filter_is_a_400_with_the_field(params, field, make_agreement, caller):
    make_agreement("draft")
    response = caller(*PARTIES["owner system"]).get(API, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_list_is_paginated(make_agreement, caller):
    for _ in range(3):
        make_agreement("draft")
    page = caller(*PARTIES["owner liaison"]).get(API, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


# --- Creating -----------------------------------------------------------------------------------


def new_agreement_body(owner_agency, partner_agency, **liaisons):
    return {
        "kind": "mou",
        "reference": "API/1",
        "title": "Created by API",
        "languages": ["lt", "pl"],
        "expires_on": "2040-01-01",
        "parties": [
            {"agency": owner_agency.code, "liaison_officers": liaisons.get("owner", [])},
            {"agency": partner_agency.code, "liaison_officers": liaisons.get("partner", [])},
        ],
    }


def test_liaison_creates_an_agreement(caller, owner_agency, partner_agency, partner_liaison):
    body = new_agreement_body(owner_agency, partner_agency, owner=["lt.liaison"], partner=["pl.liaison"])
    response = send(caller(*PARTIES["owner liaison"]), "post", API, body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "draft" and created["reference"] == "API/1" and created["languages"] == ["lt", "pl"]
    assert {u for p in created["parties"] for u in p["liaison_officers"]} == {"lt.liaison", "pl.liaison"}
    assert audit_log().filter(action="agreement.created", object_id=str(created["id"])).exists()
    # The partner sees it at once.
    assert caller(*PARTIES["partner system"]).get(f"{API}{created['id']}/").status_code == 200


@pytest.mark.parametrize("persona", ["owner officer", "owner system"])
def test_officer_and_api_key_cannot_create(persona, caller, owner_agency, partner_agency):
    who = {"owner officer": ("person", "officer"), "owner system": ("key", "owner_agency")}[persona]
    response = send(caller(*who), "post", API, new_agreement_body(owner_agency, partner_agency))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Agreement.objects.count() == 0


def test_liaison_of_an_inactive_agency_cannot_create(owner_liaison, owner_agency, partner_agency):
    client = make_verified(Client(), owner_liaison)
    owner_agency.is_active = False
    owner_agency.save()
    response = send(client, "post", API, new_agreement_body(owner_agency, partner_agency))
    assert response.status_code == 403
    assert Agreement.objects.count() == 0


def test_create_refuses_bad_input_with_field_errors(caller, owner_agency, partner_agency, partner_liaison):
    client = caller(*PARTIES["owner liaison"])
    response = send(client, "post", API, {"kind": "nonsense", "reference": "", "title": "t", "parties": []})
    assert response.status_code == 400
    assert {"kind", "reference"} <= set(response.json()["error"]["fields"])

    alone = {**new_agreement_body(owner_agency, partner_agency), "parties": [{"agency": owner_agency.code}]}
    response = send(client, "post", API, alone)
    assert response.status_code == 400
    assert "at least two countries" in str(response.json()["error"]["fields"]["parties"])

    # A liaison officer of another agency cannot be named for this one.
    wrong = new_agreement_body(owner_agency, partner_agency, owner=["pl.liaison"])
    response = send(client, "post", API, wrong)
    assert response.status_code == 400
    assert "pl.liaison is not a liaison officer of LT-SBGS." in str(response.json()["error"]["fields"]["parties"])
    assert Agreement.objects.count() == 0


# --- Changing -----------------------------------------------------------------------------------


def test_patch_respects_the_state(agreement, caller):
    client = caller(*PARTIES["owner liaison"])
    response = send(client, "patch", f"{API}{agreement.pk}/", {"title": "New title"})
    assert response.status_code == 400
    assert "Amend it instead" in str(response.json()["error"]["fields"])
    response = send(client, "patch", f"{API}{agreement.pk}/", {"notice_period_days": 30})
    assert response.status_code == 200 and response.json()["notice_period_days"] == 30


def test_patch_reports_model_wide_errors_as_non_field_errors(make_agreement, caller):
    first, second = make_agreement("draft"), make_agreement("draft")
    response = send(caller(*PARTIES["owner liaison"]), "patch", f"{API}{second.pk}/", {"reference": first.reference})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["fields"]


@pytest.mark.parametrize("persona", ["partner officer", "partner system"])
def test_reader_of_a_party_cannot_write(persona, agreement, caller):
    client = caller(*PARTIES[persona])
    before = snapshot(agreement)
    for method, url, body in write_routes(agreement):
        response = send(client, method, url, body)
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "permission_denied"
    assert snapshot(agreement) == before


def test_refused_transition_says_why_and_changes_nothing(agreement, caller):
    client = caller("person", "partner_liaison")
    url = f"{API}{agreement.pk}/transition/"
    before = snapshot(agreement)

    response = send(client, "post", url, {"to": "suspended"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"non_field_errors": ["Give the reason."]}

    response = send(client, "post", url, {"to": "draft"})
    assert response.status_code == 400
    assert "cannot become draft" in response.json()["error"]["fields"]["non_field_errors"][0]

    response = send(client, "post", url, {"to": "dormant"})
    assert response.status_code == 400 and "to" in response.json()["error"]["fields"]
    assert snapshot(agreement) == before

    ok = send(client, "post", url, {"to": "suspended", "reason": "Review"})
    assert ok.status_code == 200 and ok.json()["status"] == "suspended"
    assert ok.json()["events"][-1]["reason"] == "Review"


def test_liaison_adds_a_clause_before_signature(make_agreement, caller):
    draft = make_agreement("draft")
    client = caller(*PARTIES["owner liaison"])
    response = send(client, "post", f"{API}{draft.pk}/clauses/", {**CLAUSE, "provider": "pl", "receiver": "LT"})
    assert response.status_code == 201, response.json()
    clause = response.json()
    assert clause["provider"] == "PL" and clause["receiver"] == "LT" and clause["mode"] == "automatic"
    assert clause["sentence"].startswith("Poland and Lithuania share")
    assert DataSharingClause.objects.filter(agreement=draft, pk=clause["id"]).exists()

    response = send(client, "post", f"{API}{draft.pk}/clauses/", {**CLAUSE, "provider": "FI"})
    assert response.status_code == 400
    assert "provider" in response.json()["error"]["fields"]


def test_clause_cannot_be_added_after_signature(agreement, caller):
    response = send(caller(*PARTIES["owner liaison"]), "post", f"{API}{agreement.pk}/clauses/", CLAUSE)
    assert response.status_code == 400
    assert "Amend it instead" in str(response.json()["error"]["fields"])
    assert agreement.clauses.count() == 1


# --- Downloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "text/html"])
def test_download_returns_the_exact_bytes_of_the_metadata(accept, agreement, caller, partner_agency):
    client = caller(*PARTIES["partner system"])
    meta = client.get(f"{API}{agreement.pk}/").json()["documents"][0]["versions"][0]
    response = client.get(meta["download_url"], HTTP_ACCEPT=accept)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content == PDF_BYTES
    assert hashlib.sha256(content).hexdigest() == meta["sha256"]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="signed.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"

    entry = audit_log().get(action="document.downloaded")
    assert entry.actor_label.startswith("api-key:") and entry.agency == partner_agency
    assert entry.object_id == str(meta["id"])


def test_download_by_a_person_is_audited_with_the_person(agreement, caller, partner_officer):
    response = caller(*PARTIES["partner officer"]).get(read_routes(agreement)[2])
    assert b"".join(response.streaming_content) == PDF_BYTES
    entry = audit_log().get(action="document.downloaded")
    assert entry.actor == partner_officer and entry.details == {"agreement": agreement.pk}


def test_new_version_upload_shows_in_metadata(agreement, owner_liaison, caller):
    services.document_upload(
        agreement=agreement,
        actor=owner_liaison,
        document=agreement.documents.get(),
        upload=SimpleUploadedFile("v2.pdf", PDF_BYTES + b"%2"),
    )
    client = caller(*PARTIES["partner system"])
    versions = client.get(f"{API}{agreement.pk}/").json()["documents"][0]["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    newest = b"".join(client.get(versions[0]["download_url"]).streaming_content)
    assert hashlib.sha256(newest).hexdigest() == versions[0]["sha256"] != versions[1]["sha256"]


# --- Schema -------------------------------------------------------------------------------------


def test_schema_documents_every_agreement_route(caller):
    schema = caller(*PARTIES["owner liaison"]).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    expected = {
        "/api/v1/agreements/": {"get", "post"},
        "/api/v1/agreements/{id}/": {"get", "patch"},
        "/api/v1/agreements/{id}/transition/": {"post"},
        "/api/v1/agreements/{id}/clauses/": {"post"},
        "/api/v1/agreements/{id}/clauses/iep/": {"get"},
        "/api/v1/agreements/{id}/documents/{version_id}/download/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    listing = {p["name"] for p in paths["/api/v1/agreements/"]["get"]["parameters"]}
    assert {"partner", "kind", "status", "expiring_within", "q", "page"} <= listing
    assert "404" in paths["/api/v1/agreements/{id}/"]["get"]["responses"]


def test_list_queries_do_not_grow_with_agreements(make_agreement, caller):
    client = caller(*PARTIES["owner system"])
    make_agreement("draft")
    client.get(API)  # warms per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as one:
        client.get(API)
    for _ in range(3):
        make_agreement("draft")
    with CaptureQueriesContext(connection) as four:
        assert client.get(API).json()["count"] == 4
    assert len(four) == len(one)
