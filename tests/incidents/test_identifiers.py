"""Typed identifiers of incidents: each kind's rules and canonical form, the keyed digests of the
hit/no-hit index, who sets them, and who sees the personal ones (pages and API)."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents import identifiers, services
from incidents.identifiers import Identifier, normalise
from incidents.models import IdentifierDigest, Incident, IncidentIdentifier
from portal.models import APIScope
from tests.conftest import lt_to_pl_clause
from tests.helpers import audit_log

PLATE = {"kind": "plate", "value": "abc-123", "country": "LT"}
VIN = {"kind": "vin", "value": "1M8GDM9AXKP042788"}
DOCUMENT = {"kind": "document", "value": "lt 1234567", "country": "LT"}
IMO = {"kind": "imo", "value": "IMO 9074729"}


def stored(incident):
    return {(row.kind, row.value, row.country_id) for row in IncidentIdentifier.objects.filter(incident=incident)}


def digests(incident):
    return set(IdentifierDigest.objects.filter(incident=incident).values_list("kind", "digest"))


# --- Each kind's rules and canonical form ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "country", "canonical"),
    [
        ("plate", "abc-123", "lt", Identifier("plate", "ABC123", "LT")),
        ("plate", " wpr 1234a ", "PL", Identifier("plate", "WPR1234A", "PL")),
        ("plate", "AB", "PL", Identifier("plate", "AB", "PL")),
        ("vin", "1M8GDM9AXKP042788", None, Identifier("vin", "1M8GDM9AXKP042788")),
        ("vin", "1m8gdm9axkp042788", None, Identifier("vin", "1M8GDM9AXKP042788")),
        ("vin", "1HGCM82633A004352", None, Identifier("vin", "1HGCM82633A004352")),
        # Made outside North America: the 9th character is the maker's, not a check digit.
        ("vin", "WVWZZZ1KZ6W000317", None, Identifier("vin", "WVWZZZ1KZ6W000317")),
        ("document", "lt 1234567", "LT", Identifier("document", "LT1234567", "LT")),
        ("document", "ab-12345", "PL", Identifier("document", "AB12345", "PL")),
        ("imo", "9074729", None, Identifier("imo", "9074729")),
        ("imo", "IMO 9074729", None, Identifier("imo", "9074729")),
        ("imo", "imo9319466", None, Identifier("imo", "9319466")),
        ("mmsi", "230 123 456", None, Identifier("mmsi", "230123456")),
        ("mmsi", "775999999", None, Identifier("mmsi", "775999999")),
        ("phone", "8 612 34567", None, Identifier("phone", "+37061234567")),
        ("phone", "+48 512 345 678", None, Identifier("phone", "+48512345678")),
        # A national number of another country than the incident's: read in the country given.
        ("phone", "512 345 678", "PL", Identifier("phone", "+48512345678")),
    ],
)
def test_valid_identifiers_take_their_canonical_form(kind, value, country, canonical):
    assert normalise(kind, value, country, region="LT") == canonical


@pytest.mark.parametrize(
    ("kind", "value", "country", "message"),
    [
        ("plate", "A", "LT", "2 to 10"),
        ("plate", "ABCDEF123456", "LT", "2 to 10"),
        ("plate", "ĄBC123", "LT", "only letters A to Z and digits"),
        ("plate", "ABC/123", "LT", "only letters A to Z and digits"),
        ("plate", "ABC123", None, "country the vehicle is registered in"),
        ("vin", "1M8GDM9A1KP042788", None, "check digit"),  # one character off
        ("vin", "1M8GDM9AXKP042789", None, "check digit"),
        ("vin", "1M8GDM9AXKP04278", None, "17 characters; this one has 16"),
        ("vin", "1M8GDM9AXKP0427880", None, "17 characters"),
        ("vin", "WVWZZZ1KZ6W0OO317", None, "I, O or Q"),
        ("vin", "WVWZZZ1KZ6W000317", "DE", "not read with a country"),
        ("vin", "WVWZZZ1KZ6W00031*", None, "only capital letters and digits"),
        ("document", "1234", "LT", "5 to 20"),
        ("document", "A" * 21, "LT", "5 to 20"),
        ("document", "LT123/4567", "LT", "only letters A to Z and digits"),
        ("document", "LT1234567", "", "country that issued it"),
        ("imo", "9074728", None, "check digit"),
        ("imo", "IMO 907472", None, "seven digits"),
        ("imo", "IMO ABCDEFG", None, "seven digits"),
        ("mmsi", "130123456", None, "from 2 to 7"),
        ("mmsi", "23012345", None, "nine digits"),
        ("mmsi", "2301234567", None, "nine digits"),
        ("mmsi", "23012345X", None, "nine digits"),
        ("phone", "12", None, "numbering plan"),
        ("phone", "call me", None, "not a phone number"),
        ("phone", "+999 1234 5678", None, "not a phone number"),
        ("spaceship", "X1", None, "kind of identifier"),
        ("plate", "  ", "LT", "Enter the identifier"),
    ],
)
def test_invalid_identifiers_are_refused_with_a_clear_message(kind, value, country, message):
    with pytest.raises(ValidationError) as refused:
        normalise(kind, value, country, region="LT")
    assert message in " ".join(refused.value.messages)


def test_parse_names_each_wrong_entry_and_checks_the_countries(db):
    entries = [PLATE, {"kind": "vin", "value": "1M8GDM9A1KP042788"}, {"kind": "plate", "value": "X1", "country": "ZZ"}]
    with pytest.raises(ValidationError) as refused:
        identifiers.parse(entries, region="LT")
    errors = refused.value.message_dict["identifiers"]
    assert errors[0].startswith("Identifier 2 (vehicle identification number (VIN)): The check digit")
    assert errors[1] == "Identifier 3 (vehicle registration plate): No country has the code ZZ."
    assert len(errors) == 2


def test_parse_drops_repeats(db):
    again = {"kind": "plate", "value": "ABC 123", "country": "lt"}
    assert identifiers.parse([PLATE, again, IMO], region="LT") == [
        Identifier("plate", "ABC123", "LT"),
        Identifier("imo", "9074729"),
    ]


# --- The keyed digests ---------------------------------------------------------------------------


def test_the_same_identifier_has_the_same_digest_however_it_was_typed():
    assert normalise("plate", "abc 123", "LT").digest() == normalise("plate", "ABC-123", "lt").digest()
    assert len(normalise("plate", "ABC123", "LT").digest()) == 64


def test_the_digest_depends_on_the_key_the_country_and_the_kind(settings):
    plate = normalise("plate", "AB12345", "LT")
    assert plate.digest(key="one key") != plate.digest(key="another key")
    settings.EXCHANGE_HASH_KEY = "a rotated key"
    assert plate.digest() == plate.digest(key="a rotated key") != plate.digest(key="one key")
    # The same characters issued by another country, or read as another kind, are another identifier.
    assert plate.digest() != normalise("plate", "AB12345", "PL").digest()
    assert plate.digest() != normalise("document", "AB12345", "LT").digest()


def test_the_index_holds_digests_and_no_plaintext(make_incident, officer):
    incident = make_incident(has_personal_data=True)
    services.incident_identifiers_set(
        incident=incident,
        identifiers=[{"kind": "plate", "value": "KLM 987", "country": "PL"}, DOCUMENT, IMO, VIN],
        actor=officer,
    )
    rows = list(IdentifierDigest.objects.filter(incident=incident).values())
    assert len(rows) == 4
    dump = json.dumps(rows, default=str)
    for plaintext in ("KLM987", "KLM 987", "LT1234567", "1234567", "9074729", "1M8GDM9AXKP042788"):
        assert plaintext not in dump
    expected = {
        ("plate", normalise("plate", "KLM987", "PL").digest()),
        ("document", normalise("document", "LT1234567", "LT").digest()),
        ("imo", normalise("imo", "9074729").digest()),
        ("vin", normalise("vin", "1M8GDM9AXKP042788").digest()),
    }
    assert digests(incident) == expected
    # The country copied for the search is the incident's owner's, not the plate's.
    assert {row["country_id"] for row in rows} == {"LT"}


# --- Writing them --------------------------------------------------------------------------------


def test_setting_replaces_the_identifiers_and_their_digests(make_incident, officer, clock):
    incident = make_incident()
    services.incident_identifiers_set(incident=incident, identifiers=[PLATE, IMO], actor=officer)
    kept_since = IncidentIdentifier.objects.get(incident=incident, kind="plate").created_at
    clock.advance(minutes=5)
    services.incident_identifiers_set(incident=incident, identifiers=[PLATE, VIN], actor=officer)
    assert stored(incident) == {("plate", "ABC123", "LT"), ("vin", "1M8GDM9AXKP042788", None)}
    assert digests(incident) == {
        ("plate", normalise(**PLATE).digest()),
        ("vin", normalise(**VIN).digest()),
    }
    assert IncidentIdentifier.objects.get(incident=incident, kind="plate").created_at == kept_since
    services.incident_identifiers_set(incident=incident, identifiers=[], actor=officer)
    assert stored(incident) == set() and digests(incident) == set()


def test_the_audit_entry_gives_kinds_and_count_never_values(make_incident, officer):
    incident = make_incident(has_personal_data=True)
    services.incident_identifiers_set(incident=incident, identifiers=[PLATE, DOCUMENT, IMO], actor=officer)
    entry = audit_log().get(action="incident.identifiers_set")
    assert entry.details["count"] == 3
    assert entry.details["kinds"] == {"document": 1, "imo": 1, "plate": 1}
    text = json.dumps(entry.details) + entry.object_repr
    assert "ABC123" not in text and "LT1234567" not in text and "9074729" not in text


def test_setting_the_same_identifiers_again_changes_and_records_nothing(make_incident, officer):
    incident = make_incident()
    services.incident_identifiers_set(incident=incident, identifiers=[PLATE], actor=officer)
    services.incident_identifiers_set(
        incident=incident, identifiers=[{"kind": "plate", "value": "ABC 123", "country": "LT"}], actor=officer
    )
    assert audit_log().filter(action="incident.identifiers_set").count() == 1


def test_bad_input_changes_nothing(make_incident, officer):
    incident = make_incident()
    services.incident_identifiers_set(incident=incident, identifiers=[PLATE], actor=officer)
    before = (stored(incident), digests(incident))
    with pytest.raises(ValidationError) as refused:
        services.incident_identifiers_set(
            incident=incident, identifiers=[IMO, {"kind": "imo", "value": "9074728"}], actor=officer
        )
    assert refused.value.message_dict["identifiers"][0].startswith("Identifier 2 (vessel IMO number)")
    assert (stored(incident), digests(incident)) == before


def test_document_and_phone_numbers_need_the_personal_data_flag(make_incident, officer):
    incident = make_incident()
    with pytest.raises(ValidationError) as refused:
        services.incident_identifiers_set(incident=incident, identifiers=[DOCUMENT], actor=officer)
    assert "has_personal_data" in refused.value.message_dict
    assert stored(incident) == set()
    personal = make_incident(has_personal_data=True)
    services.incident_identifiers_set(incident=personal, identifiers=[DOCUMENT], actor=officer)
    with pytest.raises(ValidationError) as unticked:
        services.incident_update(incident=personal, actor=officer, has_personal_data=False)
    assert "has_personal_data" in unticked.value.message_dict


def test_only_the_owner_agency_sets_them(make_incident, lt_pl_in_force, partner_officer, partner_supervisor):
    incident = make_incident("validated")
    for outsider in (partner_officer, partner_supervisor):
        with pytest.raises(PermissionDenied):
            services.incident_identifiers_set(incident=incident, identifiers=[PLATE], actor=outsider)
    assert stored(incident) == set() and digests(incident) == set()


def test_after_validation_only_a_supervisor_sets_them(make_incident, officer, supervisor):
    incident = make_incident("validated")
    with pytest.raises(PermissionDenied):
        services.incident_identifiers_set(incident=incident, identifiers=[PLATE], actor=officer)
    services.incident_identifiers_set(incident=incident, identifiers=[PLATE], actor=supervisor)
    assert stored(incident) == {("plate", "ABC123", "LT")}


def test_a_closed_incident_keeps_its_identifiers(make_incident, supervisor):
    incident = make_incident("validated", identifiers=[PLATE])
    services.incident_close(incident=incident, actor=supervisor)
    with pytest.raises(ValidationError, match="closed"):
        services.incident_identifiers_set(incident=incident, identifiers=[VIN], actor=supervisor)
    assert stored(incident) == {("plate", "ABC123", "LT")}


def test_filing_with_identifiers_writes_them_with_the_incident(make_incident, officer):
    incident = make_incident(identifiers=[PLATE, VIN])
    assert stored(incident) == {("plate", "ABC123", "LT"), ("vin", "1M8GDM9AXKP042788", None)}
    assert len(digests(incident)) == 2
    count = Incident.objects.count()
    with pytest.raises(ValidationError):
        make_incident(identifiers=[{"kind": "vin", "value": "1M8GDM9A1KP042788"}])
    assert Incident.objects.count() == count


# --- The incident form -----------------------------------------------------------------------------


def rows(*entries, initial=0, total=3):
    data = {
        "identifiers-TOTAL_FORMS": str(total),
        "identifiers-INITIAL_FORMS": str(initial),
        "identifiers-MIN_NUM_FORMS": "0",
        "identifiers-MAX_NUM_FORMS": "50",
    }
    for n, entry in enumerate(entries):
        data |= {f"identifiers-{n}-{name}": entry.get(name) or "" for name in ("kind", "value", "country")}
    return data


INCIDENT_POST = {
    "category": "smuggling_goods",
    "description": "Lorry",
    "people_involved": 2,
    "severity": "high",
    "source_reliability": "B",
    "information_credibility": "2",
    "marking": "AMBER",
}


def test_the_form_files_identifiers_and_edits_them(verified_client, officer):
    client = verified_client(officer)
    occurred = {"occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M")}
    created = client.post(reverse("incidents:create"), {**INCIDENT_POST, **occurred, **rows(PLATE, VIN)})
    assert created.status_code == 302
    incident = Incident.objects.get()
    assert stored(incident) == {("plate", "ABC123", "LT"), ("vin", "1M8GDM9AXKP042788", None)}

    edit = client.get(reverse("incidents:edit", args=[incident.pk]))
    formset = edit.context["identifiers"]
    assert [form.initial.get("value") for form in formset.forms[:2]] == ["ABC123", "1M8GDM9AXKP042788"]
    assert len(formset.forms) == 5  # its two and three empty rows
    assert b'value="ABC123"' in edit.content

    plate = {"kind": "plate", "value": "ABC123", "country": "LT"}
    changed = client.post(
        reverse("incidents:edit", args=[incident.pk]),
        {**INCIDENT_POST, **occurred, **rows(plate, {}, IMO, initial=2, total=5)},
    )
    assert changed.status_code == 302
    assert stored(incident) == {("plate", "ABC123", "LT"), ("imo", "9074729", None)}


def test_form_errors_are_shown_next_to_the_row_and_nothing_is_saved(verified_client, officer, make_incident):
    incident = make_incident(identifiers=[PLATE])
    client = verified_client(officer)
    occurred = {"occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M")}
    bad_vin = {"kind": "vin", "value": "1M8GDM9A1KP042788"}
    no_country = {"kind": "plate", "value": "XYZ 1"}
    response = client.post(
        reverse("incidents:edit", args=[incident.pk]),
        {**INCIDENT_POST, **occurred, **rows(PLATE, bad_vin, no_country, initial=1)},
    )
    assert response.status_code == 200
    forms = response.context["identifiers"].forms
    assert not forms[0].errors
    assert "check digit" in forms[1].errors["value"][0]
    assert "registered in" in forms[2].errors["country"][0]
    assert stored(incident) == {("plate", "ABC123", "LT")}
    assert Incident.objects.get(pk=incident.pk).description == "Cigarettes hidden in a lorry"


def test_a_post_without_the_rows_leaves_the_identifiers(verified_client, officer, make_incident):
    incident = make_incident(identifiers=[PLATE])
    occurred = {"occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M")}
    response = verified_client(officer).post(
        reverse("incidents:edit", args=[incident.pk]), {**INCIDENT_POST, **occurred}
    )
    assert response.status_code == 302
    assert stored(incident) == {("plate", "ABC123", "LT")}


# --- Who sees them: the detail page and the API ---------------------------------------------------


@pytest.fixture
def with_identifiers(make_incident):
    def _make():
        return make_incident(
            "validated", has_personal_data=True, person_name="Jonas Jonaitis", identifiers=[PLATE, DOCUMENT]
        )

    return _make


def identifiers_of(response):
    return {row["kind"]: row for row in response.json()["identifiers"]}


def test_partner_without_personal_data_sees_the_plate_not_the_document(
    lt_pl_in_force, with_identifiers, verified_client, partner_officer, client, api_key, partner_agency
):
    incident = with_identifiers()
    page = verified_client(partner_officer).get(reverse("incidents:detail", args=[incident.pk]))
    assert page.status_code == 200
    assert "ABC123" in page.text and "LT1234567" not in page.text
    assert "withheld (personal data)" in page.text

    client.logout()
    _key, raw = api_key(scopes=(APIScope.INCIDENTS_READ,), agency=partner_agency)
    detail = client.get(f"/api/v1/incidents/{incident.pk}/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert detail.status_code == 200
    shown = identifiers_of(detail)
    assert shown["plate"] == {"kind": "plate", "value": "ABC123", "country": "LT", "withheld": False}
    assert shown["document"] == {"kind": "document", "value": None, "country": None, "withheld": True}
    assert "LT1234567" not in detail.text


def test_partner_with_personal_data_sees_both(
    make_agreement, lithuania, with_identifiers, verified_client, partner_officer
):
    make_agreement("in_force", clause=lt_to_pl_clause(lithuania, personal_data=True))
    incident = with_identifiers()
    client = verified_client(partner_officer)
    page = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert "ABC123" in page.text and "LT1234567" in page.text and "withheld (personal data)" not in page.text
    shown = identifiers_of(client.get(f"/api/v1/incidents/{incident.pk}/"))
    assert shown["document"] == {"kind": "document", "value": "LT1234567", "country": "LT", "withheld": False}


def test_the_owner_sees_every_identifier(with_identifiers, verified_client, officer):
    incident = with_identifiers()
    client = verified_client(officer)
    assert "LT1234567" in client.get(reverse("incidents:detail", args=[incident.pk])).text
    assert identifiers_of(client.get(f"/api/v1/incidents/{incident.pk}/"))["document"]["value"] == "LT1234567"


def test_country_without_clause_gets_404(lt_pl_in_force, with_identifiers, verified_client, outsider_officer):
    incident = with_identifiers()
    client = verified_client(outsider_officer)
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404


def test_own_system_files_identifiers_through_the_api(client, api_key, owner_agency):
    _key, raw = api_key(scopes=(APIScope.INCIDENTS_READ, APIScope.INCIDENTS_WRITE), agency=owner_agency)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    body = {
        "category": "stolen_vehicle",
        "occurred_at": timezone.now().isoformat(),
        "description": "Stolen car at the exit lane",
        "crossing_point": "Kybartai",
        "has_personal_data": True,
        "identifiers": [PLATE, VIN, {"kind": "phone", "value": "8 612 34567"}],
    }
    response = client.post("/api/v1/incidents/", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.json()
    assert {(row["kind"], row["value"]) for row in response.json()["identifiers"]} == {
        ("plate", "ABC123"),
        ("vin", "1M8GDM9AXKP042788"),
        ("phone", "+37061234567"),
    }
    bad = {**body, "identifiers": [{"kind": "imo", "value": "9074728"}]}
    refused = client.post("/api/v1/incidents/", bad, content_type="application/json", **headers)
    assert refused.status_code == 400 and "identifiers" in refused.json()["error"]["fields"]
    assert Incident.objects.count() == 1
