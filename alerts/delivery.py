"""Push delivery of alerts: signing, posting, claiming, recording and sweeping.

Each matching subscription of an alert has an `AlertDelivery` row. A worker claims the row for
one attempt (a second worker finds nothing to take), sends what the receiving country may see at
that moment, and records the outcome on the row; retries are scheduled on the row itself, and a
beat sweeper re-sends what is due or what no worker picked up. The tasks that call this module are
in `alerts.tasks`; nothing here imports them.
"""

import contextlib
import datetime
import json
import random
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from alerts.models import AlertDelivery, AlertStatus, AlertType, Channel, DeliveryState, Subscription
from alerts.services import validate_endpoint
from incidents import access


def pending(alert_id):
    """The deliveries of an alert still waiting for their first attempt (the fan-out)."""
    return list(
        AlertDelivery.objects.filter(alert_id=alert_id, state=DeliveryState.PENDING).values_list("pk", flat=True)
    )


def sign(message_id, timestamp, body, secrets_list):
    """Standard Webhooks signatures, by its reference library: one `v1,<signature>` per secret
    (both during a rotation). `timestamp` is the `webhook-timestamp` (whole seconds)."""
    at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    return " ".join(Webhook(secret).sign(message_id, at, body.decode()) for secret in secrets_list)


def retry_delay(attempt, retry_after=None):
    """Exponential backoff with jitter over about three days; Retry-After wins when later."""
    schedule = settings.ALERTS_RETRY_SCHEDULE
    base = schedule[min(attempt - 1, len(schedule) - 1)]
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not security)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


def claim(delivery_id, now):
    """Take the delivery for this attempt; a second worker finds nothing to take."""
    return (
        AlertDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now).update(
            state=DeliveryState.SENDING, claimed_at=now
        )
        == 1
    )


def deliver(delivery_id, now=None):
    """One attempt at one delivery. Returns the new state, or None when there was nothing to do."""
    now = now or timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = AlertDelivery.objects.select_related("alert__references", "subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    alert = delivery.alert
    seen = access.access_of(alert.incident_id, alert.country_id, now)
    if alert.msg_type != AlertType.CANCEL and not seen.visible:
        # The share ended before this was sent: nothing of the incident leaves any more.
        return _cancel(delivery)
    message = access.alert_message(alert, seen)
    try:
        if subscription.channel == Channel.WEBHOOK:
            status, retry_after = _post(delivery, message, now)
        else:
            status, retry_after = _email(delivery, message), None
    except OSError as exc:
        status, retry_after, error = None, None, f"{exc.__class__.__name__}: {exc}"[:500]
    else:
        error = "" if status is not None and 200 <= status < 300 else f"HTTP {status}"
    return _record(delivery, now, status, retry_after, error)


def _cancel(delivery):
    cancelled = AlertDelivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, claimed_at=delivery.claimed_at
    ).update(state=DeliveryState.CANCELLED, claimed_at=None, last_error=str(DeliveryState.CANCELLED.label))
    return DeliveryState.CANCELLED if cancelled else None


def _post(delivery, message, now):
    # Checked again at every attempt: a name that resolved to a public address when the
    # subscription was saved may point inside our network by now (DNS rebinding).
    try:
        validate_endpoint(delivery.subscription.url)
    except ValidationError as exc:
        raise OSError(" ".join(exc.messages)) from exc
    body = json.dumps(message, separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(  # noqa: S310  (the URL was validated when subscribed)
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "user-agent": "JointOperationsPortal/1.0",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(delivery.message_id, timestamp, body, delivery.subscription.secrets),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ALERTS_TIMEOUT) as response:  # noqa: S310
            return response.status, None
    except urllib.error.HTTPError as exc:
        retry_after = exc.headers.get("Retry-After")
        return exc.code, float(retry_after) if retry_after and retry_after.isdigit() else None


def _email(delivery, message):
    from django.core.mail import send_mail

    alert = delivery.alert
    send_mail(
        # The subject names only what a tombstone or a Cancel may carry: type and reference.
        subject=f"{'[EXERCISE] ' if alert.status == AlertStatus.EXERCISE else ''}"
        f"[{alert.msg_type}] {message['reference']}",
        message=json.dumps(message, indent=2, ensure_ascii=False),
        from_email=None,
        recipient_list=delivery.subscription.emails,
    )
    return 200


def _record(delivery, now, status, retry_after, error):
    """The outcome of this attempt, written by one conditional UPDATE on the row this attempt
    claimed. If the claim was taken back meanwhile (the sweeper frees deliveries left "sending"
    too long), nothing is written and the delivery is tried again: at least once, never lost."""
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "last_status": status, "last_error": error, "claimed_at": None}
    if status is not None and 200 <= status < 300:
        changes.update(state=DeliveryState.DELIVERED, delivered_at=now)
    elif status == 410 or attempts >= len(settings.ALERTS_RETRY_SCHEDULE) + 1:
        changes.update(state=DeliveryState.DEAD)
    else:
        changes.update(state=DeliveryState.PENDING, next_attempt_at=now + retry_delay(attempts, retry_after))
    # Only a 410 writes two rows; every other outcome is the one statement, in autocommit.
    with transaction.atomic() if status == 410 else contextlib.nullcontext():
        claimed = AlertDelivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, claimed_at=delivery.claimed_at
        ).update(**changes)
        if claimed and status == 410:
            Subscription.objects.filter(pk=delivery.subscription_id).update(
                is_active=False, disabled_reason=_("The endpoint answered 410 Gone.")
            )
    return changes["state"] if claimed else None


def sweep(now=None):
    """Free deliveries a crashed worker left half-sent, and return the ids that are due (the
    beat task sends one message for each)."""
    now = now or timezone.now()
    stuck = now - timedelta(seconds=settings.ALERTS_STUCK_AFTER)
    AlertDelivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stuck).update(
        state=DeliveryState.PENDING, claimed_at=None
    )
    return list(
        AlertDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.ALERTS_SWEEP_BATCH]
    )
