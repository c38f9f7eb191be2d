"""Who sees a border sector, its crossing points and its level history: the owning country, and
a partner under an agreement in force at the moment of the read; a country without one gets 404
on every page and API endpoint, and finds the sector in no list, map or lookup."""

import pytest
from django.urls import reverse

from borders.models import BorderSector, CrossingPoint, ImpactLevelChange

pytestmark = pytest.mark.django_db

SECRET_TEXTS = ("LT-PL-2", "Kalvarija-Budzisko", "Groups guided by smugglers", "Via Baltica section")


def _pages(sector, crossing):
    return {
        "list": reverse("borders:list"),
        "map": reverse("borders:geojson"),
        "detail": reverse("borders:detail", args=[sector.pk]),
    }


def _api(sector, crossing):
    return {
        "sectors": "/api/v1/borders/sectors/",
        "sector": f"/api/v1/borders/sectors/{sector.pk}/",
        "crossings": "/api/v1/borders/crossings/",
        "crossing": f"/api/v1/borders/crossings/{crossing.pk}/",
        "nearest": "/api/v1/borders/nearest/?lat=54.35&lon=23.2&country=LT",
    }


def _sees_everything(client, sector, crossing, *, session=True):
    if session:
        for name, path in _pages(sector, crossing).items():
            text = client.get(path).content.decode()
            assert "LT-PL-2" in text, name
        detail = client.get(reverse("borders:detail", args=[sector.pk])).content.decode()
        assert "Kalvarija-Budzisko" in detail and "Groups guided by smugglers" in detail
    sector_api = client.get(f"/api/v1/borders/sectors/{sector.pk}/").json()
    assert sector_api["impact_level"] == "high" and sector_api["geometry"]["type"] == "LineString"
    assert [c["code"] for c in sector_api["crossing_points"]] == ["LT-KAL"]
    assert sector_api["level_history"][0]["reason"].startswith("Groups guided")
    assert client.get(f"/api/v1/borders/crossings/{crossing.pk}/").json()["sector"] == "LT-PL-2"
    assert [s["code"] for s in client.get("/api/v1/borders/sectors/").json()["results"]] == ["LT-PL-2"]
    nearest = client.get("/api/v1/borders/nearest/", {"lat": 54.35, "lon": 23.2, "country": "LT"}).json()
    assert nearest["sector"]["code"] == "LT-PL-2" and nearest["crossing"]["code"] == "LT-KAL"


def _sees_nothing(client, sector, crossing, *, session=True):
    if session:
        for name in ("list", "map"):
            response = client.get(_pages(sector, crossing)[name])
            assert response.status_code == 200, name
            assert not any(text in response.content.decode() for text in SECRET_TEXTS), name
        for path in (
            reverse("borders:detail", args=[sector.pk]),
            reverse("borders:edit", args=[sector.pk]),
            reverse("borders:level", args=[sector.pk]),
            reverse("borders:crossing_edit", args=[crossing.pk]),
        ):
            assert client.get(path).status_code == 404, path
            assert client.post(path, {"level": "low", "reason": "x"}).status_code == 404, path
    for name, path in _api(sector, crossing).items():
        response = client.get(path)
        if name in {"sector", "crossing"}:
            assert response.status_code == 404, name
            missing = client.get(path.replace(f"/{sector.pk if name == 'sector' else crossing.pk}/", "/987654/"))
            assert (missing.status_code, missing.content) == (response.status_code, response.content), name
        else:
            assert response.status_code == 200, name
            assert not any(text in response.content.decode() for text in SECRET_TEXTS), name
    nearest = client.get("/api/v1/borders/nearest/", {"lat": 54.35, "lon": 23.2, "country": "LT"}).json()
    assert nearest["sector"] is None and nearest["crossing"] is None


def test_owner_and_partner_see_sector_crossing_and_history_on_every_page_and_endpoint(
    sector, crossing, level_change, signed_in, supervisor, partner_officer, key_client, owner_agency, partner_agency
):
    for client in (signed_in(supervisor), signed_in(partner_officer)):
        _sees_everything(client, sector, crossing)
    for client in (key_client(owner_agency), key_client(partner_agency)):
        _sees_everything(client, sector, crossing, session=False)


def test_country_without_agreement_gets_404_and_finds_nothing(
    sector, crossing, level_change, signed_in, outsider_officer, key_client, outsider_agency
):
    _sees_nothing(signed_in(outsider_officer), sector, crossing)
    _sees_nothing(key_client(outsider_agency), sector, crossing, session=False)


def test_partner_loses_the_sector_when_the_agreement_expires_with_no_task_run(
    sector, crossing, level_change, signed_in, partner_officer, supervisor, key_client, partner_agency, clock
):
    key = key_client(partner_agency)
    _sees_everything(key, sector, crossing, session=False)
    _sees_everything(signed_in(partner_officer), sector, crossing)
    clock.advance(days=11)  # past the agreement's expiry date; nothing runs in between
    _sees_nothing(signed_in(partner_officer), sector, crossing)
    _sees_nothing(key, sector, crossing, session=False)
    # The owner still sees its own.
    _sees_everything(signed_in(supervisor), sector, crossing)


def test_the_gate_of_each_model_follows_the_agreement(sector, crossing, level_change, partner_officer, clock):
    for model in (BorderSector, CrossingPoint, ImpactLevelChange):
        assert model.objects.visible_to(partner_officer).count() == 1, model
    clock.advance(days=11)
    for model in (BorderSector, CrossingPoint, ImpactLevelChange):
        assert not model.objects.visible_to(partner_officer).exists(), model


def test_a_key_without_the_borders_scope_is_refused(sector, key_client, partner_agency):
    from portal.models import APIScope

    client = key_client(partner_agency, scopes=(APIScope.INCIDENTS_READ,))
    for path in ("/api/v1/borders/sectors/", f"/api/v1/borders/sectors/{sector.pk}/", "/api/v1/borders/nearest/"):
        assert client.get(path).status_code == 403, path


def test_sector_page_lists_only_incidents_the_incident_gate_gives(
    sector, make_incident, signed_in, supervisor, partner_officer
):
    shared = make_incident("validated", category="smuggling_goods", marking="GREEN", border_sector="Kalvarija")
    own = make_incident("validated", category="trafficking", marking="GREEN", border_sector="LT-PL-2")
    assert shared.sector_id == own.sector_id == sector.pk  # typed names linked on filing
    owner_page = signed_in(supervisor).get(reverse("borders:detail", args=[sector.pk])).content.decode()
    assert shared.reference in owner_page and own.reference in owner_page
    partner_page = signed_in(partner_officer).get(reverse("borders:detail", args=[sector.pk])).content.decode()
    assert shared.reference in partner_page  # smuggling of goods is in PL's clause
    assert own.reference not in partner_page  # trafficking is not: the incident gate withholds it


def test_the_map_layer_is_geojson_with_levels_and_a_legend(sector, crossing, level_change, signed_in, supervisor):
    response = signed_in(supervisor).get(reverse("borders:geojson"))
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    kinds = {f["properties"]["kind"]: f for f in data["features"]}
    assert kinds["sector"]["properties"]["level"] == "high" and kinds["sector"]["geometry"] == sector.geometry
    assert kinds["crossing"]["geometry"] == {"type": "Point", "coordinates": [23.19, 54.357]}
    assert [level["value"] for level in data["legend"]["levels"]] == ["low", "medium", "high", "critical"]
