"""In Chromium: sign in with password and TOTP code, and see the dashboard; and the flows that
cross from one country to another (agreements, incidents, patrols, information exchange)."""

import os
from pathlib import Path

import pytest

from borders import services as borders
from tests.conftest import PASSWORD, PDF_BYTES, chromium_path, current_code, lt_to_pl_clause, require
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


def sign_in(page, base_url, user, device):
    page.goto(f"{base_url}/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/account/mfa/verify/**")
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base_url}/")


@pytest.fixture
def enrolled_admin(agency_admin):
    return agency_admin, TOTPDeviceFactory(user=agency_admin)


def test_sign_in_with_mfa_and_see_dashboard(enrolled_admin, live_server, page):
    agency_admin, device = enrolled_admin
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/")
    assert "/account/login/" in page.url
    sign_in(page, live_server.url, agency_admin, device)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_role("link", name="Users", exact=True).is_visible()
    assert not errors, f"console errors (CSP violations show here): {errors}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


@pytest.fixture
def liaison_with_partner(owner_liaison, partner_agency, partner_liaison, tmp_path):
    device = TOTPDeviceFactory(user=owner_liaison)
    pdf = tmp_path / "signed-mou.pdf"
    pdf.write_bytes(PDF_BYTES)
    return owner_liaison, device, pdf


def test_liaison_officer_puts_an_mou_with_a_clause_in_force(liaison_with_partner, live_server, page):
    liaison, device, pdf = liaison_with_partner
    sign_in(page, live_server.url, liaison, device)

    page.get_by_role("link", name="Agreements", exact=True).click()
    page.get_by_role("link", name="New agreement").click()
    page.get_by_label("Kind").select_option("mou")
    page.get_by_label("Reference number").fill("MoU/LT-PL/2026/09")
    page.get_by_label("Title").fill("Exchange on document fraud")
    page.get_by_label("Parties").select_option(
        label=["Lithuania · State Border Guard Service (LT-SBGS)", "Poland · Polish Border Guard (PL-SG)"]
    )
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The agreement was created as a draft.").wait_for()

    page.get_by_role("link", name="Add a clause").click()
    page.get_by_label("Providing party").select_option(label="Poland")
    page.get_by_label("Receiving party").select_option(label="Lithuania")
    page.get_by_label("document fraud").check()
    page.get_by_label("Highest marking shared").select_option("AMBER")
    page.get_by_label("Retention (days)").fill("30")
    page.get_by_label("Purpose").fill("Detection of forged travel documents.")
    page.get_by_role("button", name="Save clause").click()

    page.get_by_role("link", name="Open negotiation").click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Record the signature").click()
    page.get_by_label("Signed on").fill("2026-01-15")
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("link", name="Upload a document").click()
    page.get_by_label("Title").fill("Signed text")
    page.get_by_label("Kind").select_option("signed")
    page.get_by_label("File").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("The document was uploaded.").wait_for()

    page.get_by_role("link", name="Put in force").click()
    page.get_by_label("Effective from").fill("2026-02-01")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("The agreement is now in force.").wait_for()

    sentence = (
        "Poland shares document fraud incidents up to TLP:AMBER with Lithuania, automatically; "
        "personal data withheld; kept 30 days."
    )
    assert page.get_by_text(sentence).is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "agreement-in-force.png"), full_page=True)


