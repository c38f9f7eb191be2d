"""Agreements answer as the OpenAPI schema says, nulls included; a page that is none is a 400."""

import pytest

from agreements import services
from portal.models import APIScope
from tests.openapi import assert_documented


@pytest.fixture
def partner(api_key, partner_agency):
    _key, raw = api_key(scopes=[APIScope.AGREEMENTS_READ], agency=partner_agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


@pytest.fixture
def agreements(lt_pl_in_force, make_agreement, owner_liaison):
    """In force (with a document and a dispute), its amendment, and an open-ended draft whose
    clause names no provider or receiver (every party shares with every other)."""
    services.dispute_raise(
        agreement=lt_pl_in_force, actor=owner_liaison, subject="Late alerts", description="Alerts came a day late."
    )
    amendment = services.agreement_amend(agreement=lt_pl_in_force, actor=owner_liaison)
    draft = make_agreement(
        clause={
            "provider": None,
            "receiver": None,
            "categories": ["illegal_crossing"],
            "max_marking": "GREEN",
            "retention_days": 10,
            "purpose": "Situational awareness",
        }
    )
    return lt_pl_in_force, amendment, draft


def test_the_partner_lists_agreements_as_documented(agreements, client, partner):
    in_force, amendment, draft = agreements
    listing = assert_documented(client.get("/api/v1/agreements/", **partner))
    rows = {row["id"]: row for row in listing["results"]}
    assert rows[in_force.pk]["supersedes"] is None and rows[amendment.pk]["supersedes"] == in_force.pk
    assert rows[draft.pk]["signed_on"] is None and rows[draft.pk]["expires_on"] is None


def test_the_partner_reads_agreements_as_documented(agreements, client, partner):
    in_force, amendment, draft = agreements
    detail = assert_documented(client.get(f"/api/v1/agreements/{in_force.pk}/", **partner))
    assert detail["documents"][0]["versions"][0]["download_url"] and detail["disputes"][0]["raised_by_country"] == "LT"
    assert detail["events"][0]["from_status"] == ""
    assert assert_documented(client.get(f"/api/v1/agreements/{amendment.pk}/", **partner))["supersedes"] == in_force.pk
    clause = assert_documented(client.get(f"/api/v1/agreements/{draft.pk}/", **partner))["clauses"][0]
    assert clause["provider"] is None and clause["receiver"] is None and clause["categories"] == ["illegal_crossing"]
    missing = client.get("/api/v1/agreements/999999/", **partner)
    assert missing.status_code == 404 and assert_documented(missing)["error"]["code"] == "not_found"


def test_a_liaison_officer_writes_as_documented(lt_pl_in_force, verified_client, owner_liaison, partner_agency):
    client = verified_client(owner_liaison)
    created = client.post(
        "/api/v1/agreements/",
        {
            "kind": "protocol",
            "reference": "LT-PL/P-7",
            "title": "Protocol on joint patrols",
            "parties": [{"agency": "LT-SBGS"}, {"agency": partner_agency.code}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    agreement = assert_documented(created)
    assert agreement["notice_period_days"] is None and agreement["clauses"] == []
    moved = client.post(
        f"/api/v1/agreements/{agreement['id']}/transition/", {"to": "negotiation"}, content_type="application/json"
    )
    assert assert_documented(moved)["status"] == "negotiation"
    refused = client.post(
        f"/api/v1/agreements/{agreement['id']}/transition/", {"to": "in_force"}, content_type="application/json"
    )
    assert refused.status_code == 400 and assert_documented(refused)["error"]["fields"]


@pytest.mark.parametrize("page", ["abc", "0", "999"])
def test_a_page_that_does_not_exist_is_invalid_input_as_documented(agreements, client, partner, page):
    response = client.get("/api/v1/agreements/", {"page": page}, **partner)
    assert response.status_code == 400
    assert list(assert_documented(response)["error"]["fields"]) == ["page"]
