"""Alerts of requests for information: whether their receiver may still read the request, and
what they carry when it may.

The alerts app sits below `exchange` and may not import it, so the requests' gate is registered
here by `exchange` (`ExchangeConfig.ready()` calls `register`), and `exchange` builds each alert's
payload and writes it through `alerts.services.request_alert_create` in the transaction of the
service that causes it. The payload is the request as it stood at the event: its reference,
subject, countries, urgency and time limit, and the kind of answer; never the text of an answer.

An alert of a request is served (pull feed, CAP, webhook, e-mail, the subscription's ledger) only
while its reader may read the request through the gate at the moment of the read or the send:
the pull feed and CAP ask `readable(principal)` (the principal that reads), a push asks
`agency_reads` for the agency whose subscription it goes to. Otherwise it is not served at all,
as if missing. With no gate registered, no request alert is served.
"""

from typing import Protocol

from django.db.models import Q

from alerts import feed
from alerts.models import RequestEvent

# The name of each event in English, as CAP documents, e-mail subjects and the schema give it.
EVENT_NAMES = {
    RequestEvent.RECEIVED: "Request for information received",
    RequestEvent.ANSWERED: "Request for information answered",
    RequestEvent.EXTENDED: "Time limit of a request for information extended",
    RequestEvent.DEADLINE_APPROACHING: "Answer to a request for information due soon",
    RequestEvent.WITHDRAWN: "Request for information withdrawn",
}


class RequestGate(Protocol):
    def readable(self, principal):
        """A queryset of the ids (`values("pk")`) of the requests `principal` may read now."""
        ...

    def agency_reads(self, agency_id, request_id):
        """Whether the partner systems of agency `agency_id` may read request `request_id` now."""
        ...


_gate: RequestGate | None = None


def register(gate):
    """Set the requests' gate (called once by `exchange`; registering again replaces it)."""
    global _gate  # one registration hook, set when the apps are ready
    _gate = gate


def readable_q(principal, prefix=""):
    """A filter of alerts: those about no request, and those about a request `principal` may
    read now (none when no gate is registered)."""
    no_request = Q(**{f"{prefix}info_request__isnull": True})
    if _gate is None:
        return no_request
    return no_request | Q(**{f"{prefix}info_request__in": _gate.readable(principal)})


def readable_ids(principal, request_ids):
    """The ids among `request_ids` of the requests `principal` may read now."""
    if _gate is None or not request_ids:
        return set()
    return set(_gate.readable(principal).filter(pk__in=set(request_ids)).values_list("pk", flat=True))


def agency_reads(agency_id, request_id):
    """Whether the systems of agency `agency_id` may read the request now (pushes, the ledger)."""
    return _gate is not None and bool(_gate.agency_reads(agency_id, request_id))


def message(alert, visible):
    """The item of a request alert (pull feed, webhook `data`, e-mail, CAP), as its receiver may
    read it now: `request` is the content while it may read the request (callers serve no other;
    this keeps no content either way)."""
    return feed.item(
        alert,
        reference=alert.payload.get("reference") if visible else "",
        request=alert.payload.get("request") if visible else None,
    )
