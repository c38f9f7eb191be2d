"""The partner kit's programs (examples/partner/) as a partner runs them: real processes against a
portal served by gunicorn on 127.0.0.1 (sharing the test database), and real webhook deliveries
from this process to the kit's receiver."""

import datetime
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from alerts import services as alert_services
from alerts.delivery import deliver
from alerts.models import Alert, AlertAcknowledgement, AlertDelivery, Subscription
from portal.models import APIScope
from portal.testing import ROOT, database_url, free_port, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KIT = ROOT / "examples" / "partner"
# What any process of the portal needs to post to a receiver on 127.0.0.1 over plain HTTP.
PORTAL_ENV = {"ALERTS_ALLOW_PRIVATE_ENDPOINTS": "true", "ALERTS_ALLOW_HTTP": "true"}


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Process:
    """A process of ours on a free port of 127.0.0.1, its output in a log file."""

    def __init__(self, command, log, env=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(log)
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, *[str(part).format(port=self.port) for part in command]],
                cwd=ROOT,
                env={**os.environ, **PORTAL_ENV, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_listening(self, timeout):
        def ready():
            assert self.process.poll() is None, self.log.read_text()
            return accepts(self.port)

        wait_for(ready, timeout, f"{self.log.stem} on port {self.port}")
        return self

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def portal(tmp_path):
    """The portal under gunicorn, on the test database."""
    server = Process(
        ["-m", "gunicorn", "portal.wsgi:application", "--bind", "127.0.0.1:{port}", "--workers", "1"],
        tmp_path / "gunicorn.log",
        env={"DATABASE_URL": database_url()},
    )
    try:
        yield server.wait_until_listening(60)
    finally:
        server.stop()


@pytest.fixture
def partner_key(api_key, partner_agency):
    _obj, raw = api_key(agency=partner_agency, scopes=(APIScope.ALERTS_READ, APIScope.ALERTS_ACK))
    return raw


def pull(portal_url, key, db, timeout=30):
    """One run of the pull client with --once; its exit status and output."""
    result = subprocess.run(
        [sys.executable, KIT / "pull_client.py", "--portal", portal_url, "--key", key, "--db", db, "--once"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def stored(db, query):
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchall()


def partner_alerts():
    return set(Alert.objects.filter(country_id="PL").values_list("identifier", flat=True))


def acknowledged():
    return set(AlertAcknowledgement.objects.filter(alert__country_id="PL").values_list("alert__identifier", flat=True))


# --- The pull client ---------------------------------------------------------------------------------


def test_pull_client_stores_each_alert_once_acknowledges_it_and_resumes(
    portal, partner_key, lt_pl_in_force, make_incident, tmp_path
):
    make_incident("validated")
    make_incident("validated")
    first = partner_alerts()
    assert len(first) == 2
    db = tmp_path / "alerts.sqlite3"

    status, output = pull(portal.url, partner_key, db)
    assert status == 0, output
    rows = stored(db, "SELECT identifier, acknowledged_at, received_at FROM alerts")
    assert {row[0] for row in rows} == {str(identifier) for identifier in first} and len(rows) == 2
    assert all(row[1] for row in rows), rows
    assert acknowledged() == first

    # A restart resumes from the stored cursor: nothing new, nothing stored twice or rewritten.
    status, output = pull(portal.url, partner_key, db)
    assert status == 0, output
    assert stored(db, "SELECT identifier, acknowledged_at, received_at FROM alerts") == rows
    cursor = stored(db, "SELECT value FROM state WHERE name = 'after'")
    assert cursor == [(str(max(Alert.objects.filter(country_id="PL").values_list("seq", flat=True))),)]

    make_incident("validated")
    (added,) = partner_alerts() - first
    status, output = pull(portal.url, partner_key, db)
    assert status == 0, output
    again = stored(db, "SELECT identifier, acknowledged_at, received_at FROM alerts")
    assert len(again) == 3 and set(again) - set(rows) == {next(row for row in again if row[0] == str(added))}
    assert acknowledged() == first | {added}


def test_pull_client_with_a_key_the_portal_refuses_stops_at_once(portal, tmp_path, db):
    status, output = pull(portal.url, "nosuch.key", tmp_path / "alerts.sqlite3")
    assert status == 2 and "HTTP 401" in output, output


class FlakyPortal:
    """A stand-in for the portal on 127.0.0.1 that answers 503, then 429, before each real answer."""

    def __init__(self, item):
        self.requests = []
        self.item = item
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, status, body=None, headers=()):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in (("content-type", "application/json"), ("content-length", len(data)), *headers):
                    self.send_header(name, str(value))
                self.end_headers()
                self.wfile.write(data)

            def reply(self):
                portal.requests.append((self.command, self.path))
                tries = sum(1 for request in portal.requests if request == (self.command, self.path))
                if tries == 1:
                    return self.answer(503)
                if tries == 2:
                    return self.answer(429, {"error": {}}, [("retry-after", "0")])
                if self.command == "POST":
                    return self.answer(200, {"identifier": item["identifier"], "acknowledged_at": "2026-01-01T00:00Z"})
                results = [] if "after=" in self.path else [portal.item]
                return self.answer(200, {"results": results, "next_after": item["cursor"]})

            do_GET = do_POST = reply

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_pull_client_backs_off_on_429_and_5xx(tmp_path):
    item = {
        "id": 7,
        "cursor": 70,
        "identifier": "00000000-0000-4000-8000-000000000007",
        "sent": "2026-01-01T00:00:00Z",
        "status": "Actual",
        "msg_type": "Alert",
        "references": None,
        "reference": "LT-2026-000007",
        "acknowledged_at": None,
        "incident": {"category": "smuggling_goods"},
        "reason": None,
    }
    flaky = FlakyPortal(item)
    try:
        db = tmp_path / "alerts.sqlite3"
        status, output = pull(flaky.url, "partner.key", db)
    finally:
        flaky.close()
    assert status == 0, output
    assert output.count("trying again") == 4, output  # a 503 and a 429 for the page, and for the ack
    assert stored(db, "SELECT identifier, acknowledged_at FROM alerts") == [(item["identifier"], "2026-01-01T00:00Z")]


# --- The webhook receiver ----------------------------------------------------------------------------


@pytest.fixture
def secret():
    return alert_services.new_secret()


@pytest.fixture
def receiver(tmp_path, secret):
    process = Process(
        [KIT / "webhook_receiver.py", "--port", "{port}", "--db", tmp_path / "events.sqlite3"],
        tmp_path / "receiver.log",
        env={"WEBHOOK_SECRET": secret},
    )
    process.db = tmp_path / "events.sqlite3"
    try:
        yield process.wait_until_listening(20)
    finally:
        process.stop()


def test_webhook_receiver_verifies_stores_once_and_refuses_a_bad_signature(
    receiver, secret, partner_agency, lt_pl_in_force, make_incident, settings
):
    settings.ALERTS_ALLOW_PRIVATE_ENDPOINTS = settings.ALERTS_ALLOW_HTTP = True
    make_incident("validated")
    alert = Alert.objects.get(country_id="PL")
    # Subscribed after the share, so that nothing is sent until this test says so.
    subscription = Subscription.objects.create(
        agency=partner_agency, name="Gateway", channel="webhook", url=f"{receiver.url}/hooks/portal", secrets=[secret]
    )
    delivery = AlertDelivery.objects.create(alert=alert, subscription=subscription)

    assert deliver(delivery.pk) == "delivered", AlertDelivery.objects.get(pk=delivery.pk).last_error
    events = stored(receiver.db, "SELECT webhook_id, type, identifier, body, received_at FROM events")
    assert [row[:3] for row in events] == [(delivery.message_id, "incident.alert", str(alert.identifier))]
    assert json.loads(events[0][3])["data"]["cursor"] == Alert.objects.get(pk=alert.pk).seq

    # The same message again (the portal did not get the answer): 2xx, and not stored twice.
    AlertDelivery.objects.filter(pk=delivery.pk).update(state="pending")
    assert deliver(delivery.pk) == "delivered"
    assert AlertDelivery.objects.get(pk=delivery.pk).last_status == 204
    assert stored(receiver.db, "SELECT webhook_id, type, identifier, body, received_at FROM events") == events
    wait_for(lambda: "a repeat, already stored" in receiver.log.read_text(), 5, "the receiver to log the repeat")
    assert receiver.log.read_text().count(f"({alert.identifier})") == 1, "handled once"

    body = events[0][3].encode()
    now = datetime.datetime.now(tz=datetime.UTC)
    forged = {
        "webhook-id": "msg_forged",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(alert_services.new_secret()).sign("msg_forged", now, body.decode()),
    }
    assert httpx.post(receiver.url, content=body, headers=forged).status_code == 401
    assert httpx.post(receiver.url, content=body, headers={**forged, "webhook-signature": "garbage"}).status_code == 401
    assert httpx.post(receiver.url, content=body).status_code == 401
    assert len(stored(receiver.db, "SELECT webhook_id FROM events")) == 1


# --- The partner guide -------------------------------------------------------------------------------


def test_the_partner_guide_shows_the_programs_as_they_are_on_disk(
    partner_key, verified_client, agency_admin, monkeypatch, tmp_path
):
    from django.test import Client
    from django.utils.html import escape

    from portal.views import apidocs

    by_key = Client(headers={"authorization": f"Api-Key {partner_key}"})
    page = by_key.get("/api/guide/")
    assert page.status_code == 200
    text = page.content.decode()
    for name in apidocs.PARTNER_PROGRAMS:
        assert escape((KIT / name).read_text()) in text, name  # all of it, as Django escapes it
    assert "<script>" not in text and " style=" not in text and "<style" not in text
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert 'href="/api/docs/"' in text and "Sign out" not in text  # a key is no session

    assert "/api/guide/" in verified_client(agency_admin).get("/api/docs/").content.decode()
    assert Client().get("/api/guide/").status_code in {401, 403}, "the same rule as the API docs"

    # Read at every request: a change to a program shows at once.
    for name in apidocs.PARTNER_PROGRAMS:
        (tmp_path / name).write_text(f"print('{name} as changed')\n")
    monkeypatch.setattr(apidocs, "PARTNER_KIT", tmp_path)
    assert "print(&#x27;pull_client.py as changed&#x27;)" in by_key.get("/api/guide/").content.decode()
