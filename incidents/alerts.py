"""Alerts to partner countries: the outbox rows, their fan-out to subscriptions, and push delivery.

An alert is written in the transaction that shares (or stops sharing) an incident. Each matching
subscription gets an `AlertDelivery` row; a task delivers it once the transaction commits, and a
periodic sweeper re-sends what no worker picked up. Retries are scheduled on the row itself.
"""

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import access
from incidents.models import (
    Alert,
    AlertAcknowledgement,
    AlertDelivery,
    AlertStatus,
    AlertType,
    Channel,
    DeliveryState,
    Severity,
    Subscription,
)
from portal import audit

SEVERITY_ORDER = list(Severity.values)


def alert_create(*, incident, country, msg_type, personal_data, now=None, reason=None):
    """Write the alert and its deliveries (call inside the sharing transaction). An Alert or
    Update holds the incident as `country` may see it; a Cancel holds only the reference and
    the reason code (`ShareEnd`), never content."""
    previous = Alert.objects.filter(incident=incident, country=country).order_by("-id").first()
    if msg_type != AlertType.ALERT and previous is None:
        return None
    if msg_type == AlertType.CANCEL:
        payload = {"reference": incident.reference, "reason": str(reason or "")}
    else:
        payload = access.incident_content(incident, personal_data)
    alert = Alert.objects.create(
        incident=incident,
        country=country,
        msg_type=msg_type,
        references=previous,
        status=AlertStatus.EXERCISE if incident.is_exercise else AlertStatus.ACTUAL,
        sent_at=now or timezone.now(),
        payload=payload,
    )
    subscriptions = Subscription.objects.filter(agency__country=country, agency__is_active=True, is_active=True)
    deliveries = [
        AlertDelivery(alert=alert, subscription=subscription, next_attempt_at=alert.sent_at)
        for subscription in subscriptions
        if matches(subscription, incident)
    ]
    if deliveries:
        AlertDelivery.objects.bulk_create(deliveries)
        # One message per alert at commit, however many partners subscribed: a worker fans it
        # out (`enqueue_deliveries`), so the committing request does not publish fifty.
        enqueue_on_commit("send_alert", alert.pk)
    return alert


def enqueue_deliveries(alert_id):
    """One delivery task per pending delivery of the alert (run by a worker after the commit)."""
    from incidents.tasks import deliver_alert

    pending = AlertDelivery.objects.filter(alert_id=alert_id, state=DeliveryState.PENDING)
    ids = list(pending.values_list("pk", flat=True))
    for delivery_id in ids:
        deliver_alert.delay(delivery_id)
    return len(ids)


def enqueue_on_commit(task_name, object_id):
    """Start the task of `incidents.tasks` named `task_name` once the transaction commits; a broker
    that is down is no error (the database row is the truth and a beat sweeper takes it)."""

    def send():
        from incidents import tasks

        task = getattr(tasks, task_name)
        try:
            task.delay(object_id)
        except Exception:  # the broker is down: the sweeper sends it later
            return

    transaction.on_commit(send)


def _enqueue_on_commit(delivery_id):
    enqueue_on_commit("deliver_alert", delivery_id)


def matches(subscription, incident):
    if subscription.categories and incident.category not in subscription.categories:
        return False
    if SEVERITY_ORDER.index(incident.severity) < SEVERITY_ORDER.index(subscription.min_severity):
        return False
    if subscription.sectors and incident.border_sector not in subscription.sectors:
        return False
    if subscription.bbox:
        if incident.latitude is None:
            return False
        west, south, east, north = subscription.bbox
        if not (west <= float(incident.longitude) <= east and south <= float(incident.latitude) <= north):
            return False
    return True


