"""The clause export is FIRST IEP 2.0 JSON: checked against a JSON Schema written from the IEP 2.0
framework definition (iep_2_0.schema.json), Draft 2020-12 with format checking."""

import copy
import datetime
import json
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import services
from portal.models import APIScope, Country
from tests.conftest import make_verified

SCHEMA = json.loads((Path(__file__).parent / "iep_2_0.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
CLAUSE = {
    "categories": ["smuggling_goods", "smuggling_tobacco"],
    "max_marking": "AMBER",
    "retention_days": 30,
    "purpose": "Stop smuggling at the shared border.",
}


def errors(document):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


@pytest.fixture
def exported(api_key, partner_agency, partner_officer):
    """The export of an agreement as a partner system (API) and as a partner officer (download)."""
    _key, raw = api_key(scopes=[APIScope.AGREEMENTS_READ], agency=partner_agency)
    system = Client(headers={"Authorization": f"Api-Key {raw}"})
    person = make_verified(Client(), partner_officer)

    def _export(agreement):
        api = system.get(f"/api/v1/agreements/{agreement.pk}/clauses/iep/")
        download = person.get(reverse("agreements:clauses_iep", args=[agreement.pk]))
        assert api.status_code == download.status_code == 200
        assert download["Content-Type"] == "application/json"
        assert api.json() == json.loads(download.content)
        return api.json()

    return _export


def test_the_schema_is_a_valid_draft_2020_12_schema_and_its_formats_are_checked():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    # A format whose checker is not installed would pass unchecked: these must be there.
    assert {"date-time", "uri", "uuid"} <= set(jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers)


def test_export_of_an_agreement_in_force_is_valid_iep_2_0(make_agreement, exported, lithuania, settings):
    agreement = make_agreement("in_force", clause={**CLAUSE, "provider": lithuania, "mutual": True})
    document = exported(agreement)
    assert errors(document) == []
    (policy,) = document["policies"]
    assert policy["iep_version"] == 2.0 and document["iep_version"] == 2.0
    assert uuid.UUID(policy["id"]).version == 5
    assert policy["tlp"] == "amber"
    assert policy["encrypt_in_transit"] == "must"
    assert policy["permitted_actions"] == "internally-visible-actions"
    assert policy["unmodified_resale"] == "must-not"
    assert policy["external_references"] == [f"https://{settings.PORTAL_DOMAIN}/agreements/{agreement.pk}/"]
    assert policy["end_date"] is None  # open-ended
    (clause,) = document["clauses"]
    assert clause["policy"] == {"id_ref": policy["id"], "iep_version": 2.0}
    assert clause["directions"] == ["LT->PL", "PL->LT"]
    assert clause["providers"] == clause["receivers"] == ["LT", "PL"]
    assert document["agreement"]["parties"] == ["LT", "PL"]
    # The same clause keeps its id from one export to the next.
    assert exported(agreement)["policies"][0]["id"] == policy["id"]


@pytest.mark.parametrize(
    ("marking", "tlp"), [("CLEAR", "white"), ("GREEN", "green"), ("AMBER", "amber"), ("AMBER+STRICT", "amber")]
)
def test_tlp_2_0_markings_map_to_the_frameworks_values(make_agreement, exported, marking, tlp):
    document = exported(make_agreement("draft", clause={**CLAUSE, "max_marking": marking}))
    assert errors(document) == []
    assert document["policies"][0]["tlp"] == tlp
    assert document["clauses"][0]["max_marking"] == marking
    strict_note = "TLP:AMBER+STRICT" in document["policies"][0]["description"]
    assert strict_note is (marking == "AMBER+STRICT")


def test_dates_are_utc_rfc_3339_from_the_portals_days(make_agreement, exported, settings, lithuania):
    settings.TIME_ZONE = "Europe/Vilnius"
    expires = timezone.localdate() + datetime.timedelta(days=200)
    agreement = make_agreement("in_force", clause={**CLAUSE, "provider": lithuania}, expires_on=expires)
    document = exported(agreement)
    assert errors(document) == []
    policy = document["policies"][0]
    vilnius = ZoneInfo("Europe/Vilnius")

    def utc(day):
        moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=vilnius).astimezone(datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    agreement.refresh_from_db()
    assert policy["start_date"] == utc(agreement.effective_from)  # the first moment of that day
    assert policy["end_date"] == utc(expires + datetime.timedelta(days=1))  # the end of the expiry day


def test_a_terminated_agreement_ends_when_it_was_terminated(make_agreement, exported, owner_liaison):
    agreement = make_agreement("in_force", clause=CLAUSE)
    services.agreement_transition(agreement=agreement, to_status="terminated", actor=owner_liaison, reason="Ended")
    event = agreement.events.filter(to_status="terminated").latest("at")
    document = exported(agreement)
    assert errors(document) == []
    assert document["policies"][0]["end_date"] == event.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_draft_has_no_start_date_and_says_so(make_agreement, exported):
    document = exported(make_agreement("draft", clause=CLAUSE))
    assert errors(document) == []
    policy = document["policies"][0]
    assert "start_date" not in policy and "no date of entry into force" in policy["description"]


def test_no_country_is_repeated_when_every_party_shares_with_every_other(
    owner_agency, partner_agency, outsider_agency, owner_liaison, partner_liaison, outsider_liaison, exported
):
    agreement = services.agreement_create(
        parties=[
            (owner_agency, [owner_liaison]),
            (partner_agency, [partner_liaison]),
            (outsider_agency, [outsider_liaison]),
        ],
        actor=owner_liaison,
        kind="mou",
        reference="LT-PL-FI/1",
        title="Three borders",
    )
    services.clause_save(agreement=agreement, actor=owner_liaison, **CLAUSE)  # every party, every other party
    services.clause_save(
        agreement=agreement, actor=owner_liaison, **CLAUSE, provider=Country.objects.get(pk="PL"), mutual=True
    )
    document = exported(agreement)
    assert errors(document) == []
    every, mutual = document["clauses"]
    assert every["providers"] == every["receivers"] == ["FI", "LT", "PL"]
    assert len(every["directions"]) == 6
    assert mutual["providers"] == mutual["receivers"] == ["FI", "LT", "PL"]
    ids = [p["id"] for p in document["policies"]]
    assert len(set(ids)) == 2 and [c["policy"]["id_ref"] for c in document["clauses"]] == ids


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["policies"][0].update(tlp="AMBER"),
        lambda d: d["policies"][0].update(tlp="amber+strict"),
        lambda d: d["policies"][0].update(tlp="clear"),
        lambda d: d["policies"][0].update(encrypt_in_transit="MUST"),
        lambda d: d["policies"][0].update(permitted_actions="INTERNALLY VISIBLE ACTIONS"),
        lambda d: d["policies"][0].update(iep_version="2.0"),
        lambda d: d["policies"][0].pop("iep_version"),
        lambda d: d["policies"][0].update(id="urn:portal:agreement:1:clause:1"),
        lambda d: d["policies"][0].update(external_reference="LT-PL/1"),
        lambda d: d["policies"][0].update(external_references="https://example.org/"),
        lambda d: d["policies"][0].update(start_date="2026-01-01"),
        lambda d: d["policies"][0].update(start_date="2026-01-01T02:00:00+02:00"),
        lambda d: d["policies"][0].update(x_portal={}),
        lambda d: d["clauses"][0].update(providers=["LT", "LT"]),
        lambda d: d["agreement"].update(parties=["LT", "PL", "PL"]),
    ],
)
def test_the_schema_refuses_what_iep_2_0_does_not_define(make_agreement, exported, spoil):
    document = exported(make_agreement("in_force", clause=CLAUSE))
    assert errors(document) == []
    spoiled = copy.deepcopy(document)
    spoil(spoiled)
    assert errors(spoiled) != []
