"""Incidents and patrols placed in sectors: the nearest lookup, names typed before sectors existed
(linked once a sector of that name or code exists, kept as reported otherwise), the choices and
checks of the forms and services, and the codes the API, exports and alerts carry."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from borders import selectors, services
from incidents import access
from incidents import services as incident_services
from tests.borders.conftest import LINE

pytestmark = pytest.mark.django_db


# --- The nearest lookup -----------------------------------------------------------------------------


def test_nearest_gives_the_closest_sector_and_crossing_of_the_own_country_with_distances(
    sector, crossing, owner_liaison, signed_in, officer
):
    far = services.sector_save(
        actor=owner_liaison,
        code="LT-BY-1",
        name="Medininkai",
        geometry={"type": "LineString", "coordinates": [[25.55, 54.50], [25.75, 54.58]]},
    )
    found = selectors.nearest(officer, latitude=54.36, longitude=23.25)
    assert found["sector"] == sector and found["crossing"] == crossing
    assert 0 < found["sector_km"] < 5 and 3 < found["crossing_km"] < 5
    near_far = selectors.nearest(officer, latitude=54.55, longitude=25.65)
    assert near_far["sector"] == far and near_far["sector_km"] < 1
    answer = signed_in(officer).get("/api/v1/borders/nearest/", {"lat": "54.36", "lon": "23.25"}).json()
    assert answer["country"] == "LT" and answer["sector"]["code"] == "LT-PL-2"
    assert answer["crossing"] == {
        "id": crossing.pk,
        "code": "LT-KAL",
        "name": "Kalvarija-Budzisko",
        "kind": "road",
        "country": "LT",
    }


def test_nearest_of_another_country_only_among_those_the_caller_may_see(
    sector, crossing, partner_officer, outsider_officer, signed_in
):
    partner = signed_in(partner_officer).get("/api/v1/borders/nearest/", {"lat": 54.36, "lon": 23.25}).json()
    assert partner["country"] == "PL" and partner["sector"] is None  # PL has no sector of its own
    asked = signed_in(partner_officer).get("/api/v1/borders/nearest/", {"lat": 54.36, "lon": 23.25, "country": "lt"})
    assert asked.json()["sector"]["code"] == "LT-PL-2"
    outsider = signed_in(outsider_officer).get(
        "/api/v1/borders/nearest/", {"lat": 54.36, "lon": 23.25, "country": "LT"}
    )
    assert outsider.json()["sector"] is None and outsider.json()["crossing"] is None


def test_nearest_refuses_a_place_off_the_globe(officer, signed_in):
    response = signed_in(officer).get("/api/v1/borders/nearest/", {"lat": "95", "lon": "23"})
    assert response.status_code == 400 and "lat" in response.json()["error"]["fields"]


def test_inside_an_area_the_distance_is_zero(owner_liaison, officer, agreement):
    square = [[[24.6, 59.45], [24.95, 59.45], [24.95, 59.62], [24.6, 59.62], [24.6, 59.45]]]
    services.sector_save(
        actor=owner_liaison, code="LT-SEA", name="Sea", geometry={"type": "Polygon", "coordinates": square}
    )
    assert selectors.nearest(officer, latitude=59.5, longitude=24.8)["sector_km"] == 0


# --- Names typed before sectors existed --------------------------------------------------------------


def test_an_incident_typed_lazdijai_is_linked_once_the_sector_exists(make_incident, owner_liaison, signed_in, officer):
    typed = make_incident(border_sector="Lazdijai", crossing_point="Lazdijai-Ogrodniki")
    unknown = make_incident(border_sector="Sejny sector")
    assert typed.sector_id is None and typed.border_sector == "Lazdijai"
    sector = services.sector_save(actor=owner_liaison, code="LT-PL-1", name="Lazdijai", geometry=LINE)
    crossing = services.crossing_save(
        actor=owner_liaison,
        code="LT-LAZ",
        name="Lazdijai-Ogrodniki",
        kind="road",
        sector=sector,
        latitude=Decimal("54.165"),
        longitude=Decimal("23.42"),
    )
    typed.refresh_from_db()
    unknown.refresh_from_db()
    assert (typed.sector, typed.border_sector, typed.crossing, typed.crossing_point) == (sector, "", crossing, "")
    assert unknown.sector_id is None and unknown.border_sector == "Sejny sector"
    client = signed_in(officer)
    linked_page = client.get(reverse("incidents:detail", args=[typed.pk])).content.decode()
    assert reverse("borders:detail", args=[sector.pk]) in linked_page and "LT-PL-1 · Lazdijai" in linked_page
    unknown_page = client.get(reverse("incidents:detail", args=[unknown.pk])).content.decode()
    assert "Sejny sector (as reported, no matching sector)" in unknown_page


def test_a_name_typed_through_the_api_is_linked_by_code_or_kept_as_reported(sector, officer, api_key, client):
    from portal.models import APIScope

    _key, raw = api_key(scopes=[APIScope.INCIDENTS_WRITE, APIScope.INCIDENTS_READ])
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    body = {"category": "smuggling_goods", "occurred_at": "2026-11-20T08:30:00Z", "marking": "GREEN"}
    linked = client.post(
        "/api/v1/incidents/", {**body, "border_sector": "lt-pl-2"}, content_type="application/json", **auth
    )
    assert linked.status_code == 201, linked.content
    assert linked.json()["border_sector"] == "LT-PL-2" and linked.json()["sector"]["name"] == "Kalvarija"
    kept = client.post(
        "/api/v1/incidents/", {**body, "border_sector": "Nowhere"}, content_type="application/json", **auth
    )
    assert kept.json()["border_sector"] == "Nowhere" and kept.json()["sector"] is None


def test_a_patrol_typed_lazdijai_is_linked_once_the_sector_exists(plan_patrol_with_sector, owner_liaison):
    typed = plan_patrol_with_sector(border_sector="Lazdijai")
    assert typed.sector_id is None and typed.border_sector == "Lazdijai"
    sector = services.sector_save(actor=owner_liaison, code="LT-PL-1", name="Lazdijai", geometry=LINE)
    typed.refresh_from_db()
    assert (typed.sector, typed.border_sector) == (sector, "")


# --- Forms and services ---------------------------------------------------------------------------


def test_incident_form_offers_the_countrys_sectors_and_crossings_only(
    sector, crossing, partner_liaison, officer, signed_in
):
    pl = services.sector_save(actor=partner_liaison, code="PL-LT-2", name="Budzisko", geometry=LINE)
    page = signed_in(officer).get(reverse("incidents:create")).content.decode()
    assert f'<option value="{sector.pk}">LT-PL-2 · Kalvarija</option>' in page
    assert f'<option value="{crossing.pk}">Kalvarija-Budzisko (Road)</option>' in page
    assert f'<option value="{pl.pk}">PL-LT-2' not in page and "PL-LT-2" not in page
    assert 'data-nearest-url="/api/v1/borders/nearest/"' in page


def test_incident_is_filed_with_a_chosen_sector_and_crossing(sector, crossing, officer, signed_in):
    from incidents.models import Incident

    response = signed_in(officer).post(
        reverse("incidents:create"),
        {
            "category": "smuggling_goods",
            "occurred_at": "2026-11-20T08:30",
            "sector": sector.pk,
            "crossing": crossing.pk,
            "description": "Cigarettes",
            "people_involved": 0,
            "severity": "medium",
            "source_reliability": "F",
            "information_credibility": "6",
            "marking": "GREEN",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    incident = Incident.objects.get()
    assert (incident.sector, incident.crossing) == (sector, crossing)


def test_the_service_refuses_a_sector_or_crossing_of_another_country(officer, partner_liaison, agreement):
    pl_sector = services.sector_save(actor=partner_liaison, code="PL-LT-2", name="Budzisko", geometry=LINE)
    pl_crossing = services.crossing_save(
        actor=partner_liaison, code="PL-BUD", name="Budzisko", kind="road", latitude="54.357", longitude="23.19"
    )
    with pytest.raises(ValidationError) as exc:
        incident_services.incident_create(
            actor=officer,
            category="smuggling_goods",
            occurred_at=timezone.now(),
            sector=pl_sector,
            crossing=pl_crossing,
        )
    assert set(exc.value.message_dict) == {"sector", "crossing"}


def test_patrol_sector_is_one_of_the_agreements_parties(plan_patrol_with_sector, sector, outsider_liaison, agreement):
    patrol = plan_patrol_with_sector(sector=sector)
    assert patrol.sector == sector and patrol.border_sector == ""
    fi = services.sector_save(actor=outsider_liaison, code="FI-RU-1", name="Vaalimaa", geometry=LINE)
    with pytest.raises(ValidationError) as exc:
        plan_patrol_with_sector(sector=fi, days=3)
    assert "party to the governing agreement" in str(exc.value)


def test_patrol_page_names_the_sector_only_while_the_partner_sees_it(
    plan_patrol_with_sector, sector, partner_officer, signed_in, clock
):
    patrol = plan_patrol_with_sector(sector=sector)
    page = signed_in(partner_officer).get(reverse("training:patrol_detail", args=[patrol.pk])).content.decode()
    assert "LT-PL-2 · Kalvarija" in page
    api = signed_in(partner_officer).get(f"/api/v1/patrols/{patrol.pk}/").json()
    assert api["border_sector"] == "LT-PL-2" and api["sector"]["code"] == "LT-PL-2"
    clock.advance(days=11)  # the agreement has expired; the participant still sees its patrol
    client = signed_in(partner_officer)
    page = client.get(reverse("training:patrol_detail", args=[patrol.pk]))
    if page.status_code == 200:
        text = page.content.decode()
        assert "Kalvarija" not in text and "LT-PL-2" not in text
        assert "a sector not shared with your country" in text
        api = client.get(f"/api/v1/patrols/{patrol.pk}/").json()
        assert api["border_sector"] == "" and api["sector"] is None
    else:
        assert page.status_code == 404


# --- What carries the place -------------------------------------------------------------------------


def test_exports_alerts_and_api_carry_the_code_or_the_name_as_reported(
    sector, crossing, make_incident, supervisor, signed_in
):
    linked = make_incident("validated", border_sector="Kalvarija", crossing_point="LT-KAL")
    reported = make_incident("validated", border_sector="Sejny sector", crossing_point="")
    content = access.incident_content(linked, personal_data=False)
    assert (content["border_sector"], content["crossing_point"]) == ("LT-PL-2", "LT-KAL")
    assert content["sector"] == {"code": "LT-PL-2", "name": "Kalvarija", "country": "LT"}
    assert content["crossing"]["kind"] == "road"
    assert access.incident_content(reported, personal_data=False)["border_sector"] == "Sejny sector"
    client = signed_in(supervisor)
    rows = {
        row["reference"]: row
        for row in csv.DictReader(
            io.StringIO(b"".join(client.get(reverse("incidents:csv")).streaming_content).decode())
        )
    }
    assert rows[linked.reference]["border_sector"] == "LT-PL-2"
    assert rows[linked.reference]["crossing_point"] == "LT-KAL"
    assert rows[reported.reference]["border_sector"] == "Sejny sector"
    api = {i["reference"]: i for i in client.get("/api/v1/incidents/").json()["results"]}
    assert api[linked.reference]["border_sector"] == "LT-PL-2" and api[linked.reference]["crossing"]["code"] == "LT-KAL"
    assert api[reported.reference]["border_sector"] == "Sejny sector" and api[reported.reference]["sector"] is None


def test_a_subscription_filters_on_sector_codes(sector, make_incident, partner_agency, foreign_admin):
    from alerts.models import Subscription
    from alerts.services import matches

    linked = make_incident(border_sector="Kalvarija")
    reported = make_incident(border_sector="Sejny sector")
    subscription = Subscription(agency=partner_agency, name="x", channel="email", sectors=["LT-PL-2"])
    assert matches(subscription, linked) and not matches(subscription, reported)


# --- The incident page's mini-map -------------------------------------------------------------


def test_mini_map_centres_on_the_point_then_the_crossing_then_the_sector(
    sector, crossing, make_incident, verified_client, officer
):
    at_point = make_incident(latitude=Decimal("54.300000"), longitude=Decimal("23.250000"))
    at_crossing = make_incident(crossing=crossing, border_sector="")
    in_sector = make_incident(sector=sector, border_sector="")
    nowhere = make_incident(border_sector="Somewhere unknown")
    client = verified_client(officer)

    def page(incident):
        return client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert 'data-lat="54.300000" data-lon="23.250000"' in page(at_point)
    assert 'data-lat="54.357000" data-lon="23.190000"' in page(at_crossing)
    assert 'data-bounds="54.21,23.19,54.357,23.36"' in page(in_sector)
    assert "incident-minimap" not in page(nowhere) and "leaflet.js" not in page(nowhere)


def test_mini_map_shows_a_sector_only_to_a_country_that_sees_it(sector, crossing, partner_officer, outsider_officer):
    place_on_map = selectors.place_on_map
    assert place_on_map(partner_officer, sector_id=sector.pk) == {"bounds": "54.21,23.19,54.357,23.36"}
    assert place_on_map(outsider_officer, sector_id=sector.pk) is None
    assert place_on_map(outsider_officer, crossing_id=crossing.pk) is None
    assert place_on_map(outsider_officer, latitude=Decimal("54.3"), longitude=Decimal("23.2")) == {
        "lat": 54.3,
        "lon": 23.2,
    }
