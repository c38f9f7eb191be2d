"""Partner systems are told of requests for information through the alert pipeline: a request
received (to the requested country), an answer and an extension (to the requesting country), an
answer falling due soon (to the requested country, when the sweep's reminder fires) and a
withdrawal (to the requested country). Each alert is written with the service's action, reaches
the right country's agencies only (pull feed, CAP, signed webhook), carries no text of an answer,
and is served only while its reader may still read the request (LT asks PL; FI sees nothing)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from alerts import delivery as alert_delivery
from alerts.models import Alert, AlertDelivery, Subscription
from exchange import services
from portal.models import APIScope
from tests.alerts.test_cap import cap_schema
from tests.factories import AgencyFactory, UserFactory
from tests.openapi import assert_documented, assert_pushed_as_documented, openapi_schema

pytestmark = pytest.mark.django_db

EVENTS = ("request.received", "request.answered", "request.extended", "request.deadline_approaching")
SECRET_TEXT = "Jan Kowalski, born 1970"


def subscribe(agency, receiver, **fields):
    return Subscription.objects.create(
        agency=agency,
        name=f"Gateway {agency.code}",
        channel="webhook",
        url=receiver.url,
        secrets=[receiver.secret],
        **fields,
    )


def key(api_key, agency, *scopes):
    _record, raw = api_key(scopes=list(scopes or (APIScope.ALERTS_READ, APIScope.ALERTS_ACK)), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def send_waiting(now=None):
    """One attempt at every delivery still waiting, as a worker would make it (none runs)."""
    for row in AlertDelivery.objects.filter(state="pending").order_by("pk"):
        alert_delivery.deliver(row.pk, now=now or row.next_attempt_at)


def pushed(receiver):
    """(subscription id, event type, data) of every push the receiver got, in order."""
    return [(int(message_id.rsplit("_", 1)[1]), body["type"], body["data"]) for message_id, body in receiver.received]


def feed(client, headers):
    return assert_documented(client.get("/api/v1/alerts/", {"kind": "request"}, **headers))["results"]


@pytest.fixture
def gateways(receiver, spocs, owner_agency, partner_agency, outsider_agency):
    """A webhook subscription of each persona's SPOC agency, to one partner server."""
    return {
        agency.country_id: subscribe(agency, receiver) for agency in (owner_agency, partner_agency, outsider_agency)
    }


@pytest.fixture
def feeds(api_key, spocs, owner_agency, partner_agency, outsider_agency):
    return {agency.country_id: key(api_key, agency) for agency in (owner_agency, partner_agency, outsider_agency)}


def later(info_request, **delta):
    return info_request.due_at + datetime.timedelta(**delta)


# --- Who is told of what -------------------------------------------------------------------------


def test_each_event_reaches_the_right_country_only_in_the_feed_and_by_webhook(
    send, gateways, feeds, receiver, partner_liaison, client
):
    info_request = send()
    send_waiting()
    services.request_extend(
        request=info_request, actor=partner_liaison, due_at=later(info_request, days=1), reason="Files"
    )
    send_waiting()
    services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="The keeper is known.")
    send_waiting()
    assert [(sub, kind) for sub, kind, _data in pushed(receiver)] == [
        (gateways["PL"].pk, "request.received"),
        (gateways["LT"].pk, "request.extended"),
        (gateways["LT"].pk, "request.answered"),
    ]
    assert receiver.bad_signatures == 0
    for _message_id, body in receiver.received:
        assert_pushed_as_documented(body["type"], body)
    assert [item["request"]["event"] for item in feed(client, feeds["PL"])] == ["received"]
    assert [item["request"]["event"] for item in feed(client, feeds["LT"])] == ["extended", "answered"]
    assert feed(client, feeds["FI"]) == []
    assert [data for sub, _kind, data in pushed(receiver) if sub == gateways["LT"].pk] == feed(client, feeds["LT"]), (
        "the pushed data is the pull feed's item"
    )


