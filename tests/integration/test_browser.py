"""In Chromium: sign in with password and TOTP code, and see the dashboard."""

import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, chromium_path, current_code, require
from tests.factories import TOTPDeviceFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "artifacts"
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page():
    path = chromium_path()
    require(Path(path).exists(), f"Chromium at {path}")
    # Playwright's sync API runs an event loop in this thread. Tests create their data before
    # this fixture starts (ORM calls made while it runs would open connections in another
    # context that are never closed); the flag only covers Django's check on that loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        yield context.new_page()
        context.close()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def enrolled_admin(agency_admin):
    return agency_admin, TOTPDeviceFactory(user=agency_admin)


def test_sign_in_with_mfa_and_see_dashboard(enrolled_admin, live_server, page):
    agency_admin, device = enrolled_admin
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/")
    assert "/account/login/" in page.url
    page.get_by_label("Username").fill(agency_admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/account/mfa/verify/**")
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_role("link", name="Users", exact=True).is_visible()
    assert not errors, f"console errors (CSP violations show here): {errors}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_enrolment_page_shows_qr_code(officer, live_server, page):
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Username").fill(officer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/account/mfa/setup/**")
    qr = page.locator(".qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mfa-setup.png"), full_page=True)
