"""In Chromium, with no tile server: the incident map draws the built-in base map (land, lakes,
rivers, coasts, borders and place names) from the portal alone, down to a crossing point on the
LT-PL border."""

from urllib.parse import urlparse

import pytest

from tests.factories import TOTPDeviceFactory
from tests.integration.test_browser import ARTIFACTS, page, sign_in  # noqa: F401 (page is a fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Leaflet keeps no list of its maps: this keeps one, for the test to move the map as a user would.
KEEP_MAPS = """
window.testMaps = [];
let leaflet;
Object.defineProperty(window, "L", {
  configurable: true,
  get: () => leaflet,
  set: (value) => { leaflet = value; value.Map.addInitHook(function () { window.testMaps.push(this); }); },
});
"""


def drawn(tab, selector):
    """How many of the selector's SVG paths have a shape on screen (Leaflet empties the others)."""
    return tab.eval_on_selector_all(selector, "paths => paths.filter((p) => p.getAttribute('d') !== 'M0 0').length")


def test_incident_map_draws_the_base_map_without_a_tile_server(settings, officer, live_server, page):  # noqa: F811
    settings.MAP_TILE_URL = ""
    device = TOTPDeviceFactory(user=officer)
    page.add_init_script(KEEP_MAPS)
    hosts, errors = set(), []
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server.url, officer, device)

    page.goto(f"{live_server.url}/incidents/map/")
    # The first request builds the layers for the region: a few seconds on a fresh portal.
    page.wait_for_selector(".basemap-country", timeout=60_000)
    assert drawn(page, "path.basemap-land") >= 5
    assert drawn(page, "path.basemap-coast") >= 5
    assert drawn(page, "path.basemap-border") >= 10
    names = page.locator(".basemap-country").all_inner_texts()
    assert {"LITHUANIA", "LATVIA", "ESTONIA"} <= {name.upper() for name in names}

    # Water: the large lakes at every zoom; rivers only from zoom 6, the large ones first.
    page.wait_for_function("document.querySelectorAll('path.basemap-lake').length > 0", timeout=10_000)
    assert drawn(page, "path.basemap-lake") >= 5
    assert drawn(page, "path.basemap-river") == 0, "zoom 5 shows no river"
    page.evaluate("window.testMaps[0].setView([54.9, 23.9], 7)")
    page.wait_for_function("document.querySelectorAll('path.basemap-river').length > 0", timeout=10_000)
    assert drawn(page, "path.basemap-river") >= 3
    page.evaluate("window.testMaps[0].setView([58.7, 27.5], 10)")
    page.wait_for_timeout(300)
    assert drawn(page, "path.basemap-lake") >= 1, "Lake Peipus"
    assert drawn(page, "path.basemap-border") >= 1, "the EE-RU border runs on through the lake"

    # Down to a crossing point: the border is still drawn, with the country named on each side.
    page.evaluate("window.testMaps[0].setView([54.0, 23.5], 11)")
    page.wait_for_selector(".basemap-side", timeout=10_000)
    sides = {name.upper() for name in page.locator(".basemap-side").all_inner_texts()}
    assert {"LITHUANIA", "POLAND"} <= sides
    assert drawn(page, "path.basemap-border") >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#incident-map").screenshot(path=str(ARTIFACTS / "basemap-lt-pl.png"))

    assert hosts == {urlparse(live_server.url).netloc}, f"requests to other hosts: {hosts}"
    assert not errors, f"console errors: {errors}"
