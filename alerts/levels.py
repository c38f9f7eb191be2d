"""Alerts of a rise in a border sector's impact level: who receives one, what it carries, and
whether its receiver may still see it now.

A rise (`borders.services.impact_level_raised`, sent inside its transaction) writes one Alert for
each partner country that sees the sector at that moment: the countries that are a party with
the owner to an agreement in force (`borders.models.seeing_country_ids`), never the owner. A
lowering writes none. The stored payload is the change and the sector as they were at the rise;
it is served (feed, CAP, webhook, e-mail) only while the receiver still sees the sector at the
moment of the read or the send, by the same rule as the sector pages. Once it does not, the
alert is not served at all: the fact that a sector's level rose is itself its content.
"""

import datetime

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from alerts import feed
from borders.geometry import lines_of
from borders.models import ImpactLevel, seeing_country_ids

# Impact levels share their names with incident severities, so subscriptions' `min_severity`
# and the acknowledgement deadlines apply to them as they are.
LEVEL_ORDER = list(ImpactLevel.values)


def _day(now=None):
    return timezone.localdate(now or timezone.now())


def sees(country_id, sector_country_id, now=None):
    """Whether `country_id` sees the sectors of `sector_country_id` at `now` (the sector gate)."""
    return country_id in seeing_country_ids(sector_country_id, _day(now))


def receivers(sector, now=None):
    """The countries a rise in `sector`'s level is sent to at `now`: its partners, not its owner."""
    return seeing_country_ids(sector.country_id, _day(now)) - {sector.country_id}


def still_seen_q(country_id, now=None, prefix=""):
    """A filter of alerts addressed to `country_id`: incident alerts (the incident gate decides
    those), and the sector alerts whose sector it still sees at `now`."""
    seen = seeing_country_ids(country_id, _day(now))  # symmetric: the countries whose sectors it sees
    return Q(**{f"{prefix}sector__isnull": True}) | Q(**{f"{prefix}sector__country_id__in": seen})


def bbox_of(geometry):
    """[west, south, east, north] of a sector's geometry."""
    points = [point for line in lines_of(geometry) for point in line]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [min(lons), min(lats), max(lons), max(lats)]


def sector_url(sector_id):
    """The sector's page on the portal (absolute, so a partner's system can link to it)."""
    from django.conf import settings

    try:
        path = reverse("borders:detail", args=[sector_id])
    except NoReverseMatch:
        path = f"/borders/{sector_id}/"
    return f"https://{settings.PORTAL_DOMAIN}{path}"


def level_content(change, sector):
    """What a level alert carries: the change and the sector as they are at the rise."""
    return {
        "code": sector.code,
        "name": sector.name,
        "country": sector.country_id,
        "previous_level": change.previous_level,
        "level": change.level,
        "reason": change.reason,
        "set_at": change.set_at.astimezone(datetime.UTC).isoformat(),
        "geometry": {"type": sector.geometry["type"], "coordinates": sector.geometry["coordinates"]},
        "bbox": bbox_of(sector.geometry),
        "url": sector_url(sector.pk),
    }


def overlaps(bbox, area):
    """Whether two [west, south, east, north] boxes share any point."""
    west, south, east, north = (float(v) for v in bbox)
    a_west, a_south, a_east, a_north = (float(v) for v in area)
    return west <= a_east and a_west <= east and south <= a_north and a_south <= north


def matches(subscription, sector, level):
    """A subscription's filters on a level alert: its sectors (codes), its area (overlapping the
    sector's bounding box) and its minimum severity (compared with the new level). Its
    categories are of incidents and do not apply."""
    if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(subscription.min_severity):
        return False
    if subscription.sectors and not {sector.code.casefold(), sector.name.casefold()} & {
        code.casefold() for code in subscription.sectors
    }:
        return False
    return not subscription.bbox or overlaps(bbox_of(sector.geometry), subscription.bbox)


def message(alert, visible):
    """The item of a level alert (pull feed, webhook `data`, e-mail, CAP), as its receiver may
    see it now: `sector` is the content while it sees the sector, and the alert is not served
    otherwise (callers check `visible` first; this keeps no content either way)."""
    return feed.item(
        alert,
        reference=alert.payload.get("reference") if visible else "",
        sector=alert.payload.get("sector") if visible else None,
        reason=None if visible else "agreement_ended",
    )
