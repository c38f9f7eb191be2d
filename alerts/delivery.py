"""Push delivery of alerts: the event, signing, posting, claiming, recording and sweeping.

Each matching subscription of an alert has an `AlertDelivery` row. A worker claims the row for
one attempt (a second worker finds nothing to take, and a subscription never has more than
ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT attempts at once), sends what the receiving country may see at
that moment, and records the outcome on the row. Every attempt ends in a recorded outcome, a
malformed answer or an exception included; retries are scheduled on the row, and a beat sweeper
sends what is due and frees what a killed worker left half-sent. The row says when a message was
last handed to the broker (`enqueued_at`), so the sweeper never piles a second one on a waiting
one. The tasks that call this module are in `alerts.tasks`; nothing here imports them.

Webhooks follow Standard Webhooks: the body is the event envelope (`type`, `timestamp`, `data`,
with `data` the pull feed's item), signed by the reference library; only a 2xx is a delivery,
a 3xx is a failed attempt and is never followed, a 410 switches the subscription off, and a
`Retry-After` (seconds or an HTTP date) postpones the retry.
"""

import datetime
import email.utils
import json
import random
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from alerts import http, info_requests, levels
from alerts.feed import sequence
from alerts.models import (
    AlertDelivery,
    AlertKind,
    AlertStatus,
    AlertType,
    CancelReason,
    Channel,
    DeliveryState,
    RequestEvent,
    Subscription,
)
from alerts.services import cancel_waiting, validate_endpoint
from incidents import access
from portal.outbox import send

DELIVER = "alerts.tasks.deliver_alert"

# The event types of the webhook envelope (documented in the OpenAPI schema's `webhooks`), one
# per kind and type of alert (`Alert.event_key`). A sector's level has Alerts only: a rise is
# announced, a lowering is not, and an alert whose sector is no longer seen is simply not served.
# A request for information has one per event, whatever the message type of its thread.
EVENT_TYPES = {
    (AlertKind.INCIDENT, AlertType.ALERT): "incident.alert",
    (AlertKind.INCIDENT, AlertType.UPDATE): "incident.update",
    (AlertKind.INCIDENT, AlertType.CANCEL): "incident.cancel",
    (AlertKind.SECTOR_LEVEL, AlertType.ALERT): "sector.impact_level_raised",
    (AlertKind.REQUEST, RequestEvent.RECEIVED): "request.received",
    (AlertKind.REQUEST, RequestEvent.ANSWERED): "request.answered",
    (AlertKind.REQUEST, RequestEvent.EXTENDED): "request.extended",
    (AlertKind.REQUEST, RequestEvent.DEADLINE_APPROACHING): "request.deadline_approaching",
    (AlertKind.REQUEST, RequestEvent.WITHDRAWN): "request.withdrawn",
}


def event_type(alert):
    return EVENT_TYPES[alert.event_key]


def pending(alert_id, now=None):
    """The deliveries of an alert still waiting for their first message (the fan-out); they are
    marked as handed to the broker."""
    rows = AlertDelivery.objects.filter(alert_id=alert_id, state=DeliveryState.PENDING, enqueued_at__isnull=True)
    ids = list(rows.values_list("pk", flat=True))
    AlertDelivery.objects.filter(pk__in=ids).update(enqueued_at=now or timezone.now())
    return ids


def event(alert, now):
    """The Standard Webhooks envelope of one alert: `data` is the pull feed's item of it, as its
    receiver may see it at `now` (`alert.message` and `alert.access` set by the caller)."""
    from alerts.api.serializers import AlertOut

    return {
        "type": event_type(alert),
        "timestamp": now.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "data": AlertOut(alert).data,
    }


def sign(message_id, timestamp, body, secrets_list):
    """Standard Webhooks signatures, by its reference library: one `v1,<signature>` per secret
    (both during a rotation). `timestamp` is the `webhook-timestamp` (whole seconds)."""
    at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    return " ".join(Webhook(secret).sign(message_id, at, body.decode()) for secret in secrets_list)


