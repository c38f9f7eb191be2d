"""Reads of alerts, joined to the gate: what an alert shows of its incident is decided by
`incidents.access` at the moment of the read, never by what was stored when it was sent."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from alerts.feed import sequence
from alerts.models import Alert, AlertType, DeliveryState
from incidents import access
from portal.gate import principal_country_id


def alerts_for(principal):
    """Alerts addressed to the principal's country. What each may show of its incident is
    decided when it is read: `alert_page`."""
    country_id = principal_country_id(principal)
    if country_id is None:
        return Alert.objects.none()
    return Alert.objects.filter(country_id=country_id).select_related("references", "acknowledgement")


def feed(principal, after=None):
    """The pull feed: the principal's alerts in the order they committed (`alerts.feed`), after
    the cursor `after`."""
    sequence()
    rows = alerts_for(principal).filter(seq__isnull=False).order_by("seq")
    return rows if after is None else rows.filter(seq__gt=after)


def alert_page(principal, alerts, now=None):
    """Alerts with what their receiver may see of the incident now (`.access`, `.message`):
    content while the share holds, a tombstone afterwards, none in a Cancel."""
    rows = access.with_access(alerts, principal_country_id(principal), now)
    for alert in rows:
        alert.message = access.alert_message(alert, alert.access)
    return rows


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
        "last_error": last_failure.problem if last_failure else "",
    }


def dashboard_panel(user):
    """The dashboard's card of alerts past their acknowledgement deadline, both ways; none when
    there are none."""
    if not user.agency_id:
        return None
    country_id = user.agency.country_id
    to_acknowledge = list(overdue_acknowledgements(receiving_country_id=country_id)[:10])
    from_partners = list(overdue_acknowledgements(sending_country_id=country_id)[:10])
    if not (to_acknowledge or from_partners):
        return None
    return {"to_acknowledge": to_acknowledge, "from_partners": from_partners}
