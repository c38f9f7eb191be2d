"""A partner agency's receiver of the portal's webhooks: it checks every message's signature,
keeps each message once in a local SQLite file, and answers the portal.

    python webhook_receiver.py --port 8080 --secret whsec_... --db events.sqlite3

The signing secret is the subscription's (shown on its page in the portal); it may also come
from WEBHOOK_SECRET, which keeps it out of the process list. Put the receiver behind the
agency's HTTPS reverse proxy: the portal posts to https:// addresses only.

What it answers, and why:
- 401 when the signature does not verify (wrong secret, altered body, or a timestamp more than
  five minutes away from this machine's clock): the message is not the portal's;
- 204 once a verified message is stored; the portal counts only a 2xx as delivered, and tries
  again later after anything else;
- 204 again for a message it already has: the portal sends a message again when it did not get
  the first answer, with the same `webhook-id`, which is how repeats are recognised.

Only the Python standard library and the `standardwebhooks` package are needed. `handle()` is
where a partner's own system takes over (here it prints one line per new message).
"""

import argparse
import datetime
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

log = logging.getLogger("webhook_receiver")

WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_BODY = 1024 * 1024  # bytes: an alert is a few kilobytes

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    webhook_id TEXT PRIMARY KEY,      -- the same for every attempt at one message
    type TEXT NOT NULL,               -- incident.alert, incident.update or incident.cancel
    timestamp TEXT NOT NULL,          -- when the portal made the event
    identifier TEXT,                  -- the alert's UUID (data.identifier)
    reference TEXT,                   -- the incident's reference
    body TEXT NOT NULL,               -- the envelope, as received
    received_at TEXT NOT NULL
);
"""


class Store:
    """The receiver's SQLite file, shared by the server's threads."""

    def __init__(self, path: str):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(SCHEMA)

    def add(self, webhook_id: str, event: dict[str, Any], body: bytes) -> bool:
        """Store a verified message; False when it was stored before."""
        data = event.get("data") or {}
        with self.lock, self.db:
            stored = self.db.execute(
                "INSERT OR IGNORE INTO events (webhook_id, type, timestamp, identifier, reference, body, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    webhook_id,
                    event["type"],
                    event["timestamp"],
                    data.get("identifier"),
                    data.get("reference"),
                    body.decode(),
                    datetime.datetime.now(tz=datetime.UTC).isoformat(),
                ),
            )
        return stored.rowcount == 1

    def close(self) -> None:
        self.db.close()


def handle(event: dict[str, Any]) -> None:
    """A new message has been stored: the partner's own system takes it from here."""
    data = event.get("data") or {}
    incident = data.get("incident") or {}
    what = incident.get("category") or data.get("reason") or ""
    print(f"{event['type']:<15} {data.get('reference')} {what} ({data.get('identifier')})", flush=True)


def make_handler(webhook: Webhook, store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keeps the connection open between messages, as the portal expects of a partner's server.
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = self.headers.get("content-length")
            if length is None or not length.isdigit():
                self.answer(411)
                return
            if int(length) > MAX_BODY:
                self.answer(413, close=True)
                return
            body = self.rfile.read(int(length))
            headers = {name: self.headers.get(name, "") for name in WEBHOOK_HEADERS}
            try:
                # The reference library checks the signature against the exact bytes received,
                # and that the timestamp is recent (so an old message cannot be replayed).
                webhook.verify(body, headers, json_parse=False)
            except (WebhookVerificationError, ValueError):  # ValueError: a malformed header or body
                log.warning("refused a message with a bad signature (webhook-id %r)", headers["webhook-id"])
                self.answer(401)
                return
            try:
                event = json.loads(body)
                new = store.add(headers["webhook-id"], event, body)
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("signed message %s is not an event envelope", headers["webhook-id"])
                self.answer(400)
                return
            # Answer first, work afterwards: the portal waits only a few seconds for the answer.
            self.answer(204)
            if new:
                handle(event)
            else:
                log.info("%s: a repeat, already stored", headers["webhook-id"])

        def answer(self, status: int, close: bool = False) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            if close:
                self.send_header("connection", "close")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--secret", default=os.environ.get("WEBHOOK_SECRET"), help="the signing secret (or WEBHOOK_SECRET)"
    )
    parser.add_argument("--db", required=True, help="the SQLite file of the messages received")
    options = parser.parse_args(argv)
    if not options.secret:
        parser.error("give --secret or set WEBHOOK_SECRET")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        webhook = Webhook(options.secret)
    except Exception as exc:  # the library raises several kinds for a secret that is not base64
        parser.error(f"the secret is not a signing secret (whsec_...): {exc}")

    store = Store(options.db)
    server = ThreadingHTTPServer((options.host, options.port), make_handler(webhook, store))
    # serve_forever() returns once shutdown() is called, which must come from another thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("listening on http://%s:%d/", options.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
