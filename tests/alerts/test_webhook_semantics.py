"""Webhook delivery as Standard Webhooks says, checked against partners' servers on 127.0.0.1:
the envelope, redirects, Retry-After dates, switched-off subscriptions, malformed and slow
answers, one partner's share of the workers, and the sweeper's messages."""

import email.utils
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from alerts import delivery as alert_delivery
from alerts import services as alert_services
from alerts.models import AlertDelivery, Subscription
from portal.testing import BadServer, trickle


def subscribe(agency, url, secret=None, name="Gateway"):
    return Subscription.objects.create(
        agency=agency, name=name, channel="webhook", url=url, secrets=[secret or alert_services.new_secret()]
    )


def attempt(delivery, now=None):
    delivery.refresh_from_db()
    return alert_delivery.deliver(delivery.pk, now=now or delivery.next_attempt_at)


def test_the_body_is_the_envelope_and_its_data_the_pull_feed_item(
    lt_pl_in_force, make_incident, subscription, receiver, client, api_key, partner_agency
):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    assert attempt(delivery) == "delivered"
    ((message_id, body),) = receiver.received
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "incident.alert" and body["timestamp"].endswith("Z")
    _key, raw = api_key(agency=partner_agency)
    feed = client.get("/api/v1/alerts/", HTTP_AUTHORIZATION=f"Api-Key {raw}").json()
    assert body["data"] == feed["results"][0], "the pushed data is the pull feed's item"
    assert message_id == delivery.message_id


def test_the_signature_verifies_with_the_reference_library(lt_pl_in_force, make_incident, subscription, receiver):
    make_incident("validated")
    assert attempt(AlertDelivery.objects.get()) == "delivered"
    ((headers, body),) = receiver.raw
    headers = {name.lower(): value for name, value in headers.items()}
    # The library refuses a timestamp far from now: the attempt ran at the row's own time.
    event = Webhook(receiver.secret).verify(body, headers)  # raises when no signature matches
    assert event["type"] == "incident.alert" and headers["content-type"] == "application/json"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_attempt_and_is_not_followed(
    status, lt_pl_in_force, make_incident, subscription, receiver
):
    receiver.answers = [(status, 0, {"Location": "http://169.254.169.254/latest/meta-data/"})]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    assert attempt(delivery) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status == status and delivery.attempts == 1 and delivery.delivered_at is None
    assert "redirect" in delivery.last_error and "169.254.169.254" in delivery.last_error
    assert len(receiver.received) == 1 and receiver.other_requests == [], "nothing follows the Location"


def test_retry_after_as_an_http_date_is_honoured(lt_pl_in_force, make_incident, subscription, receiver):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    now = delivery.next_attempt_at
    later = email.utils.format_datetime(now + timedelta(minutes=20), usegmt=True)
    receiver.answers = [(503, 0, {"Retry-After": later})]
    assert attempt(delivery, now) == "pending"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - now >= timedelta(minutes=20) - timedelta(seconds=1)


def test_retry_after_in_seconds_and_unreadable_values(settings):
    now = email.utils.parsedate_to_datetime("Wed, 02 Dec 2026 12:00:00 GMT")
    assert alert_delivery.retry_after_seconds("120", now) == 120
    assert alert_delivery.retry_after_seconds("Wed, 02 Dec 2026 12:05:00 GMT", now) == 300
    assert alert_delivery.retry_after_seconds("Wed, 02 Dec 2026 11:00:00 GMT", now) == 0
    assert alert_delivery.retry_after_seconds("soon", now) is None
    assert alert_delivery.retry_after_seconds(None, now) is None
    # A partner cannot park a delivery for longer than the schedule's longest step.
    assert alert_delivery.retry_delay(1, retry_after=10**9) <= timedelta(seconds=max(settings.ALERTS_RETRY_SCHEDULE))


def test_switching_a_subscription_off_cancels_its_queued_retries(
    lt_pl_in_force, make_incident, subscription, receiver, foreign_admin
):
    receiver.answers = [503]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    assert attempt(delivery) == "pending"
    alert_services.subscription_save(
        agency=subscription.agency, actor=foreign_admin, subscription=subscription, is_active=False
    )
    delivery.refresh_from_db()
    assert delivery.state == "cancelled" and str(delivery.problem) == "the subscription was switched off"
    assert attempt(delivery) is None and len(receiver.received) == 1, "nothing more is sent"
    with pytest.raises(Exception, match="failed for good"):
        alert_services.redeliver(delivery=delivery, actor=foreign_admin)


def test_a_message_already_queued_finds_the_subscription_off(lt_pl_in_force, make_incident, subscription, receiver):
    make_incident("validated")
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False)  # off, row still waiting
    delivery = AlertDelivery.objects.get()
    assert attempt(delivery) == "cancelled"
    assert receiver.received == []


def test_a_410_switches_the_subscription_off_and_cancels_what_waits(
    lt_pl_in_force, make_incident, subscription, receiver
):
    receiver.answers = [410]
    make_incident("validated")
    make_incident("validated")
    first, second = AlertDelivery.objects.order_by("id")
    assert attempt(first) == "dead"
    second.refresh_from_db()
    subscription.refresh_from_db()
    assert not subscription.is_active and second.state == "cancelled"
    assert "410" in str(second.problem)
    assert attempt(second) is None and len(receiver.received) == 1