def test_the_push_is_signed_and_its_content_is_minimal(
    send, gateways, receiver, partner_liaison, pl_gives_personal_data
):
    info_request = send(urgent=True)
    services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="partial",
        text="The keeper is known.",
        personal_data=SECRET_TEXT,
        follows="Crossings",
        follows_by=timezone.now() + datetime.timedelta(hours=4),
    )
    send_waiting()
    (_headers, received_raw), (headers, raw) = receiver.raw
    headers = {name.lower(): value for name, value in headers.items()}
    body = Webhook(receiver.secret).verify(raw, headers)
    assert body["type"] == "request.answered"
    assert_pushed_as_documented("request.answered", body)
    data = body["data"]
    assert (data["kind"], data["msg_type"], data["incident"], data["sector"], data["reason"]) == (
        "request",
        "Alert",
        None,
        None,
        None,
    )
    request = data["request"]
    assert request["reference"] == data["reference"] == info_request.reference
    assert (request["event"], request["answer_kind"], request["status"], request["urgent"]) == (
        "answered",
        "partial",
        "partial",
        True,
    )
    assert request["follows_by"] and request["url"].endswith(
        reverse("api_exchange_request_detail", args=[info_request.pk])
    )
    for text in (SECRET_TEXT, "The keeper is known", "Crossings", "Investigation of cigarette smuggling", "WPR4471K"):
        assert text not in raw.decode() and text not in received_raw.decode(), text


def test_a_deadline_approaching_reaches_the_requested_country_when_the_reminder_fires(
    send, gateways, feeds, receiver, client, clock
):
    info_request = send()  # 7 days: the reminder fires 42 hours before the answer is due
    send_waiting()
    clock.advance(days=5, hours=5)
    assert services.requests_sweep_deadlines() == (0, 0)
    assert not Alert.objects.filter(request_event="deadline_approaching").exists()
    clock.advance(hours=2)  # no worker, no beat has run: the sweep is called as beat would call it
    assert services.requests_sweep_deadlines() == (1, 0)
    assert services.requests_sweep_deadlines() == (0, 0), "once per time limit"
    (alert,) = Alert.objects.filter(request_event="deadline_approaching")
    assert alert.country_id == "PL" and alert.msg_type == "Update"
    assert alert.references == Alert.objects.get(info_request=info_request, request_event="received")
    items = feed(client, feeds["PL"])
    assert [item["request"]["event"] for item in items] == ["received", "deadline_approaching"]
    assert items[1]["references"] == items[0]["identifier"]
    assert feed(client, feeds["LT"]) == [] and feed(client, feeds["FI"]) == []
    send_waiting(now=timezone.now())
    assert pushed(receiver)[-1][:2] == (gateways["PL"].pk, "request.deadline_approaching")
    assert len(pushed(receiver)) == 2


def test_an_extension_starts_the_reminder_again(send, partner_liaison, clock):
    info_request = send()
    clock.advance(days=5, hours=7)
    services.requests_sweep_deadlines()
    services.request_extend(request=info_request, actor=partner_liaison, due_at=later(info_request, days=3), reason="x")
    clock.advance(days=3)
    services.requests_sweep_deadlines()
    assert Alert.objects.filter(info_request=info_request, request_event="deadline_approaching").count() == 2


def test_a_withdrawal_is_a_cancel_to_the_requested_country_and_the_earlier_alerts_stay_readable(
    send, gateways, feeds, receiver, owner_liaison, client, clock
):
    info_request = send()
    services.request_withdraw(request=info_request, actor=owner_liaison, reason="Solved")
    send_waiting()
    assert [kind for _sub, kind, _data in pushed(receiver)] == ["request.received", "request.withdrawn"]
    received, withdrawn = feed(client, feeds["PL"])
    assert withdrawn["msg_type"] == "Cancel" and withdrawn["references"] == received["identifier"]
    assert withdrawn["request"]["status"] == "withdrawn" and received["request"]["subject"] == "Keeper of a lorry"
    assert feed(client, feeds["LT"]) == []
    clock.advance(days=6)
    assert services.requests_sweep_deadlines() == (0, 0), "a withdrawn request is due no more"


