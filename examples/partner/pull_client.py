"""A partner agency's pull client of the portal's alert feed: it follows the cursor, keeps the
cursor and the alerts it received in a local SQLite file, and acknowledges each new Alert.

    python pull_client.py --portal https://portal.example --key KEY --db alerts.sqlite3 [--once]

The key needs the scopes alerts:read and alerts:ack; it may also come from PORTAL_API_KEY, which
keeps it out of the process list. With --once the client reads the feed to its end and exits;
without it, it asks again every --interval seconds until stopped (Ctrl-C or SIGTERM).

Why it can be stopped and started at any moment without losing or repeating an alert:
- each page of alerts is stored together with the cursor after it, in one SQLite transaction,
  so a restart goes on from the last page stored;
- alerts are stored by their `identifier`, so an alert given twice is kept once;
- acknowledgements are sent after the alerts are stored, and the ones not yet confirmed by the
  portal are sent again at the next run (acknowledging is idempotent on the portal).

Only the Python standard library and httpx are needed. `handle()` is where a partner's own
system takes over (here it prints one line per alert).
"""

import argparse
import datetime
import email.utils
import json
import logging
import os
import random
import signal
import sqlite3
import sys
import threading
from typing import Any

import httpx

log = logging.getLogger("pull_client")

FEED = "/api/v1/alerts/"
ACK = "/api/v1/alerts/{id}/ack/"
MAX_BACKOFF = 60.0  # seconds: the longest wait of the backoff
MAX_RETRY_AFTER = 300.0  # seconds: the longest Retry-After waited for

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    identifier TEXT PRIMARY KEY,      -- the alert's UUID: what makes an alert stored once
    id INTEGER NOT NULL,              -- the portal's id, for acknowledging and CAP
    cursor INTEGER NOT NULL,          -- its place in the feed (commit order)
    msg_type TEXT NOT NULL,           -- Alert, Update or Cancel
    reference TEXT,                   -- the incident's reference
    sent TEXT NOT NULL,
    item TEXT NOT NULL,               -- the feed's item, as JSON
    received_at TEXT NOT NULL,
    acknowledged_at TEXT,             -- set once the portal confirmed the acknowledgement
    ack_error TEXT                    -- why the portal refused to take it, if it did
);
"""


class Refused(Exception):
    """The portal refused the request for a reason that waiting will not cure (key, scope, URL)."""


class Unavailable(Exception):
    """The portal did not answer usefully after every retry."""


def now_text() -> str:
    return datetime.datetime.now(tz=datetime.UTC).isoformat()


class Store:
    """The client's SQLite file: the cursor and every alert received."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def after(self) -> int | None:
        row = self.db.execute("SELECT value FROM state WHERE name = 'after'").fetchone()
        return int(row[0]) if row else None

    def save_page(self, items: list[dict[str, Any]], next_after: int | None) -> list[dict[str, Any]]:
        """Store a page and the cursor after it in one transaction; returns the items not seen before."""
        new = []
        with self.db:
            for item in items:
                stored = self.db.execute(
                    "INSERT OR IGNORE INTO alerts (identifier, id, cursor, msg_type, reference, sent, item, "
                    "received_at, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item["identifier"],
                        item["id"],
                        item["cursor"],
                        item["msg_type"],
                        item.get("reference"),
                        item["sent"],
                        json.dumps(item, ensure_ascii=False),
                        now_text(),
                        item.get("acknowledged_at"),
                    ),
                )
                if stored.rowcount:
                    new.append(item)
            if next_after is not None:
                self.db.execute(
                    "INSERT INTO state (name, value) VALUES ('after', ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (str(next_after),),
                )
        return new

    def to_acknowledge(self) -> list[tuple[int, str]]:
        """(id, identifier) of the stored Alerts the portal has not confirmed as acknowledged."""
        return self.db.execute(
            "SELECT id, identifier FROM alerts WHERE msg_type = 'Alert' AND acknowledged_at IS NULL "
            "AND ack_error IS NULL ORDER BY cursor"
        ).fetchall()

    def acknowledged(self, identifier: str, at: str | None, error: str | None = None) -> None:
        with self.db:
            self.db.execute(
                "UPDATE alerts SET acknowledged_at = ?, ack_error = ? WHERE identifier = ?", (at, error, identifier)
            )

    def close(self) -> None:
        self.db.close()


def retry_after(response: httpx.Response) -> float | None:
    """The answer's Retry-After in seconds (a number of seconds or an HTTP date), if it has one."""
    value: str = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    return max(0.0, (at - datetime.datetime.now(tz=datetime.UTC)).total_seconds())