# --- Subscriptions ------------------------------------------------------------------------------


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_endpoint(url):
    """Refuse endpoints that are not HTTPS (in production) or that point inside our network."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValidationError({"url": _("Give a full https:// address.")})
    if parts.scheme == "http" and not settings.ALERTS_ALLOW_HTTP:
        raise ValidationError({"url": _("Webhooks must use https://.")})
    if not settings.ALERTS_ALLOW_PRIVATE_ENDPOINTS:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
        except socket.gaierror as exc:
            raise ValidationError({"url": _("That host name does not resolve.")}) from exc
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
                raise ValidationError({"url": _("Webhooks may not point at private or loopback addresses.")})


# --- Delivery -----------------------------------------------------------------------------------


def sign(message_id, timestamp, body, secrets_list):
    """Standard Webhooks signatures: one `v1,<base64 HMAC-SHA256>` per secret (rotation)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    signatures = []
    for secret in secrets_list:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        signatures.append("v1," + base64.b64encode(digest).decode())
    return " ".join(signatures)


def retry_delay(attempt, retry_after=None):
    """Exponential backoff with jitter over about three days; Retry-After wins when later."""
    schedule = settings.ALERTS_RETRY_SCHEDULE
    base = schedule[min(attempt - 1, len(schedule) - 1)]
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not security)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


def _claim(delivery_id, now):
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
    if not _claim(delivery_id, now):
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
    """Re-enqueue deliveries that are due, and free those a crashed worker left half-sent."""
    from incidents.tasks import deliver_alert

    now = now or timezone.now()
    stuck = now - timedelta(seconds=settings.ALERTS_STUCK_AFTER)
    AlertDelivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stuck).update(
        state=DeliveryState.PENDING, claimed_at=None
    )
    due = list(
        AlertDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.ALERTS_SWEEP_BATCH]
    )
    for delivery_id in due:
        deliver_alert.delay(delivery_id)
    return len(due)


@transaction.atomic
def redeliver(*, delivery, actor, request=None):
    """The button on a dead letter: try again from the start of the schedule."""
    delivery = AlertDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state != DeliveryState.DEAD:
        raise ValidationError(_("Only a delivery that failed for good is sent again."))
    delivery.state, delivery.attempts, delivery.next_attempt_at = DeliveryState.PENDING, 0, timezone.now()
    delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
    audit.record(
        "alert.redelivered",
        actor=actor,
        obj=delivery.alert.incident,
        request=request,
        details={"delivery": delivery.pk},
    )
    _enqueue_on_commit(delivery.pk)
    return delivery


def mark_read(*, alerts, principal):
    """The first time a partner system or person fetches an alert, the sender can see it was read."""
    unread = [a.pk for a in alerts if a.read_at is None]
    if unread:
        Alert.objects.filter(pk__in=unread, read_at__isnull=True).update(
            read_at=timezone.now(), read_by=principal.get_username()[:200]
        )


def overdue_acknowledgements(*, receiving_country_id=None, sending_country_id=None, now=None):
    """Alerts past the acknowledgement deadline of their severity, still unacknowledged."""
    now = now or timezone.now()
    overdue = Alert.objects.none()
    for severity, minutes in settings.ALERTS_ACK_DEADLINES.items():
        late = Alert.objects.filter(
            msg_type=AlertType.ALERT,
            acknowledgement__isnull=True,
            incident__severity=severity,
            sent_at__lt=now - timedelta(minutes=minutes),
        )
        overdue = overdue | late
    if receiving_country_id:
        # The receiver's list names the incident: only while it may still see it.
        overdue = access.alerts_still_seen(overdue.filter(country_id=receiving_country_id), now)
    if sending_country_id:
        overdue = overdue.filter(incident__country_id=sending_country_id)
    return overdue.select_related("incident", "country").order_by("sent_at")


@transaction.atomic
def acknowledge(*, alert, principal, request=None):
    """Idempotent: the first acknowledgement stays; later ones return it unchanged."""
    ack, created = AlertAcknowledgement.objects.get_or_create(
        alert=alert, defaults={"agency": principal.agency, "by_label": principal.get_username()}
    )
    if created:
        audit.record(
            "alert.acknowledged",
            actor=principal,
            obj=alert.incident,
            request=request,
            details={"alert": str(alert.identifier)},
        )
    return ack


