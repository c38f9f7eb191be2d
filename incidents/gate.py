"""The query half of the sharing rule (`incidents.access` owns the rule and re-exports these):
the gate on incident querysets, and the validity windows it compares with the time of the read.
It imports nothing of the app, so the models' queryset can use it."""

from django.db.models import F, Q


def open_at(until, now):
    """Whether a window that ends at `until` (None: never) is still open at `now`."""
    return until is None or until > now


def open_q(field, now):
    """`open_at` as a filter on a window column."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": now})


def seen_by(incidents, country_id, now):
    """`incidents` narrowed to what `country_id` may see at `now`, through the index.

    A join on the index row of that country (unique per incident, so no duplicates), rather
    than EXISTS: lists can then be read in the index's order. Each incident is annotated with
    its personal-data window (see `personal_data_visible`), and with `listed_at`, the index's
    copy of `occurred_at` that keyset pagination filters and orders on."""
    seen = Q(visibility__country_id=country_id) & open_q("visibility__expires_at", now)
    # The personal-data window is read as two plain columns and compared in Python
    # (`personal_data_visible`): a CASE expression cost more to build per request than to run.
    return incidents.filter(seen).annotate(
        personal_data_flag=F("visibility__personal_data"),
        personal_data_until=F("visibility__personal_data_until"),
        listed_at=F("visibility__occurred_at"),
    )
