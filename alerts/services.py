"""Alerts to partner countries: writing them, and what people do with them.

An alert is written in the transaction that shares (or stops sharing) an incident, that raises a
border sector's impact level, or that sends, answers, extends or withdraws a request for
information (or reminds that its answer is due), with one `AlertDelivery` row for each matching
subscription; the fan-out task starts once that transaction commits (`alerts.delivery` sends).
Every service checks its actor.
"""

import base64
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts import levels
from alerts.models import (
    Alert,
    AlertAcknowledgement,
    AlertDelivery,
    AlertStatus,
    AlertType,
    CancelReason,
    Channel,
    DeliveryState,
    RequestEvent,
    Subscription,
)
from incidents import access
from incidents.models import Severity
from portal import audit
from portal.gate import principal_country_id
from portal.geo import check_bbox, in_bbox
from portal.outbox import enqueue_on_commit
from portal.roles import administers

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
        # out (`alerts.tasks.send_alert`), so the committing request does not publish fifty.
        enqueue_on_commit("alerts.tasks.send_alert", alert.pk)
    return alert


def level_alerts_create(*, change):
    """Write the alerts of a rise in a sector's impact level (call inside the transaction of the
    rise): one Alert for each partner country that sees the sector at that moment, never its
    owner, with a delivery for each matching subscription of that country's agencies. The alert
    holds the change and the sector as they are now; what is served of it later is decided when
    it is read or sent (`alerts.levels`). A lowering writes none: only rises are announced."""
    if not change.is_rise:
        return []
    sector = change.sector
    countries = sorted(levels.receivers(sector, change.set_at))
    if not countries:
        return []
    content = levels.level_content(change, sector)
    subscriptions = list(
        Subscription.objects.filter(agency__country_id__in=countries, agency__is_active=True, is_active=True)
        .select_related("agency")
        .order_by("pk")
    )
    created = []
    for country_id in countries:
        alert = Alert.objects.create(
            sector=sector,
            level_change=change,
            country_id=country_id,
            msg_type=AlertType.ALERT,
            status=AlertStatus.ACTUAL,
            sent_at=change.set_at,
            payload={"reference": sector.code, "sector": content},
        )
        deliveries = [
            AlertDelivery(alert=alert, subscription=subscription, next_attempt_at=alert.sent_at)
            for subscription in subscriptions
            if subscription.agency.country_id == country_id and levels.matches(subscription, sector, change.level)
        ]
        if deliveries:
            AlertDelivery.objects.bulk_create(deliveries)
            enqueue_on_commit("alerts.tasks.send_alert", alert.pk)
        created.append(alert)
    return created


def request_alert_create(*, info_request, country_id, event, content, agency_ids, now=None):
    """Write the alert of an event of a request for information to one of its two countries (call
    inside the transaction of the service that causes it; `exchange` builds `content`, the
    request as it stands at the event, and names in `agency_ids` the agencies of `country_id`
    that may read the request now, by the requests' gate). Each active subscription of those
    agencies gets a delivery: a subscription's filters are of incidents and sectors and do not
    apply. The first alert of a request to a country is an Alert, the next ones Updates of it, a
    withdrawal a Cancel; each references the one before. What is served of it later is decided
    when it is read or sent (`alerts.info_requests`)."""
    previous = Alert.objects.filter(info_request=info_request, country_id=country_id).order_by("-id").first()
    if event == RequestEvent.WITHDRAWN:
        msg_type = AlertType.CANCEL
    else:
        msg_type = AlertType.ALERT if previous is None else AlertType.UPDATE
    alert = Alert.objects.create(
        info_request=info_request,
        request_event=event,
        country_id=country_id,
        msg_type=msg_type,
        references=previous,
        status=AlertStatus.ACTUAL,
        sent_at=now or timezone.now(),
        payload={"reference": content["reference"], "request": content},
    )
    subscriptions = Subscription.objects.filter(
        agency_id__in=list(agency_ids), agency__country_id=country_id, agency__is_active=True, is_active=True
    ).order_by("pk")
    deliveries = [
        AlertDelivery(alert=alert, subscription=subscription, next_attempt_at=alert.sent_at)
        for subscription in subscriptions
    ]
    if deliveries:
        AlertDelivery.objects.bulk_create(deliveries)
        enqueue_on_commit("alerts.tasks.send_alert", alert.pk)
    return alert


def level_deliveries_end(*, agreement_id, now=None):
    """After a change to an agreement (inside its transaction): the level alerts not sent yet to
    a party that no longer sees the other's sectors are not sent (the send checks again anyway;
    this only keeps the ledger true at once)."""
    from agreements.models import AgreementParty

    parties = set(AgreementParty.objects.filter(agreement_id=agreement_id).values_list("country_id", flat=True))
    waiting = AlertDelivery.objects.filter(
        alert__sector__isnull=False,
        alert__country_id__in=parties,
        alert__sector__country_id__in=parties,
        state__in=[DeliveryState.PENDING, DeliveryState.SENDING],
    )
    pairs = set(waiting.values_list("alert__country_id", "alert__sector__country_id"))
    ended = 0
    for country_id, owner_id in pairs:
        if not levels.sees(country_id, owner_id, now):
            ended += cancel(
                waiting.filter(alert__country_id=country_id, alert__sector__country_id=owner_id),
                CancelReason.SECTOR_UNSEEN,
            )
    return ended


