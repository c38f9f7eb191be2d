"""STIX 2.1 bundles served by the API: valid under the OASIS validator's strict mode for every
marking and shape of incident, TLP 2.0 markings, stable identities, and the sharing rule."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest
import stix2
from django.utils import timezone
from stix2validator import ValidationOptions, validate_string

from incidents import services as incident_services
from incidents.models import Incident
from portal.choices import TLP
from portal.models import APIScope
from tests.conftest import lt_to_pl_clause
from tests.helpers import audit_log

# The TLP 2.0 marking definitions as OASIS publishes them for STIX 2.1 (cti-stix-common-objects,
# extension-definition-specifications/tlp-2.0), written out here rather than read from the
# portal: the stix2 library ships only the TLP 1.0 ones (stix2.TLP_WHITE and the rest).
TLP_2_0_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
PUBLISHED_TLP_2_0 = {
    "CLEAR": ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
    "GREEN": ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
    "AMBER": ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
    "AMBER+STRICT": ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict"),
    "RED": ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
}
TLP_1_0_IDS = {m.id for m in (stix2.TLP_WHITE, stix2.TLP_GREEN, stix2.TLP_AMBER, stix2.TLP_RED)}
# Everything the validator can check: warnings count as errors, no custom types or properties,
# and every object an SRO or a report refers to is in the bundle.
STRICT = {"version": "2.1", "strict": True, "strict_types": True, "strict_properties": True, "enforce_refs": True}


def published(level):
    marking_id, name, tlp = PUBLISHED_TLP_2_0[level]
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": name,
        "extensions": {TLP_2_0_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp}},
    }


def key(api_key, agency):
    _obj, raw = api_key(scopes=(APIScope.INCIDENTS_READ,), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def fetch(client, incident, headers):
    """The served bundle, after checking it passes the strict validator with nothing to say."""
    response = client.get(f"/api/v1/incidents/{incident.pk}/stix/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    body = response.content.decode()
    results = validate_string(body, ValidationOptions(**STRICT))
    assert results.is_valid, [str(e) for e in results.errors]
    assert results.errors == [] and results.warnings == []
    return body, json.loads(body)


def objects_of(bundle, kind):
    return [o for o in bundle["objects"] if o["type"] == kind]


def one(bundle, kind):
    (found,) = objects_of(bundle, kind)
    return found


def by_id(bundle):
    return {o["id"]: o for o in bundle["objects"]}


def bundle_ids(bundle):
    return {bundle["id"], *by_id(bundle)}


@pytest.fixture
def owner_headers(api_key, owner_agency):
    return key(api_key, owner_agency)


@pytest.fixture
def partner_headers(api_key, partner_agency):
    return key(api_key, partner_agency)


@pytest.fixture
def up_to_amber_strict(make_agreement, lithuania):
    """LT shares smuggling of goods with PL up to AMBER+STRICT (the most a clause allows)."""
    return make_agreement("in_force", clause=lt_to_pl_clause(lithuania, max_marking="AMBER+STRICT", personal_data=True))


@pytest.fixture
def running_exercise(owner_liaison, owner_agency, partner_agency, lt_pl_in_force):
    from training.services import exercises, lifecycle

    starts_at = timezone.now() - datetime.timedelta(hours=1)
    exercise = exercises.exercise_save(
        actor=owner_liaison,
        title="Baltic Rescue",
        scenario="search_rescue",
        host_agency=owner_agency,
        agencies=[partner_agency],
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=6),
        objectives=["Locate the vessel within an hour"],
    )
    return lifecycle.activity_transition(activity=exercise, to_status="under_way", actor=owner_liaison)


def check_shape(bundle, incident, level):
    """What every bundle says, whatever the incident: the objects, their links, their markings."""
    objects = by_id(bundle)
    identity, incident_sdo, sighting, report = (one(bundle, k) for k in ("identity", "incident", "sighting", "report"))
    located_at = one(bundle, "relationship")
    # Ids: UUIDv4 (RFC 4122 variant) for every object, the bundle's included.
    for stix_id in [bundle["id"], *objects]:
        value = uuid.UUID(stix_id.split("--", 1)[1])
        assert value.version == 4 and value.variant == uuid.RFC_4122, stix_id
    # The markings: the incident's TLP 2.0 level on its objects, TLP:CLEAR on the agency's.
    expected_markings = {published("CLEAR")["id"]: published("CLEAR"), published(level)["id"]: published(level)}
    assert {o["id"]: o for o in objects_of(bundle, "marking-definition")} == expected_markings
    places = [o for o in objects_of(bundle, "location") if "country" not in o]
    for obj in [incident_sdo, sighting, report, *places]:
        assert obj["object_marking_refs"] == [published(level)["id"]]
        assert obj["created_by_ref"] == identity["id"]
    # The agency located at its country, the one relationship the specification suggests here.
    assert located_at["relationship_type"] == "located-at"
    assert located_at["source_ref"] == identity["id"]
    assert objects[located_at["target_ref"]]["country"] == incident.country_id
    # Who saw the incident, when and where.
    assert sighting["sighting_of_ref"] == incident_sdo["id"]
    assert sighting["first_seen"] == sighting["last_seen"]
    assert stix2.utils.parse_into_datetime(sighting["first_seen"]) == incident.occurred_at
    assert sighting["where_sighted_refs"] == [identity["id"], *(p["id"] for p in places)]
    # The report refers to every object but the markings.
    content = {i for i, o in objects.items() if o["type"] not in {"marking-definition", "report"}}
    assert set(report["object_refs"]) == content and len(report["object_refs"]) == len(content)
    assert incident_sdo["external_references"] == [
        {"source_name": "joint-operations-portal", "external_id": incident.reference}
    ]
    assert not set(objects) & TLP_1_0_IDS
    return places


@pytest.mark.parametrize("level", TLP.values)
@pytest.mark.parametrize("placed", [True, False], ids=["with-coordinates", "without-coordinates"])
@pytest.mark.parametrize("status", ["draft", "validated"])
def test_owner_bundle_is_strictly_valid_for_every_marking(level, placed, status, make_incident, client, owner_headers):
    fields = {"latitude": Decimal("54.54"), "longitude": Decimal("25.64")} if placed else {}
    incident = make_incident(status, marking=level, crossing_point="Medininkai BCP", **fields)
    _body, bundle = fetch(client, incident, owner_headers)
    places = check_shape(bundle, incident, level)
    assert len(places) == (1 if placed else 0)
    if placed:
        assert places[0]["latitude"] == 54.54 and places[0]["longitude"] == 25.64
        assert places[0]["description"] == "Medininkai / Medininkai BCP"
    report = one(bundle, "report")
    incident = Incident.objects.get(pk=incident.pk)
    assert stix2.utils.parse_into_datetime(report["published"]) == (incident.validated_at or incident.created_at)
    assert one(bundle, "incident")["name"] == f"{incident.reference}: smuggling of goods"


@pytest.mark.parametrize("level", [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT])
@pytest.mark.parametrize("closed", [False, True], ids=["validated", "closed"])
def test_partner_bundle_is_strictly_valid_for_every_marking_its_clause_covers(
    level, closed, up_to_amber_strict, make_incident, supervisor, client, partner_headers
):
    incident = make_incident(
        "validated",
        marking=level,
        latitude=Decimal("54.1"),
        longitude=Decimal("24.2"),
        has_personal_data=True,
        person_name="Jonas Jonaitis",
        person_document_number="LT1234567",
    )
    if closed:  # a closed incident stays with the partner until the share ends
        incident = incident_services.incident_close(incident=incident, actor=supervisor, reason="Done")
    body, bundle = fetch(client, incident, partner_headers)
    check_shape(bundle, incident, level)
    # The clause allows personal data, and the partner's API reads it, but STIX never carries it.
    detail = client.get(f"/api/v1/incidents/{incident.pk}/", **partner_headers).json()
    assert detail["person_name"] == "Jonas Jonaitis"
    assert "Jonas" not in body and "LT1234567" not in body
    assert audit_log().filter(action="incident.exported", object_id=str(incident.pk)).exists()


def test_bundle_of_an_incident_without_place_or_description(make_incident, client, owner_headers):
    incident = make_incident(description="", border_sector="")
    _body, bundle = fetch(client, incident, owner_headers)
    assert check_shape(bundle, incident, "GREEN") == []
    assert one(bundle, "incident")["description"] == "smuggling of goods"
    assert one(bundle, "sighting")["where_sighted_refs"] == [one(bundle, "identity")["id"]]


def test_red_incident_reaches_the_owner_only(up_to_amber_strict, make_incident, client, owner_headers, partner_headers):
    incident = make_incident("validated", marking="RED")
    assert client.get(f"/api/v1/incidents/{incident.pk}/stix/", **partner_headers).status_code == 404
    _body, bundle = fetch(client, incident, owner_headers)
    assert one(bundle, "incident")["object_marking_refs"] == [PUBLISHED_TLP_2_0["RED"][0]]


def test_exercise_incident_bundle_is_marked_exercise(running_exercise, officer, supervisor, client, partner_headers):
    incident = incident_services.incident_create(
        actor=officer,
        exercise=running_exercise,
        category="smuggling_goods",
        occurred_at=timezone.now() - datetime.timedelta(minutes=10),
        description="Play: boat with cigarettes",
        latitude=Decimal("54.1"),
        longitude=Decimal("24.2"),
        marking="GREEN",
    )
    incident_services.incident_submit(incident=incident, actor=officer)
    incident = incident_services.incident_validate(incident=incident, actor=supervisor)
    _body, bundle = fetch(client, incident, partner_headers)
    check_shape(bundle, incident, "GREEN")
    incident_sdo = one(bundle, "incident")
    assert incident_sdo["name"].startswith("EXERCISE ") and "exercise" in incident_sdo["labels"]
    assert one(bundle, "report")["name"] == incident_sdo["name"]


@pytest.mark.parametrize("level", TLP.values)
def test_markings_are_the_published_tlp_2_0_definitions(level, make_incident, client, owner_headers):
    incident = make_incident(marking=level)
    body, bundle = fetch(client, incident, owner_headers)
    markings = {o["id"]: o for o in objects_of(bundle, "marking-definition")}
    assert markings[PUBLISHED_TLP_2_0[level][0]] == published(level)
    assert one(bundle, "incident")["object_marking_refs"] == [PUBLISHED_TLP_2_0[level][0]]
    assert set(markings) <= {marking_id for marking_id, _name, _tlp in PUBLISHED_TLP_2_0.values()}
    assert "statement" not in body and not any(old in body for old in TLP_1_0_IDS)
    # The library reads them back as marking definitions of the TLP 2.0 extension.
    parsed = stix2.parse(body, allow_custom=False, version="2.1")
    assert {m.id for m in parsed.objects if m.type == "marking-definition"} == set(markings)


def test_agency_objects_are_identical_in_bundles_fetched_at_different_times(
    clock, lt_pl_in_force, make_incident, supervisor, client, owner_headers, partner_headers
):
    incident = make_incident("validated", latitude=Decimal("54.54"), longitude=Decimal("25.64"))
    _body, first = fetch(client, incident, owner_headers)
    clock.advance(days=3, minutes=7)
    incident_services.incident_update(incident=incident, actor=supervisor, description="Cigarettes and alcohol")
    other = make_incident("validated", marking="AMBER")
    _body, later = fetch(client, incident, owner_headers)
    _body, partners = fetch(client, incident, partner_headers)
    _body, another = fetch(client, other, owner_headers)

    def agency_part(bundle):
        identity = one(bundle, "identity")
        country = next(o for o in objects_of(bundle, "location") if "country" in o)
        return identity, country, one(bundle, "relationship")

    identity, _country, _rel = agency_part(first)
    assert identity["created"] == identity["modified"]
    for bundle in (later, partners, another):
        assert agency_part(bundle) == agency_part(first)
        assert one(bundle, "identity")["id"] == identity["id"]
        assert one(bundle, "identity")["created"] == identity["created"]
    # The incident's objects keep their ids and tell the change by `modified`.
    assert bundle_ids(first) - {first["id"]} == bundle_ids(later) - {later["id"]}
    before, after = one(first, "incident"), one(later, "incident")
    assert before["created"] == after["created"]
    assert stix2.utils.parse_into_datetime(after["modified"]) > stix2.utils.parse_into_datetime(before["modified"])
    assert after["description"] == "Cigarettes and alcohol"
    assert one(another, "incident")["id"] != after["id"]


def test_bundle_speaks_english_whatever_the_request_language(make_incident, client, owner_headers):
    incident = make_incident()
    _body, english = fetch(client, incident, owner_headers)
    _body, french = fetch(client, incident, {**owner_headers, "HTTP_ACCEPT_LANGUAGE": "fr"})
    assert english["objects"] == french["objects"]
    assert one(english, "incident")["name"].endswith(": smuggling of goods")


def test_partner_loses_the_bundle_when_the_share_ends(clock, lt_pl_in_force, make_incident, client, partner_headers):
    incident = make_incident("validated", marking="AMBER")
    fetch(client, incident, partner_headers)
    clock.advance(days=31)  # past the clause's 30 days of retention
    assert client.get(f"/api/v1/incidents/{incident.pk}/stix/", **partner_headers).status_code == 404


def test_partner_loses_the_bundle_when_the_marking_rises_above_its_clause(
    lt_pl_in_force, make_incident, client, partner_headers, owner_headers
):
    from incidents import sharing

    incident = make_incident("validated", marking="AMBER")
    fetch(client, incident, partner_headers)
    Incident.objects.filter(pk=incident.pk).update(marking="AMBER+STRICT")
    sharing.sync_incident(Incident.objects.get(pk=incident.pk))
    assert client.get(f"/api/v1/incidents/{incident.pk}/stix/", **partner_headers).status_code == 404
    _body, bundle = fetch(client, incident, owner_headers)
    assert one(bundle, "incident")["object_marking_refs"] == [PUBLISHED_TLP_2_0["AMBER+STRICT"][0]]


def test_country_without_clause_gets_404(lt_pl_in_force, make_incident, client, api_key, outsider_agency):
    incident = make_incident("validated", marking="CLEAR")
    response = client.get(f"/api/v1/incidents/{incident.pk}/stix/", **key(api_key, outsider_agency))
    assert response.status_code == 404
    missing = client.get("/api/v1/incidents/999999/stix/", **key(api_key, outsider_agency))
    assert missing.status_code == 404 and missing.json() == response.json()