class Portal:
    """The portal's API with the key, retrying 429, 5xx and network errors with backoff."""

    def __init__(self, url: str, key: str, stop: threading.Event, attempts: int = 8):
        self.http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Api-Key {key}", "Accept": "application/json"},
            timeout=httpx.Timeout(30.0, connect=10.0),
            follow_redirects=False,
        )
        self.stop, self.attempts = stop, attempts

    def call(self, method: str, path: str, *, missing_ok: bool = False, **options: Any) -> httpx.Response:
        """The portal's answer: a 2xx (or a 404 with `missing_ok`); Refused for any other 4xx but
        429; Unavailable once the attempts are spent on 429, 5xx and network errors."""
        problem = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            wait = None
            try:
                response = self.http.request(method, path, **options)
            except httpx.TransportError as exc:  # refused connection, timeout, broken answer
                problem = f"{exc.__class__.__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300 or (status == 404 and missing_ok):
                    return response
                if status != 429 and status < 500:
                    raise Refused(f"{method} {path}: HTTP {status} {response.text[:300]}")
                problem, wait = f"HTTP {status}", retry_after(response)
            if attempt == self.attempts:
                break
            if wait is None:
                # Exponential backoff with jitter, so that many clients do not come back at once.
                wait = min(MAX_BACKOFF, 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
            wait = min(wait, MAX_RETRY_AFTER)
            log.warning("%s %s: %s; trying again in %.1f s", method, path, problem, wait)
            if self.stop.wait(wait):
                raise Unavailable("stopped")
        raise Unavailable(f"{method} {path}: {problem} after {self.attempts} attempts")

    def close(self) -> None:
        self.http.close()


def handle(item: dict[str, Any]) -> None:
    """A new alert has been stored: the partner's own system takes it from here."""
    incident = item.get("incident") or {}
    what = incident.get("category") or item.get("reason") or ""
    print(f"{item['msg_type']:<6} {item['reference']} {what} ({item['identifier']})", flush=True)


def pull(portal: Portal, store: Store, limit: int) -> int:
    """Read the feed from the stored cursor to its end; returns how many alerts were new."""
    new_count = 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        after = store.after()
        if after is not None:
            params["after"] = after
        page = portal.call("GET", FEED, params=params).json()
        for item in store.save_page(page["results"], page["next_after"]):
            handle(item)
            new_count += 1
        if len(page["results"]) < limit:
            return new_count


def acknowledge(portal: Portal, store: Store) -> int:
    """Acknowledge every stored Alert the portal has not confirmed yet; returns how many."""
    done = 0
    for alert_id, identifier in store.to_acknowledge():
        response = portal.call("POST", ACK.format(id=alert_id), missing_ok=True)
        if response.status_code == 404:
            # Not an alert of this key's country (any more): acknowledging it will never work.
            store.acknowledged(identifier, None, "not found")
            log.warning("alert %s: not found on the portal, not acknowledged", identifier)
            continue
        store.acknowledged(identifier, response.json()["acknowledged_at"])
        done += 1
    return done


def run(portal: Portal, store: Store, limit: int) -> None:
    acknowledge(portal, store)  # what a previous run stored but could not acknowledge
    new = pull(portal, store, limit)
    acknowledged = acknowledge(portal, store)
    log.info("%d new alert(s), %d acknowledged, cursor %s", new, acknowledged, store.after())


def page_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 500:
        raise argparse.ArgumentTypeError("give a number from 1 to 500")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--portal", required=True, help="the portal's address, e.g. https://portal.example")
    parser.add_argument("--key", default=os.environ.get("PORTAL_API_KEY"), help="API key (or PORTAL_API_KEY)")
    parser.add_argument("--db", required=True, help="the SQLite file of the cursor and the alerts")
    parser.add_argument("--once", action="store_true", help="read the feed to its end, then exit")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls (default 30)")
    parser.add_argument("--limit", type=page_size, default=100, help="alerts per page, 1 to 500 (default 100)")
    options = parser.parse_args(argv)
    if not options.key:
        parser.error("give --key or set PORTAL_API_KEY")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    store = Store(options.db)
    portal = Portal(options.portal, options.key, stop)
    try:
        while True:
            try:
                run(portal, store, options.limit)
            except Unavailable as exc:
                if options.once or stop.is_set():
                    log.error("portal unavailable: %s", exc)
                    return 1
                log.warning("portal unavailable: %s; polling again later", exc)
            if options.once or stop.wait(options.interval):
                return 0
    except Refused as exc:
        log.error("refused by the portal: %s", exc)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        portal.close()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