def test_a_service_that_refuses_writes_no_alert(send, partner_liaison, owner_liaison):
    info_request = send()
    with pytest.raises(ValidationError):
        services.request_answer(request=info_request, actor=partner_liaison, kind="partial", text="Some")
    with pytest.raises(PermissionDenied):
        services.request_extend(
            request=info_request, actor=owner_liaison, due_at=later(info_request, days=1), reason="x"
        )
    assert list(Alert.objects.values_list("request_event", flat=True)) == ["received"]


def test_alerts_are_written_with_the_action_and_pushed_once_it_commits(
    send, gateways, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send()
        assert receiver.received == [], "nothing leaves before the commit"
    assert [kind for _sub, kind, _data in pushed(receiver)] == ["request.received"]
    assert AlertDelivery.objects.get().state == "delivered"


def test_an_alert_is_about_one_thing_and_a_request_alert_names_its_event(send, make_incident, lt_pl_in_force):
    info_request = send()
    incident = make_incident("validated")
    for fields in (
        {"info_request": info_request},  # no event
        {"info_request": info_request, "request_event": "received", "incident": incident},
        {"incident": incident, "request_event": "received"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(country_id="PL", payload={}, **fields)


# --- Served only while the reader may read the request -------------------------------------------


@pytest.fixture
def customs(poland):
    agency = AgencyFactory(code="PL-KAS", name="Polish customs", country=poland)
    UserFactory(username="pl.customs", agency=agency, is_officer=False, is_liaison=True)
    return agency


def test_only_the_agencies_that_handle_the_request_are_told(
    send, gateways, receiver, customs, api_key, client, partner_liaison
):
    subscription = subscribe(customs, receiver)
    headers = key(api_key, customs)
    info_request = send()
    send_waiting()
    assert [sub for sub, _kind, _data in pushed(receiver)] == [gateways["PL"].pk]
    assert feed(client, headers) == [], "another agency of the requested country does not read the request"
    services.request_route(request=info_request, actor=partner_liaison, agency=customs, reason="Customs hold it")
    services.request_extend(request=info_request, actor=partner_liaison, due_at=later(info_request, days=1), reason="x")
    services.requests_sweep_deadlines(now=info_request.due_at - datetime.timedelta(hours=1))
    assert AlertDelivery.objects.filter(subscription=subscription).count() == 1
    assert [item["request"]["event"] for item in feed(client, headers)] == ["received", "deadline_approaching"]


def test_an_alert_is_not_served_once_its_reader_may_no_longer_read_the_request(
    send, receiver, customs, api_key, client, partner_liaison, poland
):
    """PL's SPOC routes the request to customs, customs is reminded of it, then the SPOC routes it
    on to the police: customs no longer reads the request, so nothing of its alerts is pushed to it
    or served to its systems any more (no task ran in between)."""
    police = AgencyFactory(code="PL-POL", name="Polish police", country=poland)
    subscription = subscribe(customs, receiver)
    headers = key(api_key, customs)
    info_request = send()
    services.request_route(request=info_request, actor=partner_liaison, agency=customs)
    services.requests_sweep_deadlines(now=info_request.due_at - datetime.timedelta(hours=1))
    received, alert = Alert.objects.filter(info_request=info_request).order_by("pk")
    assert alert.request_event == "deadline_approaching"
    # Customs reads the request now: the alert received before it was routed there is served too.
    assert [item["identifier"] for item in feed(client, headers)] == [str(received.identifier), str(alert.identifier)]
    assert client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **headers).status_code == 200
    services.request_route(request=info_request, actor=partner_liaison, agency=police)
    assert feed(client, headers) == []
    for url in (f"/api/v1/alerts/{alert.pk}/cap.xml", f"/api/v1/alerts/{alert.pk}/ack/"):
        call = client.get if url.endswith(".xml") else client.post
        assert call(url, **headers).status_code == 404, url
    send_waiting()
    assert receiver.received == []
    delivery = AlertDelivery.objects.get(subscription=subscription)
    assert (delivery.state, delivery.last_error) == ("cancelled", "request_unseen")


def test_the_receiving_ledger_names_the_request_only_while_the_agency_reads_it(
    send, receiver, customs, partner_liaison, poland, signed_in
):
    police = AgencyFactory(code="PL-POL", name="Polish police", country=poland)
    admin = UserFactory(username="kas.admin", agency=customs, is_officer=False, is_agency_admin=True)
    subscription = subscribe(customs, receiver)
    info_request = send()
    services.request_route(request=info_request, actor=partner_liaison, agency=customs)
    services.requests_sweep_deadlines(now=info_request.due_at - datetime.timedelta(hours=1))
    url = reverse("subscription_detail", args=[subscription.pk])
    page = signed_in(admin).get(url).content.decode()
    assert info_request.reference in page
    services.request_route(request=info_request, actor=partner_liaison, agency=police)
    page = signed_in(admin).get(url).content.decode()
    assert info_request.reference not in page and "can no longer read" in page


def test_a_request_alert_is_acknowledged_by_its_receiver(send, feeds, client):
    info_request = send()
    alert = Alert.objects.get(info_request=info_request)
    assert client.post(f"/api/v1/alerts/{alert.pk}/ack/", **feeds["LT"]).status_code == 404
    response = client.post(f"/api/v1/alerts/{alert.pk}/ack/", **feeds["PL"])
    assert response.status_code == 200 and assert_documented(response)["identifier"] == str(alert.identifier)


# --- CAP, e-mail, the schema ---------------------------------------------------------------------


def test_a_request_alert_is_cap_1_2(send, feeds, client, partner_liaison):
    info_request = send(urgent=True)
    services.request_extend(
        request=info_request, actor=partner_liaison, due_at=later(info_request, hours=4), reason="x"
    )
    alert = Alert.objects.get(request_event="extended")
    response = client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **feeds["LT"])
    assert response.status_code == 200 and response["Content-Type"].startswith("application/cap+xml")
    document = cap_schema().to_dict(response.content.decode())
    assert (document["msgType"], document["scope"]) == ("Alert", "Restricted")
    (info,) = document["info"]
    assert info["event"] == "Time limit of a request for information extended" and info["category"] == ["Security"]
    assert (info["urgency"], info["severity"], info["certainty"]) == ("Immediate", "Unknown", "Observed")
    parameters = {p["valueName"]: p["value"] for p in info["parameter"]}
    assert parameters["requestReference"] == info_request.reference and parameters["requestEvent"] == "extended"
    assert "previousDueAt" in parameters and "area" not in info
    assert client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **feeds["PL"]).status_code == 404