def test_a_malformed_answer_is_a_counted_attempt_then_a_dead_letter(
    lt_pl_in_force, make_incident, partner_agency, settings
):
    settings.ALERTS_RETRY_SCHEDULE = [30, 60]
    server = BadServer(lambda conn: conn.sendall(b"garbage, not HTTP\r\n\r\n"))
    try:
        subscribe(partner_agency, server.url)
        make_incident("validated")
        delivery = AlertDelivery.objects.get()
        assert attempt(delivery) == "pending"
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.last_status is None
        assert delivery.last_error.startswith("Malformed HTTP answer")
        assert attempt(delivery) == "pending"
        assert attempt(delivery) == "dead"
        assert server.requests == 3
    finally:
        server.close()


def test_a_server_that_trickles_is_cut_off_at_the_deadline(lt_pl_in_force, make_incident, partner_agency, settings):
    settings.ALERTS_DEADLINE, settings.ALERTS_TIMEOUT = 1, 1
    server = BadServer(trickle(0.3))  # every read gets a byte in time; the whole answer never does
    try:
        subscribe(partner_agency, server.url)
        make_incident("validated")
        delivery = AlertDelivery.objects.get()
        started = time.monotonic()
        assert attempt(delivery) == "pending"
        elapsed = time.monotonic() - started
    finally:
        server.close()
    delivery.refresh_from_db()
    assert delivery.last_error == "No complete answer within 1 seconds." and delivery.attempts == 1
    assert elapsed < 5, f"the attempt took {elapsed:.1f}s: the deadline bounds the whole request"


def test_one_partner_gets_no_more_than_its_share_and_its_queue_moves_on(
    lt_pl_in_force, make_incident, subscription, receiver, settings
):
    settings.ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT = 1
    make_incident("validated")
    make_incident("validated")
    first, second = AlertDelivery.objects.order_by("id")
    now = second.next_attempt_at
    AlertDelivery.objects.filter(pk=first.pk).update(state="sending", claimed_at=now)  # under way
    assert alert_delivery.deliver(second.pk, now=now) is None, "the partner's one place is taken"
    second.refresh_from_db()
    assert second.state == "pending" and second.enqueued_at is None
    # The attempt under way ends; the waiting delivery is handed on (eager in the tests: sent).
    AlertDelivery.objects.filter(pk=first.pk).update(state="delivered", claimed_at=None)
    alert_delivery.hand_on(subscription.pk, now)
    second.refresh_from_db()
    assert second.state == "delivered"


def test_the_sweeper_sends_no_second_message_for_a_queued_delivery(
    lt_pl_in_force, make_incident, subscription, settings
):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    now = delivery.next_attempt_at + timedelta(seconds=1)
    AlertDelivery.objects.filter(pk=delivery.pk).update(enqueued_at=now)
    assert alert_delivery.sweep(now + timedelta(seconds=settings.ALERTS_REQUEUE_AFTER - 1)) == []
    lost = now + timedelta(seconds=settings.ALERTS_REQUEUE_AFTER + 1)
    assert alert_delivery.sweep(lost) == [delivery.pk], "a message waiting too long is taken for lost"
    assert alert_delivery.sweep(lost) == [], "and marked queued again"


def test_the_sweeper_gives_a_partner_no_more_than_its_share(lt_pl_in_force, make_incident, subscription, settings):
    settings.ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT = 2
    for _ in range(4):
        make_incident("validated")
    latest = AlertDelivery.objects.order_by("-next_attempt_at").first().next_attempt_at
    assert len(alert_delivery.sweep(latest + timedelta(seconds=1))) == 2


def test_a_retry_sooner_than_the_next_sweep_gets_a_delayed_message(
    lt_pl_in_force, make_incident, subscription, receiver, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.ALERTS_RETRY_SCHEDULE = [5, 600]
    settings.ALERTS_SWEEP_INTERVAL = 15
    sent = []
    monkeypatch.setattr(alert_delivery, "send", lambda task, *args, countdown=None: sent.append((args, countdown)))
    receiver.answers = [503, 503]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    assert attempt(delivery) == "pending"
    ((args, countdown),) = sent
    assert args == (delivery.pk,) and 3 <= countdown <= 7
    delivery.refresh_from_db()
    assert delivery.enqueued_at is not None, "the sweeper will not add another"
    assert attempt(delivery) == "pending" and len(sent) == 1, "a 10-minute retry waits for the sweeper"


def test_a_row_left_sending_is_sent_again_by_the_next_sweep_within_a_minute(settings):
    # No attempt outlives the deadline, so a row "sending" past it was left by a killed worker;
    # it is freed after ALERTS_STUCK_AFTER and sent by the sweep after that.
    worst = settings.ALERTS_STUCK_AFTER + settings.ALERTS_SWEEP_INTERVAL
    assert settings.ALERTS_STUCK_AFTER > settings.ALERTS_DEADLINE and worst <= 45


def test_a_burst_to_one_partner_reuses_its_connection(lt_pl_in_force, make_incident, subscription, receiver):
    for _ in range(5):
        make_incident("validated")
    for delivery in AlertDelivery.objects.order_by("id"):
        assert attempt(delivery) == "delivered"
    assert len(receiver.received) == 5 and receiver.connections == 1


def test_healthz_is_degraded_while_deliveries_wait_past_due(client, lt_pl_in_force, make_incident, subscription):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    assert client.get("/healthz").json()["checks"]["deliveries"]["ok"]
    AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.next_attempt_at - timedelta(hours=1))
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["deliveries"] == {
        "ok": False,
        "overdue": 1,
        "oldest_due": (delivery.next_attempt_at - timedelta(hours=1)).isoformat(),
    }