def matches(subscription, incident):
    if subscription.categories and incident.category not in subscription.categories:
        return False
    if SEVERITY_ORDER.index(incident.severity) < SEVERITY_ORDER.index(subscription.min_severity):
        return False
    # A subscription names sector codes; an incident with no sector linked has its name as reported.
    sector = incident.sector.code if incident.sector_id else incident.border_sector
    if subscription.sectors and sector not in subscription.sectors:
        return False
    return not subscription.bbox or in_bbox(subscription.bbox, incident.latitude, incident.longitude)


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


@transaction.atomic
def redeliver(*, delivery, actor, request=None):
    """The button on a dead letter: try again from the start of the schedule. Administrators of
    the receiving agency (their subscription), and supervisors and administrators of the agency
    that reported the incident (their alert), may press it; for a sector's level, the supervisors
    and administrators of the sector's country; for a request for information, the receiving
    agency's administrators only (the portal tells its parties; neither sends the alert)."""
    delivery = (
        # Only the delivery row is locked: its alert's incident or sector is an outer join now.
        AlertDelivery.objects.select_for_update(of=("self",))
        .select_related("alert__incident", "alert__sector", "subscription")
        .get(pk=delivery.pk)
    )
    receiver = administers(actor, delivery.subscription.agency_id)
    alert = delivery.alert
    if alert.is_request:
        sender = False
    elif alert.is_sector_level:
        agency = getattr(actor, "agency", None)
        sender = (
            agency is not None
            and agency.country_id == alert.sector.country_id
            and (administers(actor, agency.pk) or getattr(actor, "is_supervisor", False))
        )
    else:
        sender = administers(actor, alert.incident.agency_id) or (
            getattr(actor, "is_supervisor", False) and actor.agency_id == alert.incident.agency_id
        )
    if not (receiver or sender):
        raise PermissionDenied(_("Only the receiving agency's administrators or the sender may send it again."))
    if delivery.state != DeliveryState.DEAD:
        raise ValidationError(_("Only a delivery that failed for good is sent again."))
    if not delivery.subscription.is_active:
        raise ValidationError(_("The subscription is switched off: switch it on before sending again."))
    delivery.state, delivery.attempts, delivery.next_attempt_at = DeliveryState.PENDING, 0, timezone.now()
    delivery.enqueued_at = delivery.next_attempt_at
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "enqueued_at"])
    audit.record(
        "alert.redelivered",
        actor=actor,
        obj=alert.about,
        request=request,
        details={"delivery": delivery.pk},
    )
    enqueue_on_commit("alerts.tasks.deliver_alert", delivery.pk)
    return delivery


def mark_read(*, alerts, principal):
    """The first time a partner system or person fetches an alert, the sender can see it was read.
    Only alerts addressed to the principal's country are marked."""
    unread = [a.pk for a in alerts if a.read_at is None]
    if unread:
        Alert.objects.filter(pk__in=unread, read_at__isnull=True, country_id=principal_country_id(principal)).update(
            read_at=timezone.now(), read_by=principal.get_username()[:200]
        )


@transaction.atomic
def acknowledge(*, alert, principal, request=None):
    """Idempotent: the first acknowledgement stays; later ones return it unchanged. Only the
    receiving country acknowledges its alerts."""
    if alert.country_id != principal_country_id(principal):
        raise PermissionDenied(_("Only the country an alert is addressed to acknowledges it."))
    ack, created = AlertAcknowledgement.objects.get_or_create(
        alert=alert, defaults={"agency": principal.agency, "by_label": principal.get_username()}
    )
    if created:
        audit.record(
            "alert.acknowledged",
            actor=principal,
            obj=alert.about,
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
    if not administers(actor, agency.pk):
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
    errors: dict[str, str | list[str]] = {}
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
        try:
            subscription.bbox = list(check_bbox(subscription.bbox))
        except ValueError:
            errors["bbox"] = _("The area must be west,south,east,north in decimal degrees.")
    if errors:
        raise ValidationError(errors)
    if subscription.is_active:
        subscription.disabled_reason = ""
    subscription.save()
    if not subscription.is_active:
        cancel_waiting(subscription.pk, CancelReason.SWITCHED_OFF)
    audit.record(
        "subscription.created" if creating else "subscription.updated",
        actor=actor,
        obj=subscription,
        request=request,
        details={"channel": subscription.channel, "active": subscription.is_active},
    )
    return subscription


def cancel(deliveries, reason):
    """Cancel what of `deliveries` still waits or is under way, with the ledger's `reason` (an
    attempt under way is not recorded as delivered either: its claim is gone)."""
    return deliveries.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING]).update(
        state=DeliveryState.CANCELLED, claimed_at=None, enqueued_at=None, last_error=reason
    )


def cancel_waiting(subscription_id, reason):
    """A subscription that is off receives nothing more: what waits for it, retries included, is
    cancelled and shown so in the ledger."""
    return cancel(AlertDelivery.objects.filter(subscription_id=subscription_id), reason)


@transaction.atomic
def subscription_rotate_secret(*, subscription, actor, request=None):
    """A new secret signs from now on; the previous one keeps signing too until the next rotation."""
    if not administers(actor, subscription.agency_id):
        raise PermissionDenied
    subscription.secrets = [new_secret(), *subscription.secrets[:1]]
    subscription.save(update_fields=["secrets"])
    audit.record("subscription.secret_rotated", actor=actor, obj=subscription, request=request)
    return subscription
