"""The built-in base map: its layers (land, coasts, borders, places, lakes, rivers) are valid GeoJSON
of the portal's region, small enough for a border post's link, served compressed and cached, and
the map pages load nothing from elsewhere."""

import gzip
import json
import re
from urllib.parse import urlparse

import geojson
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from shapely.geometry import Point, box, shape

from portal import basemap
from portal.settings import env_region

MAX_COMPRESSED = 2 * 1024 * 1024
# The LT-PL border runs from the tripoint with Russia (Kaliningrad) to the one with Belarus.
LT_PL_ENDS = (Point(22.79, 54.36), Point(23.51, 53.95))
MAP_PAGES = ("/incidents/map/", "/incidents/new/")


def layer(client, name, **headers):
    return client.get(f"/basemap/{name}.geojson", **headers)


def document(response):
    body = b"".join(response.streaming_content)
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return geojson.loads(body.decode())


@pytest.fixture
def signed_in(verified_client, officer):
    return verified_client(officer)


def test_layers_are_valid_geojson_of_the_region(signed_in):
    region = box(*settings.MAP_REGION)
    for name in basemap.LAYERS:
        response = layer(signed_in, name)
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/geo+json"
        collection = document(response)
        assert collection.is_valid, (name, collection.errors())
        assert collection["bbox"] == list(settings.MAP_REGION)
        assert collection["features"], f"{name} is empty"
        for feature in collection["features"]:
            # Clipped to the region: nothing of it lies further out than rounding moves it.
            assert region.buffer(1e-3).contains(shape(feature["geometry"])), (name, feature["properties"])


def test_borders_hold_the_lithuanian_polish_border(signed_in):
    borders = document(layer(signed_in, "borders"))["features"]
    pairs = {tuple(feature["properties"]["countries"]) for feature in borders}
    assert {("LT", "PL"), ("LT", "LV"), ("BY", "LT"), ("LT", "RU"), ("EE", "RU"), ("FI", "RU")} <= pairs
    lt_pl = shape(next(f for f in borders if f["properties"]["countries"] == ["LT", "PL"])["geometry"])
    # 1:10m, not 1:110m: the line follows the border within a few hundred metres, end to end.
    for end in LT_PL_ENDS:
        assert lt_pl.distance(end) < 0.02
    assert 0.9 < lt_pl.length < 1.3, "104 km, in degrees of that latitude"
    vertices = lt_pl.coords if lt_pl.geom_type == "LineString" else [c for g in lt_pl.geoms for c in g.coords]
    assert len(vertices) > 30, "a 1:110m line has a handful of vertices"


def test_land_coast_and_places_name_the_demo_countries(signed_in):
    land = {feature["properties"]["country"] for feature in document(layer(signed_in, "land"))["features"]}
    assert {"LT", "LV", "EE", "PL", "FI", "BY", "RU", "SE", "NO", "DE"} <= land
    coast = {feature["properties"]["country"] for feature in document(layer(signed_in, "coastline"))["features"]}
    assert {"LT", "LV", "EE", "PL", "FI"} <= coast
    assert "BY" not in coast, "a land-locked country has no coastline"
    places = document(layer(signed_in, "places"))["features"]
    towns = {f["properties"]["name"]: f for f in places if f["properties"]["kind"] == "town"}
    assert {"Vilnius", "Riga", "Tallinn", "Helsinki", "Warsaw", "Lazdijai", "Sejny"} <= set(towns)
    assert towns["Vilnius"]["properties"]["population"] > 500000
    countries = {f["properties"]["country"] for f in places if f["properties"]["kind"] == "country"}
    assert {"LT", "LV", "EE", "PL", "FI"} <= countries
    sides = {f["properties"]["country"] for f in places if f["properties"]["kind"] == "side"}
    assert {"LT", "PL"} <= sides


def test_lakes_hold_the_large_lakes_of_the_region_as_water(signed_in):
    lakes = document(layer(signed_in, "lakes"))["features"]
    assert {feature["geometry"]["type"] for feature in lakes} <= {"Polygon", "MultiPolygon"}
    water = [shape(feature["geometry"]) for feature in lakes]

    def lake_at(lon, lat):
        return next((lake for lake in water if lake.contains(Point(lon, lat))), None)

    # Peipus on the EE-RU border, Ladoga, Päijänne, and the Vistula Lagoon, which Natural Earth's
    # land covers: each is drawn as water.
    for name, lon, lat in (("Peipus", 27.5, 58.7), ("Ladoga", 31.5, 61.0), ("Päijänne", 25.5, 61.5)):
        assert lake_at(lon, lat) is not None, name
    assert lake_at(27.5, 58.7).area > 0.3, "Peipus is some 3,500 km2, not a sliver"
    assert lake_at(19.8, 54.45) is not None, "the Vistula Lagoon"
    # An island in a lake is land: Valaam, in Ladoga, is no water.
    assert lake_at(30.95, 61.38) is None
    assert lake_at(25.28, 54.69) is None, "Vilnius is dry land"


