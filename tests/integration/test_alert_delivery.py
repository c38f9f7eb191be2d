"""Alert delivery with real processes: a Celery worker on a Redis server of the test's own, and a
partner's HTTP server on 127.0.0.1 that checks signatures and records webhook-ids."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import services as alert_services
from alerts.models import AlertDelivery, Subscription
from alerts.tasks import sweep_alert_deliveries
from tests.helpers import Receiver
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WORKER_ENV = {
    "ALERTS_ALLOW_PRIVATE_ENDPOINTS": "true",
    "ALERTS_ALLOW_HTTP": "true",
    "ALERTS_RETRY_SCHEDULE": "1,1,1",
    "ALERTS_DEADLINE": "5",
    "ALERTS_STUCK_AFTER": "6",
}


@pytest.fixture
def subscribed(receiver, partner_agency, settings):
    settings.ALERTS_RETRY_SCHEDULE = [1, 1, 1]
    settings.ALERTS_DEADLINE, settings.ALERTS_STUCK_AFTER = 5, 6
    secret = receiver.secret
    return Subscription.objects.create(
        agency=partner_agency, name="Gateway", channel="webhook", url=receiver.url, secrets=[secret]
    )


def delivery_state():
    delivery = AlertDelivery.objects.order_by("id").last()
    return delivery.state if delivery else None


def sweep_until(condition, timeout, what):
    def step():
        sweep_alert_deliveries()
        return condition()

    wait_for(step, timeout, what, interval=0.5)


def test_a_validated_incident_reaches_the_subscription_once(
    broker, start_worker, subscribed, receiver, lt_pl_in_force, make_incident
):
    start_worker(broker.url, WORKER_ENV)
    make_incident("validated")
    wait_for(lambda: delivery_state() == "delivered", 30, "the delivery")
    assert len(receiver.unique_ids) == 1 and receiver.bad_signatures == 0
    assert AlertDelivery.objects.count() == 1


def test_nothing_is_lost_while_redis_is_down(broker, start_worker, subscribed, receiver, lt_pl_in_force, make_incident):
    start_worker(broker.url, WORKER_ENV)
    broker.stop()
    make_incident("validated")  # the share commits; the message cannot be queued
    assert delivery_state() == "pending" and receiver.received == []
    broker.start()
    sweep_until(lambda: delivery_state() == "delivered", 60, "the sweeper to deliver after Redis came back")
    assert len(receiver.unique_ids) == 1


def test_receiver_fails_three_times_then_succeeds(
    broker, start_worker, subscribed, receiver, lt_pl_in_force, make_incident
):
    receiver.answers = [500, 500, 500]
    start_worker(broker.url, WORKER_ENV)
    make_incident("validated")
    sweep_until(lambda: delivery_state() == "delivered", 60, "delivery after three failures")
    delivery = AlertDelivery.objects.get()
    assert delivery.attempts == 4 and len(receiver.received) == 4 and len(receiver.unique_ids) == 1


def test_receiver_down_past_the_last_retry_is_dead_lettered_then_redelivered(
    broker, start_worker, subscribed, receiver, lt_pl_in_force, make_incident, agency_admin
):
    receiver.answers = [503] * 4
    start_worker(broker.url, WORKER_ENV)
    make_incident("validated")
    sweep_until(lambda: delivery_state() == "dead", 60, "the dead letter")
    delivery = AlertDelivery.objects.get()
    assert delivery.attempts == 4
    alert_services.redeliver(delivery=delivery, actor=agency_admin)
    wait_for(lambda: delivery_state() == "delivered", 30, "the redelivery")


def test_worker_killed_during_a_delivery(broker, start_worker, subscribed, receiver, lt_pl_in_force, make_incident):
    receiver.answers = [(200, 4)]  # the partner takes its time on the first request
    worker = start_worker(broker.url, WORKER_ENV)
    make_incident("validated")
    wait_for(lambda: receiver.received, 30, "the first request to arrive")
    worker.kill()
    assert delivery_state() == "sending"
    start_worker(broker.url, WORKER_ENV)
    sweep_until(lambda: delivery_state() == "delivered", 60, "the delivery after the crash")
    assert len(receiver.unique_ids) == 1, "a repeat carries the same webhook-id, so the partner can drop it"


def test_with_beat_at_its_defaults_a_killed_workers_row_is_sent_again_within_a_minute(
    broker, start_worker, subscribed, receiver, lt_pl_in_force, make_incident, settings
):
    """The defaults as deployed: beat runs the sweeper, nothing in the test sweeps."""
    defaults = {key: value for key, value in WORKER_ENV.items() if key.startswith("ALERTS_ALLOW")}
    receiver.answers = [(200, 10)]  # the first attempt is under way when the worker is killed
    worker = start_worker(broker.url, defaults)
    start_worker(broker.url, defaults, beat=True)
    make_incident("validated")
    wait_for(lambda: receiver.received, 30, "the first request to arrive")
    worker.kill()
    killed = time.monotonic()
    start_worker(broker.url, defaults)
    wait_for(lambda: delivery_state() == "delivered", 75, "the delivery after the kill")
    took = time.monotonic() - killed
    assert took <= 60, f"sent again {took:.0f}s after the kill"
    assert len(receiver.unique_ids) == 1


def test_one_slow_partner_does_not_delay_the_others(
    broker, start_worker, partner_agency, lt_pl_in_force, make_incident, settings
):
    """A partner that trickles its answer holds at most its share of the worker's threads, each
    for at most the deadline; the other partner's alerts arrive meanwhile."""
    from portal.testing import BadServer, trickle

    slow = BadServer(trickle(1))
    fast = Receiver(alert_services.new_secret())
    try:
        Subscription.objects.create(
            agency=partner_agency, name="Slow", channel="webhook", url=slow.url, secrets=[alert_services.new_secret()]
        )
        Subscription.objects.create(
            agency=partner_agency, name="Fast", channel="webhook", url=fast.url, secrets=[fast.secret]
        )
        env = {**WORKER_ENV, "ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT": "2", "ALERTS_DEADLINE": "3"}
        start_worker(broker.url, env, pool="threads", concurrency=4)
        started = time.monotonic()
        for _ in range(6):
            make_incident("validated")
        wait_for(lambda: len(fast.unique_ids) == 6, 20, "the fast partner's six alerts")
        took = time.monotonic() - started
        assert took < 10, f"the fast partner waited {took:.0f}s behind the slow one"
        assert slow.requests <= 2 + 2, "the slow partner never had more than its two places at once"
    finally:
        slow.close()
        fast.close()


def test_healthz_tells_a_stopped_beat_from_a_stopped_worker(broker, start_worker, client, subscribed, settings):
    from portal.models import Heartbeat

    Heartbeat.objects.all().delete()
    worker = start_worker(broker.url, WORKER_ENV)
    beat = start_worker(broker.url, WORKER_ENV, beat=True)
    wait_for(lambda: client.get("/healthz").json()["status"] == "ok", 30, "everything to be well")
    beat.stop()
    Heartbeat.objects.filter(name="beat").update(
        at=timezone.now() - timedelta(seconds=settings.BEAT_HEARTBEAT_MAX_AGE + 1)
    )
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and not body["checks"]["beat"]["ok"] and body["checks"]["worker"]["ok"]
    worker.stop()
    Heartbeat.objects.filter(name__startswith="worker:").update(
        at=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 1)
    )
    assert not client.get("/healthz").json()["checks"]["worker"]["ok"]
