"""Helpers the test suite and the benchmarks share: verified sessions, a partner's webhook server
on 127.0.0.1, and Celery worker processes. Nothing here runs in the portal itself."""

import contextlib
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

    `answers` are taken first (a status, (status, seconds to wait) or (status, seconds, headers));
    then every request is answered 200 after `delay` seconds. `answered` records (webhook-id,
    status, monotonic time) as each answer is sent; `connections` counts the TCP connections
    opened (it keeps them alive, as partners' servers do), `other_requests` what was not a POST.
    """

    def __init__(self, secret, delay=0.0):
        self.secret = secret
        self.webhook = Webhook(secret)
        self.answers: list[int | tuple[int, float]] = []
        self.received: list[tuple[str, Any]] = []
        self.answered: list[tuple[str, int, float]] = []
        self.bad_signatures = 0
        self.delay = delay
        self.connections = 0
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.other_requests: list[tuple[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                receiver.connections += 1

            def do_GET(self):
                receiver.other_requests.append(("GET", self.path))
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()

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
                receiver.raw.append((dict(self.headers.items()), body))
                answer = receiver.answers.pop(0) if receiver.answers else (200, receiver.delay)
                status, delay, headers = (*answer, {})[:3] if isinstance(answer, tuple) else (answer, 0, {})
                if delay:
                    time.sleep(delay)  # a slow partner server, on purpose
                self.send_response(status)
                if status == 429 and not headers:
                    headers = {"Retry-After": "120"}
                for name, value in {"content-length": "0", **headers}.items():
                    self.send_header(name, value)
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


class BadServer:
    """A partner's server that misbehaves on 127.0.0.1: `reply(sock)` writes whatever it likes
    after the request has been read (a malformed status line, a byte every few seconds)."""

    def __init__(self, reply):
        self.reply, self.requests = reply, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks/portal"
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.closed.is_set():
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _sep, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            while len(body) < length:
                body += conn.recv(65536)
            self.requests += 1
            with contextlib.suppress(OSError):  # the portal gave up and closed: what a deadline does
                self.reply(conn)

    def close(self):
        self.closed.set()
        self.sock.close()


def trickle(seconds):
    """A `BadServer` reply that sends a valid answer one byte every `seconds`."""

    def reply(conn):
        for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n":
            conn.sendall(bytes([byte]))
            time.sleep(seconds)

    return reply


class Worker:
    """A `celery worker` process on the given broker, sharing this process's database (or, with
    `beat=True`, a `celery beat` process, which sends what the schedule says to that broker)."""

    def __init__(self, broker, log_dir, env=None, pool="solo", concurrency=1, beat=False):
        self.broker, self.log_dir, self.extra = broker, Path(log_dir), env or {}
        self.pool, self.concurrency, self.beat = pool, concurrency, beat
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Path | None = None

    def command(self, queue):
        if self.beat:
            schedule = self.log_dir / f"beat-{uuid.uuid4().hex[:6]}.schedule"
            return ["beat", "--loglevel=info", "--schedule", str(schedule)], "beat: Starting"
        options = [f"--pool={self.pool}", f"--concurrency={self.concurrency}", "-Q", queue, "--loglevel=info"]
        options += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        return ["worker", *options, "-n", f"test-{uuid.uuid4().hex[:6]}@%h"], "ready"

    def start(self, queue="celery"):
        self.log = self.log_dir / f"{'beat' if self.beat else 'worker'}-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **self.extra,
        }
        arguments, ready = self.command(queue)
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
                [sys.executable, "-m", "celery", "-A", "portal", *arguments],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: ready in self.log.read_text() or self.process.poll() is not None, 60, "a worker")
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
