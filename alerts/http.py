"""Posting to partners' webhooks: one HTTP client per worker process, a deadline per attempt.

httpx's own timeouts bound each connect, read and write, so a server that trickles a byte every
few seconds could hold a worker thread for ever. Every attempt here runs on one event loop of the
process, under a deadline for the whole request (connect, send, status line, headers and body);
when it passes, the request is cancelled and its connection closed. The one `AsyncClient` keeps
connections open between attempts, so a burst to fifty partners reuses them. Redirects are never
followed: a 3xx is a failed attempt (Standard Webhooks), so nothing is sent on to an address the
private-address rule would refuse.
"""

import asyncio
import os
import threading
from dataclasses import dataclass, field

import httpx
from django.conf import settings


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class _Loop:
    """An event loop in a daemon thread of this process, with its client (made after a fork)."""

    def __init__(self):
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.client: httpx.AsyncClient | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, name="webhook-http", daemon=True)
        self.thread.start()

    def make_client(self):
        timeout = httpx.Timeout(settings.ALERTS_TIMEOUT, connect=settings.ALERTS_CONNECT_TIMEOUT)
        limits = httpx.Limits(
            max_connections=settings.ALERTS_HTTP_MAX_CONNECTIONS,
            max_keepalive_connections=settings.ALERTS_HTTP_MAX_CONNECTIONS,
            keepalive_expiry=30,
        )
        return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False, trust_env=False, http2=False)

    async def post(self, url, body, headers, deadline):
        if self.client is None:
            self.client = self.make_client()
        async with asyncio.timeout(deadline):
            response = await self.client.post(url, content=body, headers=headers)
        return Answer(response.status_code, dict(response.headers))


_lock = threading.Lock()
_state: _Loop | None = None


def _loop():
    global _state
    with _lock:
        if _state is None or _state.pid != os.getpid():
            _state = _Loop()  # a forked child starts its own: a loop does not survive a fork
        return _state


def post(url, body, headers, deadline=None):
    """POST `body` and return the answer's status and headers, within `deadline` seconds in all
    (ALERTS_DEADLINE by default). Raises `httpx.HTTPError` for a failed exchange (refused, reset,
    a malformed answer) and `TimeoutError` when the deadline passes."""
    deadline = deadline or settings.ALERTS_DEADLINE
    state = _loop()
    future = asyncio.run_coroutine_threadsafe(state.post(url, body, headers, deadline), state.loop)
    try:
        # The coroutine ends itself at the deadline; the margin only covers a loop that stalls.
        return future.result(timeout=deadline + 5)
    except TimeoutError:
        future.cancel()
        raise
