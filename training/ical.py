"""The calendar as RFC 5545 iCalendar, built with the `icalendar` package.

Times are written in UTC (the `Z` form), which every client converts to its own zone; UIDs are
stable per activity, SEQUENCE is the activity's change counter, and cancelled activities stay
in the feed with STATUS:CANCELLED so that subscribed clients remove them.
"""

import datetime

from django.conf import settings
from icalendar import Calendar, Event

PRODID = "-//Joint Operations Portal//Calendar//EN"


def calendar_document(items, *, name, base_url=""):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for item in items:
        event = Event()
        event.add("uid", f"{item.uid}@joint-operations-portal")
        event.add("dtstamp", _utc(item.updated_at))
        event.add("created", _utc(item.created_at))
        event.add("last-modified", _utc(item.updated_at))
        event.add("sequence", item.sequence)
        event.add("dtstart", _utc(item.starts_at))
        event.add("dtend", _utc(item.ends_at))
        prefix = f"[{item.kind.upper()}] " if item.kind == "exercise" else ""
        event.add("summary", f"{prefix}{item.title}")
        if item.location:
            event.add("location", item.location)
        event.add("description", item.description)
        event.add("categories", [item.kind])
        event.add("status", "CANCELLED" if item.is_cancelled else "CONFIRMED")
        if base_url:
            event.add("url", base_url + item.url)
        calendar.add_component(event)
    return calendar.to_ical()


def _utc(moment):
    return moment.astimezone(datetime.UTC)