# --- Subscriptions, managed by agency administrators -------------------------------------------

SUBSCRIPTION_LIMITS = {"categories": 20, "sectors": 50, "emails": 20}


KEEP = object()  # a field left as it is


@transaction.atomic
def subscription_save(
    *,
    agency,
    actor,
    subscription=None,
    name=KEEP,
    channel=KEEP,
    url=KEEP,
    emails=KEEP,
    categories=KEEP,
    min_severity=KEEP,
    sectors=KEEP,
    bbox=KEEP,
    is_active=KEEP,
    request=None,
):
    """Create or change a subscription of the administrator's own agency, validating the channel.
    A field not given keeps its value (its default for a new subscription)."""
    if not (getattr(actor, "is_agency_admin", False) and actor.agency_id == agency.pk):
        raise PermissionDenied(_("Only the agency's administrators manage its subscriptions."))
    if subscription is not None and subscription.agency_id != agency.pk:
        raise PermissionDenied(_("Only the agency's administrators manage its subscriptions."))
    creating = subscription is None
    subscription = subscription or Subscription(agency=agency, secrets=[new_secret()])
    given = {
        "name": name,
        "channel": channel,
        "url": url,
        "emails": emails,
        "categories": categories,
        "min_severity": min_severity,
        "sectors": sectors,
        "bbox": bbox,
        "is_active": is_active,
    }
    for key, value in given.items():
        if value is not KEEP:
            setattr(subscription, key, list(value) if key in {"emails", "categories", "sectors"} else value)
    if channel is KEEP and creating:
        raise ValidationError({"channel": _("Choose how alerts reach you.")})
    if not (subscription.name or "").strip():
        raise ValidationError({"name": _("Give the subscription a name.")})
    errors = {}
    for key, limit in SUBSCRIPTION_LIMITS.items():
        if len(getattr(subscription, key) or []) > limit:
            errors[key] = _("At most %(n)s entries.") % {"n": limit}
    if subscription.channel == Channel.WEBHOOK:
        if not subscription.url:
            errors["url"] = _("Give the webhook's address.")
        else:
            try:
                validate_endpoint(subscription.url)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    elif not subscription.emails:
        errors["emails"] = _("Give at least one e-mail address.")
    if subscription.bbox is not None:
        west, south, east, north = subscription.bbox
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            errors["bbox"] = _("The area must be west,south,east,north in decimal degrees.")
    if errors:
        raise ValidationError(errors)
    if subscription.is_active:
        subscription.disabled_reason = ""
    subscription.save()
    audit.record(
        "subscription.created" if creating else "subscription.updated",
        actor=actor,
        obj=subscription,
        request=request,
        details={"channel": subscription.channel, "active": subscription.is_active},
    )
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, subscription, actor, request=None):
    """A new secret signs from now on; the previous one keeps signing too until the next rotation."""
    if not (getattr(actor, "is_agency_admin", False) and actor.agency_id == subscription.agency_id):
        raise PermissionDenied
    subscription.secrets = [new_secret(), *subscription.secrets[:1]]
    subscription.save(update_fields=["secrets"])
    audit.record("subscription.secret_rotated", actor=actor, obj=subscription, request=request)
    return subscription


def endpoint_health(subscription, days=7):
    """Success rate, last error and dead letters of one subscription over the last days."""
    since = timezone.now() - timedelta(days=days)
    recent = subscription.deliveries.filter(alert__sent_at__gte=since)
    # Cancelled deliveries were never attempted (the share ended first): not the endpoint's doing.
    total = recent.exclude(state__in=[DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.CANCELLED]).count()
    delivered = recent.filter(state=DeliveryState.DELIVERED).count()
    last_failure = subscription.deliveries.exclude(last_error="").order_by("-id").first()
    return {
        "success_rate": round(100 * delivered / total) if total else None,
        "waiting": recent.filter(state=DeliveryState.PENDING).count(),
        "dead": subscription.deliveries.filter(state=DeliveryState.DEAD).count(),
        "last_error": last_failure.last_error if last_failure else "",
    }
