"""Real processes for integration tests: a Redis server of their own and Celery workers."""

import shutil
import socket
import subprocess

import kombu.pools
import pytest

from portal.celery import app
from portal.testing import Worker, free_port, wait_for
from tests.conftest import require

__all__ = ["Worker", "wait_for"]


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


@pytest.fixture
def start_worker(tmp_path):
    workers = []

    def _start(broker, env=None, queue="celery", **options):
        worker = Worker(broker, tmp_path, env, **options).start(queue)
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