def retry_delay(attempt, retry_after=None):
    """Exponential backoff with jitter over about three days; Retry-After wins when later (up
    to the schedule's longest step, so a partner cannot park a delivery for ever)."""
    schedule = settings.ALERTS_RETRY_SCHEDULE
    base = schedule[min(attempt - 1, len(schedule) - 1)]
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not security)
    if retry_after is not None:
        delay = max(delay, min(retry_after, max(schedule)))
    return timedelta(seconds=delay)


def retry_after_seconds(value, now):
    """`Retry-After` as seconds from `now`: a whole number of seconds, or an HTTP date (RFC 9110
    §10.2.3); None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    return max(0.0, (at - now).total_seconds())


def claim(delivery_id, now):
    """Take the delivery for this attempt; a second worker finds nothing to take. A subscription
    with ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT attempts under way gets no more: the delivery waits
    (`enqueued_at` cleared) and the next attempt to finish there hands it on."""
    due = AlertDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now)
    with transaction.atomic():
        subscription_id = due.values_list("subscription_id", flat=True).first()
        if subscription_id is None:
            return False
        # One claim at a time per subscription, so the count below cannot be passed by two.
        list(Subscription.objects.select_for_update().filter(pk=subscription_id).values_list("pk"))
        busy = AlertDelivery.objects.filter(
            subscription_id=subscription_id,
            state=DeliveryState.SENDING,
            claimed_at__gte=now - timedelta(seconds=settings.ALERTS_STUCK_AFTER),
        ).count()
        if busy >= settings.ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT:
            due.update(enqueued_at=None)
            return False
        return due.update(state=DeliveryState.SENDING, claimed_at=now, enqueued_at=None) == 1


def deliver(delivery_id, now=None):
    """One attempt at one delivery. Returns the new state, or None when there was nothing to do."""
    now = now or timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = AlertDelivery.objects.select_related("alert__references", "alert__sector", "subscription__agency").get(
        pk=delivery_id
    )
    try:
        return _attempt(delivery, now)
    finally:
        hand_on(delivery.subscription_id, now)


def _attempt(delivery, now):
    subscription = delivery.subscription
    alert = delivery.alert
    if not subscription.is_active:
        return _cancel(delivery, CancelReason.SWITCHED_OFF)
    if alert.is_request:
        if alert.country_id != subscription.agency.country_id or not info_requests.agency_reads(
            subscription.agency_id, alert.info_request_id
        ):
            # The requests' gate does not let the subscriber's agency read the request now.
            return _cancel(delivery, CancelReason.REQUEST_UNSEEN)
        seen = None
    elif alert.is_sector_level:
        if not levels.sees(alert.country_id, alert.sector.country_id, now):
            # No agreement in force lets the receiver see the sector now: nothing of it leaves.
            return _cancel(delivery, CancelReason.SECTOR_UNSEEN)
        seen = None
    else:
        seen = access.access_of(alert.incident_id, alert.country_id, now)
        if alert.msg_type != AlertType.CANCEL and not seen.visible:
            # The share ended before this was sent: nothing of the incident leaves any more.
            return _cancel(delivery, CancelReason.SHARE_ENDED)
    status, retry_after, error = None, None, ""
    try:
        if alert.seq is None:
            sequence()  # committed by now: its feed cursor is part of the event
            alert.refresh_from_db(fields=["seq"])
        if alert.is_request:
            alert.message = info_requests.message(alert, visible=True)
        elif alert.is_sector_level:
            alert.message = levels.message(alert, visible=True)
        else:
            alert.access, alert.message = seen, incident_message(alert, seen)
        pushed = event(alert, now)
        if subscription.channel == Channel.WEBHOOK:
            body = json.dumps(pushed, separators=(",", ":"), cls=DjangoJSONEncoder).encode()
            status, retry_after, error = _post(delivery, body, now)
        else:
            status = _email(delivery, alert.message, pushed)
    except Exception as exc:  # every failure is a counted attempt: retried, then dead-lettered
        status, error = None, describe(exc)
    return _record(delivery, now, status, retry_after, error)


def incident_message(alert, seen):
    """The item of an incident alert (`incidents.access.alert_message`)."""
    return access.alert_message(alert, seen)


def describe(exc):
    """The ledger's words for an attempt that got no usable answer."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        text = f"No complete answer within {settings.ALERTS_DEADLINE} seconds."
    elif isinstance(exc, httpx.RemoteProtocolError):
        text = f"Malformed HTTP answer: {exc}"
    elif isinstance(exc, httpx.ConnectError):
        text = f"Could not connect: {exc}"
    else:
        text = f"{exc.__class__.__name__}: {exc}"
    return text[:500]


