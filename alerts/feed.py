"""The pull feed's order: alerts numbered in the order they became visible, not by their ids.

Ids are handed out when a row is inserted, and a transaction that inserted a low id may commit
after one with a higher id: a partner that polled past the higher one would never see the lower.
So an alert gets its feed number (`seq`) only after it has committed, from `sequence()`, which
numbers every committed alert still without one, one numbering at a time (an advisory lock on
PostgreSQL; SQLite has one writer at a time). An alert committed late is numbered after what a
poller has already seen, and a poll numbers before it reads, so nothing committed is skipped.
"""

from django.db import connection, transaction

from alerts.models import Alert

LOCK_KEY = 7_390_117  # the advisory lock of the numbering (any constant the portal uses once)

_NUMBER = """
UPDATE {table} SET seq = (SELECT COALESCE(MAX(seq), 0) FROM {table}) + numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM {table} WHERE seq IS NULL) AS numbered
WHERE {table}.id = numbered.id
"""


def sequence():
    """Number the committed alerts that have no feed number yet; returns how many."""
    if not Alert.objects.filter(seq__isnull=True).exists():
        return 0
    table = connection.ops.quote_name(Alert._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Held to the end of this transaction: the next numbering starts after this one
            # committed, so it sees the numbers given here and goes on from the highest.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(_NUMBER.format(table=table))
        return cursor.rowcount


def item(alert, *, reference, incident=None, sector=None, request=None, reason=None):
    """An alert's item of the pull feed (the `data` of its webhook, its e-mail, its CAP): what
    every item holds, and the content the caller decided its reader may see now (of an incident,
    a sector or a request, the others null)."""
    return {
        "kind": alert.kind,
        "identifier": str(alert.identifier),
        "sent": alert.sent_at.isoformat(),
        "status": alert.status,
        "msg_type": alert.msg_type,
        "scope": "Restricted",
        "references": str(alert.references.identifier) if alert.references_id else None,
        "addressee": alert.country_id,
        "reference": reference,
        "incident": incident,
        "sector": sector,
        "request": request,
        "reason": reason,
    }
