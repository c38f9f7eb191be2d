"""Helpers the test suite and the benchmarks share: verified sessions, a partner's webhook server
on 127.0.0.1, and Celery worker processes. Nothing here runs in the portal itself."""

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, timeout, what, interval=0.2):
    """Poll `condition` until it is true; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_verified(client, user):
    """Sign `user` in on a Django test client as if password and second factor had been given."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = user.totpdevice_set.filter(confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Phone", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def database_url():
    """The URL of the database this process is connected to, for processes it starts."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Receiver:
    """A partner's server on 127.0.0.1: checks signatures, records webhook-ids, answers as told.

    `answers` are taken first (a status, or (status, seconds to wait)); then every request is
    answered 200 after `delay` seconds. `answered` records (webhook-id, status, monotonic time)
    as each answer is sent.
    """

    def __init__(self, secret, delay=0.0):
        self.secret = secret
        self.webhook = Webhook(secret)
        self.answers: list[int | tuple[int, float]] = []
        self.received: list[tuple[str, Any]] = []
        self.answered: list[tuple[str, int, float]] = []
        self.bad_signatures = 0
        self.delay = delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                message_id, stamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
                # The signature is checked by the reference library, at the time the message
                # says it was sent (tests move the clock; a real partner also checks it is recent).
                at = datetime.datetime.fromtimestamp(int(stamp), tz=datetime.UTC)
                expected = receiver.webhook.sign(message_id, at, body.decode())
                if expected not in self.headers["webhook-signature"].split():
                    receiver.bad_signatures += 1
                receiver.received.append((message_id, json.loads(body)))
                answer = receiver.answers.pop(0) if receiver.answers else (200, receiver.delay)
                status, delay = answer if isinstance(answer, tuple) else (answer, 0)
                if delay:
                    time.sleep(delay)  # a slow partner server, on purpose
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "120")
                self.end_headers()
                receiver.answered.append((message_id, status, time.monotonic()))

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # many workers may call at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/portal"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def unique_ids(self):
        return {message_id for message_id, _body in self.received}


class Worker:
    """A `celery worker` process on the given broker, sharing this process's database."""

    def __init__(self, broker, log_dir, env=None, pool="solo", concurrency=1):
        self.broker, self.log_dir, self.extra = broker, Path(log_dir), env or {}
        self.pool, self.concurrency = pool, concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Path | None = None

    def start(self, queue="celery"):
        self.log = self.log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **self.extra,
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    f"--pool={self.pool}",
                    f"--concurrency={self.concurrency}",
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
        assert self.process.poll() is None, self.log.read_text()  # noqa: S101
        return self

    @property
    def pid(self):
        assert self.process is not None, "the worker is not started"  # noqa: S101
        return self.process.pid

    def kill(self):
        """SIGKILL: no chance to finish or acknowledge anything."""
        assert self.process is not None, "the worker is not started"  # noqa: S101
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