@pytest.fixture
def incident_people(lt_pl_in_force, officer, supervisor, partner_officer, outsider_officer, tmp_path):
    import io

    from PIL import Image

    devices = {
        user.username: TOTPDeviceFactory(user=user) for user in (officer, supervisor, partner_officer, outsider_officer)
    }
    photo = tmp_path / "lorry.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 90, 160)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    return devices, photo


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/account/login/**")


def test_incident_filed_validated_and_seen_by_the_partner_only(
    incident_people, officer, supervisor, partner_officer, outsider_officer, live_server, page
):
    devices, photo = incident_people
    base = live_server.url
    incident_sector = borders.sector_save(
        actor=supervisor,
        code="LT-MED",
        name="Medininkai",
        geometry={"type": "LineString", "coordinates": [[25.55, 54.50], [25.65, 54.54], [25.75, 54.58]]},
    )
    sign_in(page, base, officer, devices[officer.username])
    page.get_by_role("link", name="Incidents", exact=True).click()
    page.get_by_role("link", name="File an incident").click()
    page.get_by_label("Category").select_option("smuggling_goods")
    page.get_by_label("When it happened").fill("2026-11-20T08:30")
    page.locator("#pick-map").click(position={"x": 160, "y": 120})
    assert page.get_by_label("Latitude").input_value() != ""
    # The click suggests the nearest sector of the country and pre-selects it.
    page.get_by_text("nearest sector: LT-MED Medininkai").wait_for()
    assert page.get_by_label("Border sector").input_value() == str(incident_sector.pk)
    page.get_by_label("Description").fill("Cigarettes hidden under a load of timber")
    page.get_by_label("Handling marking").select_option("GREEN")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Submit it when it is complete").wait_for()
    page.get_by_label("Photo or document").set_input_files(str(photo))
    page.get_by_role("button", name="Attach").click()
    page.get_by_text("The file was attached.").wait_for()
    page.get_by_role("button", name="Submit for validation").click()
    page.get_by_text("The incident was submitted for validation.").wait_for()
    reference = page.locator("h1").inner_text().split(" ")[0]
    sign_out(page)

    sign_in(page, base, supervisor, devices[supervisor.username])
    page.goto(f"{base}/incidents/")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Validate").click()
    page.locator(".message-success", has_text="validated and shared").wait_for()
    sign_out(page)

    sign_in(page, base, partner_officer, devices[partner_officer.username])
    page.goto(f"{base}/incidents/")
    assert page.get_by_role("link", name=reference).is_visible()
    page.goto(f"{base}/incidents/map/")
    page.locator(".leaflet-interactive[class*=severity-]").first.wait_for()
    assert page.locator(".leaflet-interactive[class*=severity-]").count() == 1
    # LT's sector, which PL sees under the agreement in force, is layered on the same map.
    page.locator(".map-legend", has_text="Border sectors").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "partner-incident-map.png"), full_page=True)
    sign_out(page)

    sign_in(page, base, outsider_officer, devices[outsider_officer.username])
    page.goto(f"{base}/incidents/")
    assert page.get_by_role("link", name=reference).count() == 0
    page.goto(f"{base}/incidents/map/")
    page.get_by_text("No incident with a place matches.").wait_for()
    assert page.locator(".leaflet-interactive").count() == 0


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


@pytest.fixture
def patrol_people(lt_pl_in_force, owner_liaison, partner_officer, outsider_officer):
    devices = {
        user.username: TOTPDeviceFactory(user=user) for user in (owner_liaison, partner_officer, outsider_officer)
    }
    return lt_pl_in_force, devices


def test_liaison_plans_a_joint_patrol_and_the_partner_officer_sees_it_in_the_calendar(
    patrol_people, owner_liaison, partner_officer, outsider_officer, live_server, page
):
    import datetime

    from django.utils import timezone

    agreement, devices = patrol_people
    base = live_server.url
    borders.sector_save(
        actor=owner_liaison,
        code="LT-DRU",
        name="Druskininkai",
        geometry={"type": "LineString", "coordinates": [[23.90, 54.00], [23.98, 54.02], [24.05, 54.08]]},
    )
    day = timezone.localdate() + datetime.timedelta(days=1)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    sign_in(page, base, owner_liaison, devices[owner_liaison.username])
    page.get_by_role("link", name="Patrols", exact=True).click()
    page.get_by_text("No joint patrol").first.wait_for()
    page.get_by_role("link", name="Plan a joint patrol").click()
    page.get_by_label("Title").fill("Neris river night watch")
    page.get_by_label("Governing agreement").select_option(str(agreement.pk))
    page.get_by_label("Border sector").select_option(label="LT · LT-DRU · Druskininkai")
    page.get_by_label("Planned start").fill(f"{day:%Y-%m-%d}T20:00")
    page.get_by_label("Planned end").fill(f"{day + datetime.timedelta(days=1):%Y-%m-%d}T04:00")
    page.get_by_label("Commanding agency").select_option(label="Lithuania · State Border Guard Service (LT-SBGS)")
    page.get_by_label("Participating agencies").select_option(label=["Poland · Polish Border Guard (PL-SG)"])
    page.get_by_label("Officers").select_option(str(partner_officer.pk))
    route_map = page.locator("#route-map")
    for x, y in [(80, 60), (160, 110), (240, 90)]:
        route_map.click(position={"x": x, "y": y})
    assert '"LineString"' in page.locator("#id_route").input_value()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The joint patrol was saved; the officers were told.").wait_for()
    assert page.get_by_role("heading", name="Neris river night watch").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "patrol-planned.png"), full_page=True)
    sign_out(page)

    sign_in(page, base, partner_officer, devices[partner_officer.username])
    page.get_by_role("link", name="Calendar", exact=True).click()
    if day.month != timezone.localdate().month:
        page.get_by_role("link", name="Next →").click()
    entry = page.locator("a.calendar-item", has_text="Neris river night watch")
    entry.first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "partner-calendar.png"), full_page=True)
    entry.first.click()
    assert page.get_by_role("heading", name="Neris river night watch").is_visible()
    assert page.get_by_text("Druskininkai").first.is_visible()
    assert not errors, f"console errors: {errors}"
    sign_out(page)

    # A country that does not take part sees neither the calendar entry nor the page.
    sign_in(page, base, outsider_officer, devices[outsider_officer.username])
    page.get_by_role("link", name="Calendar", exact=True).click()
    if day.month != timezone.localdate().month:
        page.get_by_role("link", name="Next →").click()
    assert page.locator("a.calendar-item", has_text="Neris river night watch").count() == 0


PLATE = {"kind": "plate", "value": "WPR 4471K", "country": "PL"}


@pytest.fixture
def exchange_people(
    make_agreement, make_incident, lithuania, owner_liaison, partner_liaison, partner_officer, partner_supervisor
):
    """LT and PL name their border guards as single points of contact; an LT-PL MoU in force lets
    LT check PL's incidents for plates (and shares no tobacco smuggling); a validated PL incident
    holds a lorry's plate."""
    from django.core.cache import cache

    from exchange import services as exchange
    from incidents import services as incidents
    from portal.models import Country

    poland = Country.objects.get(pk="PL")
    clause = lt_to_pl_clause(
        lithuania, provider=poland, receiver=lithuania, categories=["document_fraud"], hit_no_hit_kinds=["plate"]
    )
    agreement = make_agreement("in_force", clause=clause, reference="MoU/LT-PL/2026/11")
    for liaison in (owner_liaison, partner_liaison):
        exchange.spoc_set(actor=liaison, agency=liaison.agency, languages=["en"], email="spoc@example.org")
    incident = make_incident(
        "submitted",
        reporter=partner_officer,
        category="smuggling_tobacco",
        description="Cigarettes under a load of timber",
        border_sector="Budzisko",
        identifiers=[PLATE],
    )
    incident = incidents.incident_validate(incident=incident, actor=partner_supervisor)
    cache.clear()  # the hourly counters of hit/no-hit checks outlive other tests' databases
    devices = {user.username: TOTPDeviceFactory(user=user) for user in (owner_liaison, partner_liaison)}
    return agreement, incident, devices


def test_hit_on_a_partners_plate_leads_to_a_request_answered_by_its_spoc(
    exchange_people, owner_liaison, partner_liaison, live_server, page
):
    import re

    agreement, incident, devices = exchange_people
    base = live_server.url
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # LT's liaison officer checks the plate, typed as it was read off the lorry.
    sign_in(page, base, owner_liaison, devices[owner_liaison.username])
    page.get_by_role("link", name="Hit/no-hit check", exact=True).click()
    page.get_by_label("Kind").select_option("plate")
    page.get_by_label("Identifier").fill("wpr 4471k")
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("Purpose").fill("Lorry suspected of carrying cigarettes through Kalvarija")
    page.get_by_role("button", name="Check").click()
    page.get_by_role("heading", name="Result of the check").wait_for()
    row = page.locator("tr.hit", has_text="Poland (PL)")
    assert row.locator("td").nth(1).inner_text() == "Hit"
    assert row.locator("td").nth(2).inner_text() == incident.reference
    # Only the reference: nothing of the incident, and no way into it.
    assert page.get_by_role("link", name=incident.reference).count() == 0
    assert page.get_by_text("Cigarettes under a load of timber").count() == 0
    assert page.get_by_text("Budzisko").count() == 0
    page.screenshot(path=str(ARTIFACTS / "exchange-hit.png"), full_page=True)

    # The offer of a request opens the form filled in for PL, the plate and the hit.
    row.get_by_role("link", name="Request the information").click()
    page.get_by_role("heading", name="New request for information").wait_for()
    assert page.locator("#id_requested_country").input_value() == "PL"
    assert page.locator("#id_identifiers-0-kind").input_value() == "plate"
    assert page.locator("#id_identifiers-0-value").input_value() == "WPR4471K"
    assert page.locator("#id_identifiers-0-country").input_value() == "PL"
    assert page.locator("#id_hit").input_value().isdigit()
    assert page.get_by_text(f"which found {incident.reference}, held by Poland").is_visible()
    page.get_by_label("Subject").fill("Keeper of a lorry seen at Kalvarija")
    page.get_by_label("Information sought").fill("The registered keeper of the lorry and its crossings this month.")
    page.get_by_label("Purpose").fill("Investigation of cigarette smuggling across the LT-PL border.")
    page.get_by_label("Legal basis").select_option("agreement")
    page.locator("#id_agreement").select_option(str(agreement.pk))
    page.get_by_label("Urgent").check()
    assert page.get_by_label("Directly accessible to the receiver").is_checked()
    page.get_by_role("button", name="Send the request").click()
    page.get_by_text("was sent; the answer is due").wait_for()
    reference = page.locator("h1").inner_text().split(" · ")[0]
    assert re.fullmatch(r"RFI-LT-\d{4}-000001", reference)
    detail_url = page.url

    # PL's single point of contact receives it on the 8-hour clock of an urgent request.
    spoc = page.context.browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    spoc.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(spoc, base, partner_liaison, devices[partner_liaison.username])
    spoc.get_by_role("link", name="Requests", exact=True).click()
    spoc.get_by_role("link", name=reference).click()
    spoc.get_by_role("heading", name=re.compile(reference)).wait_for()
    assert re.fullmatch(r"due in 7 h \d+ min", spoc.locator(".facts .clock").inner_text())
    assert spoc.get_by_text("legal limit 8 h 0 min").is_visible()
    assert spoc.get_by_role("link", name=incident.reference).is_visible()  # its own incident, from the hit
    spoc.get_by_role("link", name="Answer", exact=True).click()
    spoc.get_by_label("Full answer").check()
    answer = "Keeper: Transport Nowak sp. z o.o., Suwalki. Three crossings at Budzisko this month."
    spoc.get_by_label("Information provided").fill(answer)
    spoc.get_by_role("button", name="Send the answer").click()
    spoc.get_by_text("Your answer was sent.").wait_for()
    spoc.context.close()

    # LT reads the answer; the request is closed.
    page.goto(detail_url)
    page.get_by_text(answer).wait_for()
    facts = page.locator(".facts")
    assert "Answered" in facts.locator("dd").first.inner_text()
    assert page.get_by_role("link", name="Answer", exact=True).count() == 0
    assert not errors, f"console errors (CSP violations show here): {errors}"
    page.screenshot(path=str(ARTIFACTS / "exchange-answered.png"), full_page=True)
