"""The incident exports, to the letter of their formats: GeoJSON (RFC 7946, checked with the
`geojson` package) and CSV (RFC 4180, read back with Python's csv module), both from the gate."""

import csv
import io
from decimal import Decimal

import geojson
import pytest
from django.urls import reverse

from incidents.models import Incident, IncidentVisibility
from portal.models import APIScope
from tests.helpers import audit_log

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def shared_incident(lt_pl_in_force, make_incident):
    return make_incident(
        "validated",
        latitude=Decimal("54.500000"),
        longitude=Decimal("25.600000"),
        severity="high",
        has_personal_data=True,
        person_name="Jonas Jonaitis",
    )


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- GeoJSON ------------------------------------------------------------------------------------


def test_geojson_is_served_as_rfc_7946_with_codes_and_labels(
    shared_incident, verified_client, partner_officer, client, api_key, partner_agency
):
    response = verified_client(partner_officer).get(reverse("incidents:geojson"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    document = geojson.loads(body(response).decode())
    assert document.is_valid, document.errors()
    assert document["type"] == "FeatureCollection"
    (feature,) = document["features"]
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) == (25.6, 54.5)  # [longitude, latitude], RFC 7946 §3.1.1

    _record, raw = api_key(scopes=[APIScope.INCIDENTS_READ], agency=partner_agency)
    api = client.get(f"/api/v1/incidents/{shared_incident.pk}/", HTTP_AUTHORIZATION=f"Api-Key {raw}").json()
    properties = feature["properties"]
    for name in ("reference", "category", "severity", "marking", "status", "country"):
        assert properties[name] == api[name], name
    assert properties["category"] == "smuggling_goods" and properties["category_label"] == "smuggling of goods"
    assert properties["severity"] == "high" and properties["severity_label"] == "High"
    assert properties["marking"] == "GREEN" and properties["marking_label"] == "TLP:GREEN"
    assert properties["status"] == api["status"] and properties["status_label"] == "Shared"
    assert properties["exercise"] is False
    assert "Jonas" not in body(response).decode()


def test_geojson_labels_follow_the_language_and_codes_do_not(shared_incident, verified_client, officer):
    client = verified_client(officer)
    english = client.get(reverse("incidents:geojson")).json()["features"][0]["properties"]
    french = client.get(reverse("incidents:geojson"), HTTP_ACCEPT_LANGUAGE="fr").json()["features"][0]["properties"]
    codes = ("category", "severity", "marking", "status", "country")
    assert {k: french[k] for k in codes} == {k: english[k] for k in codes}
    assert (english["status_label"], french["status_label"]) == ("Shared", "Partagé")


def test_geojson_goes_through_the_gate(shared_incident, make_incident, verified_client, outsider_officer, officer):
    make_incident(latitude=Decimal("54.600000"), longitude=Decimal("25.300000"))  # a draft: the owner's only
    outsider = verified_client(outsider_officer).get(reverse("incidents:geojson"))
    document = geojson.loads(body(outsider).decode())
    assert document.is_valid and document["features"] == []
    own = geojson.loads(body(verified_client(officer).get(reverse("incidents:geojson"))).decode())
    assert own.is_valid and len(own["features"]) == 2


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(response, bom=False):
    data = body(response)
    assert data.startswith(BOM) is bom
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_is_streamed_utf8_with_booleans_as_the_api_writes_them(shared_incident, verified_client, officer):
    response = verified_client(officer).get(reverse("incidents:csv"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"].startswith('attachment; filename="incidents-')
    (row,) = read_csv(response)
    assert row["reference"] == shared_incident.reference
    assert row["is_exercise"] == "false" and row["has_personal_data"] == "true"
    assert row["latitude"] == "54.500000" and row["longitude"] == "25.600000"
    assert row["person_name"] == "Jonas Jonaitis"


def test_csv_byte_order_mark_only_when_asked(shared_incident, verified_client, officer):
    client = verified_client(officer)
    plain = read_csv(client.get(reverse("incidents:csv")), bom=False)
    excel = read_csv(client.get(reverse("incidents:csv"), {"bom": "1"}), bom=True)
    assert excel == plain
    assert read_csv(client.get(reverse("incidents:csv"), {"bom": "0"}), bom=False) == plain


def test_the_pages_offer_the_csv_for_spreadsheets_with_the_same_filters(shared_incident, verified_client, officer):
    client = verified_client(officer)
    for page in ("incidents:list", "incidents:map"):
        html = client.get(reverse(page), {"severity": "high"}).content.decode()
        assert f"{reverse('incidents:csv')}?severity=high&amp;bom=1" in html, page
        assert "for Excel" in html, page


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1:A2)", "\tTAB", "\rCR", '=HYPERLINK("http://x")', "-2+3", "+-=@"],
)
def test_every_cell_a_spreadsheet_would_run_as_a_formula_is_escaped(make_incident, verified_client, officer, text):
    make_incident(description=text, border_sector=text, crossing_point="Plain")
    (row,) = read_csv(verified_client(officer).get(reverse("incidents:csv")))
    assert row["description"] == "'" + text
    assert row["border_sector"] == "'" + text
    assert row["crossing_point"] == "Plain"


def test_a_nul_first_is_escaped_too():
    from incidents.views import _csv_cell

    # NUL cannot be stored in PostgreSQL text, so it is checked on the cell itself (OWASP ASVS V1.2.10).
    assert _csv_cell("\x00=1+1") == "'\x00=1+1"
    assert [_csv_cell(c + "x") for c in "=+-@\t\r"] == ["'" + c + "x" for c in "=+-@\t\r"]
    assert (_csv_cell(True), _csv_cell(False), _csv_cell(None), _csv_cell(-1)) == ("true", "false", "", "-1")


def test_separators_and_quotes_cannot_start_a_new_cell(make_incident, verified_client, officer):
    make_incident(description='a",=1+1', border_sector="b\n=1+1;c")
    (row,) = read_csv(verified_client(officer).get(reverse("incidents:csv")))
    assert (row["description"], row["border_sector"]) == ('a",=1+1', "b\n=1+1;c")
    assert row["crossing_point"] == ""


def test_numbers_stay_numbers(make_incident, verified_client, officer):
    make_incident(latitude=Decimal("-33.900000"), longitude=Decimal("-7.250000"), people_involved=0)
    (row,) = read_csv(verified_client(officer).get(reverse("incidents:csv")))
    assert (row["latitude"], row["longitude"], row["people_involved"]) == ("-33.900000", "-7.250000", "0")


def test_csv_streams_every_row_across_chunks(make_incident, verified_client, officer, monkeypatch):
    from incidents import views

    monkeypatch.setattr(views, "EXPORT_CHUNK_SIZE", 2)
    made = [make_incident() for _ in range(5)]
    rows = read_csv(verified_client(officer).get(reverse("incidents:csv")))
    assert sorted(r["reference"] for r in rows) == sorted(i.reference for i in made)


def test_csv_has_no_cut_at_the_old_limit_of_5000_rows(make_incident, verified_client, officer):
    """More rows than the export used to stop at, made in bulk (with their owner's index rows)."""
    template = make_incident()
    owner_row = IncidentVisibility.objects.get(content_object=template)
    count = 5001
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Incident._meta.concrete_fields
        if f.attname not in {"id", "reference"}
    }
    copies = Incident.objects.bulk_create(
        [Incident(**fields, reference=f"BULK-{n:05d}") for n in range(count - 1)], batch_size=500
    )
    IncidentVisibility.objects.bulk_create(
        [
            IncidentVisibility(
                content_object=incident,
                group_id=owner_row.group_id,
                permission_id=owner_row.permission_id,
                country_id=owner_row.country_id,
                occurred_at=owner_row.occurred_at,
                is_owner=True,
            )
            for incident in copies
        ],
        batch_size=500,
    )
    rows = read_csv(verified_client(officer).get(reverse("incidents:csv")))
    assert len(rows) == count
    assert len({r["reference"] for r in rows}) == count


def test_csv_goes_through_the_gate_and_the_partners_read_is_audited(
    shared_incident, make_incident, verified_client, partner_officer, outsider_officer
):
    make_incident()  # a draft of the owner: never a partner's
    rows = read_csv(verified_client(partner_officer).get(reverse("incidents:csv")))
    assert [r["reference"] for r in rows] == [shared_incident.reference]
    assert rows[0]["person_name"] == "" and rows[0]["has_personal_data"] == "true"
    entry = audit_log().get(action="incident.exported", actor=partner_officer)
    assert entry.details["incidents"] == [shared_incident.pk]
    assert read_csv(verified_client(outsider_officer).get(reverse("incidents:csv"))) == []
