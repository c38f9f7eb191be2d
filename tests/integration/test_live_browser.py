"""In Chromium: a partner's open map and dashboard show an incident within seconds of its
validation in the reporting country, marked new, with no reload."""

import os
import time
from pathlib import Path

import pytest

from tests.conftest import chromium_path, require
from tests.factories import TOTPDeviceFactory
from tests.integration.test_browser import ARTIFACTS, CHROMIUM_ARGS, sign_in

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LIVE_WITHIN_S = 5


@pytest.fixture
def submitted(lt_pl_in_force, make_incident, supervisor, partner_officer):
    """An LT incident awaiting validation, and the devices of its supervisor and the PL officer.
    Made before the browser starts (no ORM calls while Playwright's loop runs in this thread)."""
    incident = make_incident(
        "submitted", latitude="54.540000", longitude="25.640000", severity="high", description="Live test"
    )
    return incident, {user.username: TOTPDeviceFactory(user=user) for user in (supervisor, partner_officer)}


@pytest.fixture
def chromium():
    path = chromium_path()
    require(Path(path).exists(), f"Chromium at {path}")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as the `page` fixture of test_browser
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_partner_map_and_dashboard_show_a_validated_incident_live(
    submitted, supervisor, partner_officer, live_server, chromium
):
    incident, devices = submitted
    base = live_server.url
    partner = chromium.new_context(viewport={"width": 1024, "height": 768})
    dashboard = partner.new_page()
    errors = []
    dashboard.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(dashboard, base, partner_officer, devices[partner_officer.username])
    map_page = partner.new_page()
    map_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    map_page.goto(f"{base}/incidents/map/")
    map_page.get_by_text("No incident with a place matches.").wait_for()
    marker = map_page.locator(".leaflet-interactive.severity-high")
    assert marker.count() == 0
    assert dashboard.locator("#live-latest li").count() == 0
    navigations = []
    for page in (dashboard, map_page):
        page.evaluate("window.openedOnce = 'still the same page'")
        page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame.parent_frame is None else None)

    desk = chromium.new_context(viewport={"width": 1024, "height": 768})
    validating = desk.new_page()
    sign_in(validating, base, supervisor, devices[supervisor.username])
    validating.goto(f"{base}/incidents/{incident.pk}/")
    validating.get_by_role("button", name="Validate").click()
    validating.get_by_text("validated and shared").wait_for()
    committed = time.monotonic()

    deadline_ms = LIVE_WITHIN_S * 1000
    marker.first.wait_for(timeout=deadline_ms)
    line = dashboard.locator("#live-latest li", has_text=incident.reference)
    line.wait_for(timeout=max(1, deadline_ms - (time.monotonic() - committed) * 1000))
    assert time.monotonic() - committed <= LIVE_WITHIN_S
    assert line.locator(".badge-new").inner_text() == "New"
    assert marker.count() == 1
    assert "live-new" in (marker.first.get_attribute("class") or "")
    assert dashboard.title().startswith("(1) ")
    for page in (dashboard, map_page):
        assert page.evaluate("window.openedOnce") == "still the same page"
    assert navigations == []
    assert not errors, f"console errors (CSP violations show here): {errors}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dashboard.screenshot(path=str(ARTIFACTS / "live-dashboard.png"), full_page=True)
    map_page.screenshot(path=str(ARTIFACTS / "live-map.png"), full_page=True)

    # Using the page while it is on screen counts as seeing it: the mark goes, here and on reload.
    dashboard.bring_to_front()
    dashboard.locator("h1").click()
    dashboard.locator("#live-latest li.live-new").first.wait_for(state="detached", timeout=5000)
    dashboard.reload()
    assert dashboard.locator("#live-latest .badge-new").count() == 0
    partner.close()
    desk.close()
