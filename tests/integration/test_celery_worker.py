"""A real Celery worker process takes a task from Redis and writes to the shared database."""

import uuid

import pytest
from django.conf import settings

from portal.celery import app
from portal.models import Heartbeat
from tests.conftest import port_open, require
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def redis_broker_url():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        url = "redis://127.0.0.1:6379/15"
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    require(port_open(host or "127.0.0.1", int(port or 6379)), f"Redis at {host_port}")
    return url


@pytest.fixture
def worker(start_worker):
    broker = redis_broker_url()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    start_worker(broker, queue=queue)
    return broker, queue


def test_worker_round_trip_through_redis(worker):
    broker, queue = worker
    assert not Heartbeat.objects.filter(name="sweeper").exists()
    with app.connection_for_write(broker) as conn:  # not eager: this message goes through Redis
        app.send_task("alerts.tasks.sweep_alert_deliveries", queue=queue, connection=conn)
    wait_for(lambda: Heartbeat.objects.filter(name="sweeper").exists(), 30, "the sweeper's run, by the worker")


def test_a_worker_reports_each_queue_it_consumes_on_its_own(worker):
    _broker, queue = worker
    # Written on the worker's own timer when it starts: no beat, no task sent.
    wait_for(lambda: Heartbeat.objects.filter(name=f"worker:{queue}").exists(), 30, "the worker's heartbeat")
