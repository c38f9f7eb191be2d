"""Real processes for integration tests: a Redis server of their own and Celery workers."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
from django.db import connection

from portal.celery import app
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_test_db():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class RedisServer:
    """A redis-server process on a free port, which a test may stop and start again."""

    def __init__(self, workdir):
        self.port, self.workdir, self.process = free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10, "redis-server to start")

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    require(shutil.which("redis-server"), "redis-server (Debian package redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Worker:
    """A `celery worker` process on the given broker, sharing the test database."""

    def __init__(self, broker, log_dir, env=None):
        self.broker, self.log_dir, self.extra = broker, log_dir, env or {}
        self.process, self.log = None, None

    def start(self, queue="celery"):
        self.log = self.log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of_test_db(),
            "CELERY_BROKER_URL": self.broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **self.extra,
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
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
                    f"test-{uuid.uuid4().hex[:6]}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: "ready" in self.log.read_text() or self.process.poll() is not None, 60, "a worker")
        assert self.process.poll() is None, self.log.read_text()
        return self

    def kill(self):
        """SIGKILL: no chance to finish or acknowledge anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def start_worker(tmp_path):
    workers = []

    def _start(broker, env=None, queue="celery"):
        worker = Worker(broker, tmp_path, env).start(queue)
        workers.append(worker)
        return worker

    yield _start
    for worker in workers:
        worker.stop()


@pytest.fixture
def broker(redis_server, settings):
    """Point this test process's Celery app at the test's own Redis, with tasks really queued."""
    saved = (app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url, app.conf.task_always_eager)

    def use(url):
        app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
        # Drop every cached connection and producer pool (the app's and kombu's own registry),
        # so that the next message goes to `url`.
        app._pool = None
        app.amqp._producer_pool = None
        kombu.pools.reset()

    use(redis_server.url)
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield redis_server
    app.conf.task_always_eager = saved[3]
    use(saved[0])
    app.conf.broker_write_url, app.conf.broker_read_url = saved[1], saved[2]
