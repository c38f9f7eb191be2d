"""Reads of alerts, joined to the gate: what an alert shows of its incident is decided by
`incidents.access` at the moment of the read, never by what was stored when it was sent; an
alert of a sector's impact level is served only while its receiver sees the sector at that
moment (`alerts.levels`); an alert of a request for information only while its reader may read
the request at that moment, through the requests' gate (`alerts.info_requests`)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from alerts import info_requests, levels
from alerts.delivery import incident_message
from alerts.feed import sequence
from alerts.models import Alert, AlertType, DeliveryState
from incidents import access
from portal.gate import principal_country_id


def alerts_for(principal, now=None):
    """Alerts addressed to the principal's country: its incident alerts (what each may show of
    its incident is decided when it is read: `alert_page`), its sector level alerts while it
    sees their sector now, and its request alerts while the principal may read the request now
    (afterwards these two are not served at all, as if missing)."""
    country_id = principal_country_id(principal)
    if country_id is None:
        return Alert.objects.none()
    return (
        Alert.objects.filter(country_id=country_id)
        .filter(levels.still_seen_q(country_id, now))
        .filter(info_requests.readable_q(principal))
        .select_related("references", "acknowledgement", "sector")
    )


def feed(principal, after=None):
    """The pull feed: the principal's alerts in the order they committed (`alerts.feed`), after
    the cursor `after`."""
    sequence()
    rows = alerts_for(principal).filter(seq__isnull=False).order_by("seq")
    return rows if after is None else rows.filter(seq__gt=after)


def alert_page(principal, alerts, now=None):
    """Alerts with what their receiver may see now (`.message`; `.access` for incidents): the
    incident while the share holds, a tombstone afterwards, none in a Cancel; a sector level
    alert with its content while the receiver sees the sector, a request alert while the
    principal may read the request (`alerts_for` serves no other; both are checked again here)."""
    country_id = principal_country_id(principal)
    alerts = list(alerts)
    incident_alerts = access.with_access(
        [a for a in alerts if not a.is_sector_level and not a.is_request], country_id, now
    )
    for alert in incident_alerts:
        alert.message = incident_message(alert, alert.access)
    readable = info_requests.readable_ids(principal, [a.info_request_id for a in alerts if a.is_request])
    seen = {}
    for alert in alerts:
        if alert.is_request:
            visible = alert.country_id == country_id and alert.info_request_id in readable
            alert.message = info_requests.message(alert, visible=visible)
        elif alert.is_sector_level:
            owner = alert.sector.country_id
            if owner not in seen:
                seen[owner] = alert.country_id == country_id and levels.sees(country_id, owner, now)
            alert.message = levels.message(alert, visible=seen[owner])
    return alerts


def overdue_acknowledgements(*, receiving_country_id=None, sending_country_id=None, now=None):
    """Alerts past the acknowledgement deadline of their severity (of a level alert: its new
    level, which shares the names), still unacknowledged."""
    now = now or timezone.now()
    overdue = Alert.objects.none()
    for severity, minutes in settings.ALERTS_ACK_DEADLINES.items():
        late = Alert.objects.filter(
            Q(incident__severity=severity) | Q(level_change__level=severity),
            msg_type=AlertType.ALERT,
            acknowledgement__isnull=True,
            sent_at__lt=now - timedelta(minutes=minutes),
        )
        overdue = overdue | late
    if receiving_country_id:
        # The receiver's list names the incident or the sector: only while it may still see it.
        mine = overdue.filter(country_id=receiving_country_id)
        incidents = access.alerts_still_seen(mine.filter(sector__isnull=True), now)
        sectors = mine.filter(sector__isnull=False).filter(levels.still_seen_q(receiving_country_id, now))
        overdue = incidents | sectors
    if sending_country_id:
        overdue = overdue.filter(Q(incident__country_id=sending_country_id) | Q(sector__country_id=sending_country_id))
    return overdue.select_related("incident", "sector", "level_change", "country").order_by("sent_at")


def level_alerts_sent(principal, sector):
    """The sender's ledger of a sector: the alerts its level rises caused (newest first), each
    with its deliveries, when it was read and its acknowledgement. Only the sector's own country
    sees it; anyone else gets none."""
    if principal_country_id(principal) != sector.country_id:
        return Alert.objects.none()
    return (
        Alert.objects.filter(sector=sector)
        .select_related("country", "acknowledgement", "level_change")
        .prefetch_related("deliveries__subscription__agency")
        .order_by("-sent_at", "-id")
    )


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


def ledger_rows(principal, deliveries, now=None):
    """A receiving agency's deliveries with what its ledger may name of each (`.subject`): an
    incident's reference; a sector's code and new level only while the country sees the sector;
    a request's reference and event only while the subscription's agency may read the request."""
    country_id = principal_country_id(principal)
    rows, seen = list(deliveries), {}
    reads: dict[tuple[int, int], bool] = {}
    for delivery in rows:
        alert = delivery.alert
        if alert.is_request:
            agency_id = delivery.subscription.agency_id
            key = (agency_id, alert.info_request_id)
            if key not in reads:
                reads[key] = alert.country_id == country_id and info_requests.agency_reads(*key)
            delivery.subject = (
                f"{alert.payload.get('reference', '')}: {alert.get_request_event_display()}" if reads[key] else None
            )
            continue
        if not alert.is_sector_level:
            delivery.subject = alert.payload.get("reference", "")
            continue
        owner = alert.sector.country_id
        if owner not in seen:
            seen[owner] = alert.country_id == country_id and levels.sees(country_id, owner, now)
        delivery.subject = (
            f"{alert.payload.get('reference', '')} → {alert.level_change.get_level_display()}"
            if seen[owner] and alert.level_change_id
            else None
        )
    return rows