def _cancel(delivery, reason):
    cancelled = AlertDelivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, claimed_at=delivery.claimed_at
    ).update(state=DeliveryState.CANCELLED, claimed_at=None, last_error=reason)
    return DeliveryState.CANCELLED if cancelled else None


def _post(delivery, body, now):
    """(status, Retry-After seconds, error) of one POST."""
    # Checked again at every attempt: a name that resolved to a public address when the
    # subscription was saved may point inside our network by now (DNS rebinding).
    try:
        validate_endpoint(delivery.subscription.url)
    except ValidationError as exc:
        return None, None, " ".join(exc.messages)[:500]
    timestamp = str(int(now.timestamp()))
    answer = http.post(
        delivery.subscription.url,
        body,
        {
            "content-type": "application/json",
            "user-agent": "JointOperationsPortal/1.0",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(delivery.message_id, timestamp, body, delivery.subscription.secrets),
        },
    )
    status = answer.status
    if 200 <= status < 300:
        return status, None, ""
    if 300 <= status < 400:
        where = answer.headers.get("location", "")
        return status, None, f"HTTP {status}: a redirect (to {where or 'no address'}) is not followed."[:500]
    return status, retry_after_seconds(answer.headers.get("retry-after"), now), f"HTTP {status}"


def _email(delivery, message, pushed):
    from django.core.mail import send_mail

    alert = delivery.alert
    body = json.dumps(pushed, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
    if alert.is_sector_level:
        # Sent only while the receiver sees the sector (`_attempt`): the subject may name the rise.
        subject, body = _level_email(message, body)
    elif alert.is_request:
        # Sent only while the agency may read the request (`_attempt`): the event and the reference.
        subject = f"[{info_requests.EVENT_NAMES[alert.request_event]}] {message['reference']}"
    else:
        # The subject names only what a tombstone or a Cancel may carry: type and reference.
        subject = (
            f"{'[EXERCISE] ' if alert.status == AlertStatus.EXERCISE else ''}[{alert.msg_type}] {message['reference']}"
        )
    send_mail(subject=subject, message=body, from_email=None, recipient_list=delivery.subscription.emails)
    return 200


def _level_email(message, body):
    """Subject and text of a level alert's e-mail: the rise in words, then the event as pushed."""
    from django.template.loader import render_to_string

    sector = message["sector"]
    context = {"sector": sector, "event": body}
    subject = render_to_string("alerts/email/level_raised_subject.txt", context)
    return " ".join(subject.split()), render_to_string("alerts/email/level_raised.txt", context)


def _record(delivery, now, status, retry_after, error):
    """The outcome of this attempt, written by one conditional UPDATE on the row this attempt
    claimed. If the claim was taken back meanwhile (the sweeper frees deliveries left "sending"
    too long, a share or subscription ended), nothing is written: at least once, never lost."""
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "last_status": status, "last_error": error, "claimed_at": None}
    changes["enqueued_at"] = None  # no message waits for this row, unless a delayed one is sent below
    retry_in = None
    if status is not None and 200 <= status < 300:
        changes.update(state=DeliveryState.DELIVERED, delivered_at=now)
    elif status == 410 or attempts >= len(settings.ALERTS_RETRY_SCHEDULE) + 1:
        changes.update(state=DeliveryState.DEAD)
    else:
        retry_in = retry_delay(attempts, retry_after)
        changes.update(state=DeliveryState.PENDING, next_attempt_at=now + retry_in)
        if retry_in.total_seconds() < settings.ALERTS_SWEEP_INTERVAL and not settings.CELERY_TASK_ALWAYS_EAGER:
            changes.update(enqueued_at=now)  # sooner than the next sweep: a delayed message of its own
    with transaction.atomic():
        claimed = AlertDelivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, claimed_at=delivery.claimed_at
        ).update(**changes)
        if claimed and status == 410:
            Subscription.objects.filter(pk=delivery.subscription_id).update(
                is_active=False, disabled_reason=CancelReason.GONE.label
            )
            cancel_waiting(delivery.subscription_id, CancelReason.GONE)
    if claimed and retry_in is not None and changes.get("enqueued_at"):
        send(DELIVER, delivery.pk, countdown=retry_in.total_seconds())
    return changes["state"] if claimed else None


