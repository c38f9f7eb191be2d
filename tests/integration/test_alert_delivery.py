"""Alert delivery with real processes: a Celery worker on a Redis server of the test's own, and a
partner's HTTP server on 127.0.0.1 that checks signatures and records webhook-ids."""

import pytest

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
    "ALERTS_STUCK_AFTER": "2",
    "ALERTS_TIMEOUT": "10",
}


@pytest.fixture
def receiver():
    server = Receiver(alert_services.new_secret())
    yield server
    server.close()


@pytest.fixture
def subscribed(receiver, partner_agency, settings):
    settings.ALERTS_RETRY_SCHEDULE = [1, 1, 1]
    settings.ALERTS_STUCK_AFTER = 2
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
    receiver.answers = [(200, 8)]  # the partner takes its time on the first request
    worker = start_worker(broker.url, WORKER_ENV)
    make_incident("validated")
    wait_for(lambda: receiver.received, 30, "the first request to arrive")
    worker.kill()
    assert delivery_state() == "sending"
    start_worker(broker.url, WORKER_ENV)
    sweep_until(lambda: delivery_state() == "delivered", 60, "the delivery after the crash")
    assert len(receiver.unique_ids) == 1, "a repeat carries the same webhook-id, so the partner can drop it"
