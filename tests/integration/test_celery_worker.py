"""A real Celery worker process takes a task from Redis and writes to the shared database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app
from portal.models import Heartbeat
from tests.conftest import port_open, require

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def redis_broker_url():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        url = "redis://127.0.0.1:6379/15"
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    require(port_open(host or "127.0.0.1", int(port or 6379)), f"Redis at {host_port}")
    return url


def database_url_of_test_db():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def worker():
    broker = redis_broker_url()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    log = ROOT / "var" / f"worker-{queue}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 60, "the worker to start")
        assert process.poll() is None, log.read_text()
        yield broker, queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.unlink(missing_ok=True)


def test_worker_round_trip_through_redis(worker):
    broker, queue = worker
    assert not Heartbeat.objects.filter(name="worker").exists()
    with app.connection_for_write(broker) as conn:  # not eager: this message goes through Redis
        app.send_task("portal.tasks.record_heartbeat", queue=queue, connection=conn)
    wait_for(lambda: Heartbeat.objects.filter(name="worker").exists(), 30, "the heartbeat written by the worker")