def hand_on(subscription_id, now):
    """After an attempt at a subscription, send the next of its deliveries that waited for a free
    place (`claim`), so a busy partner's queue keeps moving without the sweeper."""
    waiting = (
        AlertDelivery.objects.filter(
            subscription_id=subscription_id,
            state=DeliveryState.PENDING,
            next_attempt_at__lte=now,
            enqueued_at__isnull=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting and AlertDelivery.objects.filter(pk=waiting, enqueued_at__isnull=True).update(enqueued_at=now):
        send(DELIVER, waiting)


def sweep(now=None):
    """Free deliveries a killed worker left half-sent, and return the ids that are due and have
    no message waiting at the broker (the beat task sends one message for each). Rows handed to
    the broker longer ago than ALERTS_REQUEUE_AFTER are taken for lost and sent again."""
    now = now or timezone.now()
    stuck = now - timedelta(seconds=settings.ALERTS_STUCK_AFTER)
    AlertDelivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stuck).update(
        state=DeliveryState.PENDING, claimed_at=None, enqueued_at=None
    )
    lost = now - timedelta(seconds=settings.ALERTS_REQUEUE_AFTER)
    due = (
        AlertDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost))
        .order_by("next_attempt_at")
    )
    # A subscription is given no more than it may have under way; the rest follow as those end.
    per_subscription: dict[int, int] = {}
    ids = []
    for pk, subscription_id in due.values_list("pk", "subscription_id")[: settings.ALERTS_SWEEP_BATCH * 4]:
        taken = per_subscription.get(subscription_id, 0)
        if taken < settings.ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT:
            per_subscription[subscription_id] = taken + 1
            ids.append(pk)
            if len(ids) >= settings.ALERTS_SWEEP_BATCH:
                break
    AlertDelivery.objects.filter(pk__in=ids, state=DeliveryState.PENDING).update(enqueued_at=now)
    return ids


def overdue(now=None):
    """How many deliveries have been due longer than ALERTS_OVERDUE_AFTER without an attempt
    (a stopped alerts worker, a lost beat): /healthz reports the delivery path from it."""
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.ALERTS_OVERDUE_AFTER)
    waiting = AlertDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lt=late)
    stuck = AlertDelivery.objects.filter(
        state=DeliveryState.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.ALERTS_STUCK_AFTER + settings.ALERTS_OVERDUE_AFTER),
    )
    oldest = waiting.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    count = (waiting.count() if oldest else 0) + stuck.count()
    return {"ok": count == 0, "overdue": count, "oldest_due": oldest.isoformat() if oldest else None}
