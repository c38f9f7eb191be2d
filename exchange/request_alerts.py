"""Alerts of requests for information to the partner systems of its two countries, through the
alerts app's outbox (`alerts.services.request_alert_create`, in the transaction of the service).

Who is told of what: the requested country of a request received, of its answer falling due
soon (the sweep's reminder) and of its withdrawal; the requesting country of each answer and of
each extension of the time limit. Within that country, the agencies whose partner systems may
read the request now by the one gate (`selectors.requests_visible_to`, read as `AgencySystems`):
its single point of contact and the agency it routed the request to on the requested side, the
requesting agency and its country's SPOC on the requesting side.

What an alert carries (`content`): the request's id, reference, subject, countries, status,
urgency, when it was sent and is due, and for an answer its kind (and when the rest follows);
never the text of the request or of an answer, so no personal data travels in an alert whatever
the clauses say: a partner system reads the request through the API, audited, with personal data
only while a clause allows it then. Alerts are served only while their reader may still read the
request (`Gate`, registered with `alerts.info_requests` by `ExchangeConfig.ready()`). A
withdrawn request stays readable by both countries, so its earlier alerts stay served too.
"""

import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from alerts import services as alert_services
from alerts.models import RequestEvent, Subscription
from exchange import selectors
from portal.models import Agency

# The side each event is told to.
TO_REQUESTED = {RequestEvent.RECEIVED, RequestEvent.DEADLINE_APPROACHING, RequestEvent.WITHDRAWN}
TO_REQUESTING = {RequestEvent.ANSWERED, RequestEvent.EXTENDED}


def _moment(value):
    return value.astimezone(datetime.UTC).isoformat() if value is not None else None


def api_url(info_request):
    """The request in the API (absolute, so a partner's system can follow it)."""
    try:
        path = reverse("api_exchange_request_detail", args=[info_request.pk])
    except NoReverseMatch:
        path = f"/api/v1/exchange/requests/{info_request.pk}/"
    return f"https://{settings.PORTAL_DOMAIN}{path}"


def content(info_request, event, *, previous_due_at=None, answer=None):
    """What an alert of `event` carries: the request as it stands now, nothing of any text but
    its subject."""
    return {
        "id": info_request.pk,
        "reference": info_request.reference,
        "event": str(event),
        "subject": info_request.subject,
        "requesting_country": info_request.requesting_country_id,
        "requested_country": info_request.requested_country_id,
        "status": info_request.status,
        "urgent": info_request.urgent,
        "sent_at": _moment(info_request.sent_at),
        "due_at": _moment(info_request.due_at),
        "previous_due_at": _moment(previous_due_at),
        "answer_kind": answer.kind if answer is not None else None,
        "follows_by": _moment(answer.follows_by) if answer is not None else None,
        "url": api_url(info_request),
    }


def agency_reads(agency, request_id):
    """Whether the partner systems of `agency` may read the request now: the one gate, read as
    any of its keys would read it."""
    return selectors.requests_visible_to(selectors.AgencySystems(agency)).filter(pk=request_id).exists()


def reading_agency_ids(info_request, country_id):
    """The agencies of `country_id` with an active subscription whose systems may read the
    request now."""
    subscribed = Subscription.objects.filter(
        is_active=True, agency__is_active=True, agency__country_id=country_id
    ).values("agency_id")
    agencies = Agency.objects.filter(pk__in=subscribed).order_by("pk")
    return [agency.pk for agency in agencies if agency_reads(agency, info_request.pk)]


def announce(info_request, event, *, previous_due_at=None, answer=None, now=None):
    """Write the alert of `event` to the side it is told to (call inside the service's
    transaction: it commits with it or not at all)."""
    if event in TO_REQUESTED:
        country_id = info_request.requested_country_id
    elif event in TO_REQUESTING:
        country_id = info_request.requesting_country_id
    else:
        raise ValueError(f"no side is told of {event!r}")
    return alert_services.request_alert_create(
        info_request=info_request,
        country_id=country_id,
        event=event,
        content=content(info_request, event, previous_due_at=previous_due_at, answer=answer),
        agency_ids=reading_agency_ids(info_request, country_id),
        now=now,
    )


class Gate:
    """The requests' gate as the alerts app asks it (`alerts.info_requests.RequestGate`)."""

    def readable(self, principal):
        return selectors.requests_visible_to(principal).values("pk")

    def agency_reads(self, agency_id, request_id):
        agency = Agency.objects.filter(pk=agency_id).first()
        return agency is not None and agency_reads(agency, request_id)