def test_rivers_hold_the_nemunas_and_the_daugava_ranked_by_length(signed_in):
    rivers = document(layer(signed_in, "rivers"))["features"]
    assert {feature["geometry"]["type"] for feature in rivers} <= {"LineString", "MultiLineString"}
    assert {feature["properties"]["rank"] for feature in rivers} == {1, 2, 3}

    def near(lon, lat):
        return min(rivers, key=lambda feature: shape(feature["geometry"]).distance(Point(lon, lat)))

    for name, lon, lat in (("Nemunas at Kaunas", 23.9, 54.9), ("Daugava at Riga", 24.1, 56.95)):
        river = near(lon, lat)
        assert shape(river["geometry"]).distance(Point(lon, lat)) < 0.03, name
        # A large river system, drawn from the country-wide zoom on.
        assert river["properties"]["rank"] == 1 and river["properties"]["km"] > 500, name


def test_every_layer_is_under_two_megabytes_compressed(signed_in):
    for name in basemap.LAYERS:
        response = layer(signed_in, name, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response["Content-Encoding"] == "gzip"
        body = b"".join(response.streaming_content)
        assert len(body) <= MAX_COMPRESSED, f"{name}: {len(body)} bytes compressed"


def test_every_file_a_map_page_loads_is_local_and_under_two_megabytes_compressed(signed_in):
    for page in MAP_PAGES:
        response = signed_in.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        loads = re.findall(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"', html)
        assert any("leaflet.js" in url for url in loads) and any("portal-map.js" in url for url in loads)
        for url in loads:
            parsed = urlparse(url)
            assert not parsed.netloc and not parsed.scheme, f"{page} loads {url} from another host"
            if parsed.path.startswith(settings.STATIC_URL):
                found = finders.find(parsed.path.removeprefix(settings.STATIC_URL))
                assert found, url
                with open(found, "rb") as handle:
                    size = len(gzip.compress(handle.read()))
                assert size <= MAX_COMPRESSED, f"{url}: {size} bytes compressed"
        # Nor may a script fetch or draw anything from elsewhere: the policy allows this host only.
        policy = response["Content-Security-Policy"]
        assert "http" not in policy, policy
        assert 'name="portal-basemap" content="/basemap/LAYER.geojson"' in html


def test_layers_are_cached_by_the_browser(signed_in):
    first = layer(signed_in, "borders", HTTP_ACCEPT_ENCODING="gzip")
    assert "private" in first["Cache-Control"] and "max-age=3600" in first["Cache-Control"]
    assert "Accept-Encoding" in first["Vary"]
    again = layer(signed_in, "borders", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    plain = layer(signed_in, "borders", HTTP_IF_NONE_MATCH=first["ETag"])
    assert plain.status_code == 200 and "Content-Encoding" not in plain, "another representation, another tag"
    refused = layer(signed_in, "borders", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert "Content-Encoding" not in refused


def test_unknown_layer_is_404_and_anonymous_callers_sign_in_first(client, signed_in):
    assert layer(signed_in, "roads").status_code == 404
    client.logout()
    response = layer(client, "land")
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_a_smaller_region_clips_every_layer(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MAP_REGION = (21.0, 53.5, 27.0, 56.5)
    directory = basemap.build()
    assert directory.parent == tmp_path / "basemap"
    land = json.loads((directory / "land.geojson").read_text())
    assert {feature["properties"]["country"] for feature in land["features"]} == {"LT", "LV", "PL", "BY", "RU"}
    for feature in land["features"]:
        assert box(21.0, 53.5, 27.0, 56.5).buffer(1e-3).contains(shape(feature["geometry"]))
    borders = json.loads((directory / "borders.geojson").read_text())
    assert ["LT", "PL"] in [feature["properties"]["countries"] for feature in borders["features"]]
    assert gzip.decompress((directory / "land.geojson.gz").read_bytes()) == (directory / "land.geojson").read_bytes()
    for name in ("lakes", "rivers"):
        features = json.loads((directory / f"{name}.geojson").read_text())["features"]
        assert features, name
        for feature in features:
            assert box(21.0, 53.5, 27.0, 56.5).buffer(1e-3).contains(shape(feature["geometry"])), name


def test_the_water_data_is_part_of_the_version(settings, monkeypatch):
    before = basemap.version()
    real = basemap.metadata.version
    basemap._version.cache_clear()
    monkeypatch.setattr(basemap.metadata, "version", lambda name: "9.9" if name == "basemap-data" else real(name))
    try:
        assert basemap.version() != before, "a new basemap-data builds the layers again"
    finally:
        basemap._version.cache_clear()


def test_region_setting_must_be_four_ordered_numbers(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_REGION", "9,48,33,71.5")
    assert env_region("PORTAL_TEST_REGION", "0,0,1,1") == (9.0, 48.0, 33.0, 71.5)
    for wrong in ("9,48,33", "west,48,33,71", "33,48,9,71", "9,71,33,48", "9,48,200,71"):
        monkeypatch.setenv("PORTAL_TEST_REGION", wrong)
        with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_REGION"):
            env_region("PORTAL_TEST_REGION", "0,0,1,1")