def test_a_cap_cancel_references_the_earlier_message(send, feeds, client, owner_liaison):
    info_request = send()
    services.request_withdraw(request=info_request, actor=owner_liaison)
    received, withdrawn = Alert.objects.filter(info_request=info_request).order_by("pk")
    document = cap_schema().to_dict(
        client.get(f"/api/v1/alerts/{withdrawn.pk}/cap.xml", **feeds["PL"]).content.decode()
    )
    assert document["msgType"] == "Cancel" and str(received.identifier) in document["references"]
    assert document["info"][0]["urgency"] == "Past"


def test_an_e_mail_subscription_names_the_event_and_the_reference(send, spocs, partner_agency):
    Subscription.objects.create(agency=partner_agency, name="Duty", channel="email", emails=["duty@sg.example"])
    info_request = send()
    send_waiting()
    (message,) = mail.outbox
    assert message.subject == f"[Request for information received] {info_request.reference}"
    assert "request.received" in message.body


def test_every_request_event_is_a_documented_webhook():
    webhooks = openapi_schema()["webhooks"]
    for name in (*EVENTS, "request.withdrawn"):
        assert name in webhooks, name
        assert "requests:read" in webhooks[name]["post"]["description"]
    request = openapi_schema()["components"]["schemas"]["AlertOut"]["properties"]["request"]
    assert {"reference", "subject", "due_at", "urgent", "answer_kind", "event"} <= set(request["properties"])
    assert "text" not in request["properties"] and "personal_data" not in request["properties"]
