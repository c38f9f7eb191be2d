"""Live updates of the dashboard, the incident list and the map: which incidents changed for a
country since a page last asked, in commit order, and what the page may show of them now.

Every change of what a country sees of an incident writes an `IncidentChange` row for that
country in the transaction of the change: the sharing engine (`sharing.refresh_visibility`: it
starts seeing the incident, sees an update, stops seeing it) and the owner's own edits and
status changes (`services`). Rows are numbered per country only once committed (`sequence`), so
a transaction that commits late is numbered after what a page has already seen, as the alert
feed does.

A page polls with its cursor and the ETag of its last answer. `poll_state` reads, in one
statement of index lookups, the country's last number, the end of its latest share window that
has passed (an end in time writes no row), the person's unread notifications and how far they
have seen: when none changed, the answer is 304 and nothing else is read. Otherwise the
incidents named by the new rows are read through the gate (`Incident.objects.visible_to`) at
that moment: those the reader may see now, and that match the page's filters, are sent; the
others are named as gone. A row only says "this incident may have changed for you": what a page
shows never comes from the log, a cache or the browser, and a country's numbers count its own
changes only, so they tell it nothing about other countries.
"""

import datetime
import functools
import hashlib
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.dateparse import parse_datetime

from incidents.gate import open_q, seen_by
from incidents.models import Incident, IncidentChange, IncidentStatus, IncidentVisibility, LiveSeen, Severity
from portal.choices import TLP, IncidentCategory
from portal.gate import principal_country_id
from portal.models import Notification

# Changes sent in one answer; a page further behind (a laptop waking up) is told to reload.
CHANGES_PER_ANSWER = 100
# Incidents on the dashboard's list of recent changes.
LATEST = 10
LOCK_KEY = 7_390_223  # the advisory lock of the numbering (any constant the portal uses once)


# --- Writing the log (in the transaction of the change) ----------------------------------------


def record(incident, country_ids, now=None):
    """What `country_ids` see of `incident` changed; numbered once the transaction commits."""
    now = now or timezone.now()
    rows = [IncidentChange(country_id=c, incident_id=incident.pk, changed_at=now) for c in sorted(set(country_ids))]
    if not rows:
        return
    IncidentChange.objects.bulk_create(rows)
    # robust: a failed numbering after the commit must not fail the request that committed;
    # the next poll numbers whatever is left.
    transaction.on_commit(sequence, robust=True)


def visibility_changed(incident, *, was_open, after, changed, now=None):
    """From the sharing engine's rebuild of an incident's index rows: the owner's country
    (its own view changes with every rebuild), partners that start or stop seeing it, and, when
    its content changed, every partner that keeps seeing it. `was_open`: {partner: whether its
    window was open before}; `after`: the partners that see it now."""
    countries = {incident.country_id}
    countries |= {c for c in after if not was_open.get(c)}
    countries |= set(was_open) - set(after)
    if changed:
        countries |= set(after)
    record(incident, countries, now)


def owner_changed(incident, now=None):
    """The owner edited the incident or changed its state: every country that sees it now."""
    now = now or timezone.now()
    seeing = IncidentVisibility.objects.filter(open_q("expires_at", now), content_object_id=incident.pk)
    record(incident, {incident.country_id, *seeing.values_list("country_id", flat=True)}, now)


_NUMBER = """
UPDATE {table} SET {seq} = COALESCE(
    (SELECT MAX(done.{seq}) FROM {table} done WHERE done.{country} = numbered.country), 0
) + numbered.n
FROM (
    SELECT {id} AS id, {country} AS country, ROW_NUMBER() OVER (PARTITION BY {country} ORDER BY {id}) AS n
    FROM {table} WHERE {seq} IS NULL
) AS numbered
WHERE {table}.{id} = numbered.id
"""


def sequence():
    """Number the committed changes that have no number yet, per country in id order, after the
    highest number that country has; returns how many. One numbering at a time (an advisory lock
    on PostgreSQL; SQLite has one writer at a time), so the next one sees this one's numbers."""
    if not IncidentChange.objects.filter(seq__isnull=True).exists():
        return 0
    meta = IncidentChange._meta
    quote = connection.ops.quote_name
    sql = _NUMBER.format(
        table=quote(meta.db_table),
        seq=quote(meta.get_field("seq").column),
        country=quote(meta.get_field("country").column),
        id=quote(meta.pk.column),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(sql)
        return cursor.rowcount


# --- The poll ------------------------------------------------------------------------------------


class State:
    """What a poll compares: the country's last change, the end of its latest share window that
    has passed, the person's notifications and how far they have seen."""

    def __init__(self, user, country_id, row):
        self.user_id = user.pk
        self.country_id = country_id
        seq, lapse, unread, last_notification, seen, unnumbered = row
        self.seq = seq or 0
        self.lapse = _aware(lapse)
        self.unread = unread or 0
        self.last_notification = last_notification or 0
        self.seen = seen
        self.unnumbered = bool(unnumbered)

    @property
    def cursor(self):
        return f"{self.seq}.{_micros(self.lapse)}"

    def etag(self, query=""):
        """The ETag of an answer: the same for as long as nothing this person sees has changed."""
        raw = "|".join(
            str(part)
            for part in (
                self.user_id,
                self.country_id,
                self.cursor,
                self.unread,
                self.last_notification,
                self.seen,
                translation.get_language(),
                query,
            )
        )
        return '"live-' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _micros(moment):
    return 0 if moment is None else int(moment.timestamp() * 1_000_000)


def _aware(value):
    # SQLite answers text.
    moment = value if value is None or isinstance(value, datetime.datetime) else parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def _state_sql():
    quote = connection.ops.quote_name
    change, visibility = IncidentChange._meta, IncidentVisibility._meta
    notification, seen = Notification._meta, LiveSeen._meta

    def col(meta, name):
        return quote(meta.get_field(name).column)

    return (
        "SELECT"  # noqa: S608  (names only; the values are parameters)
        f" (SELECT MAX({col(change, 'seq')}) FROM {quote(change.db_table)} WHERE {col(change, 'country')} = %s),"
        f" (SELECT MAX({col(visibility, 'expires_at')}) FROM {quote(visibility.db_table)}"
        f" WHERE {col(visibility, 'country')} = %s AND {col(visibility, 'expires_at')} <= %s),"
        f" (SELECT COUNT(*) FROM {quote(notification.db_table)}"
        f" WHERE {col(notification, 'user')} = %s AND {col(notification, 'read_at')} IS NULL),"
        f" (SELECT MAX({quote(notification.pk.column)}) FROM {quote(notification.db_table)}"
        f" WHERE {col(notification, 'user')} = %s),"
        f" (SELECT {col(seen, 'seq')} FROM {quote(seen.db_table)}"
        f" WHERE {col(seen, 'user')} = %s AND {col(seen, 'country')} = %s),"
        f" (SELECT 1 FROM {quote(change.db_table)} WHERE {col(change, 'seq')} IS NULL LIMIT 1)"
    )


def poll_state(user, now=None, number=True):
    """The State of a person's country now, in one statement; None when they see nothing. Changes
    committed but not yet numbered (their numbering was lost with its process) are numbered first
    unless `number` is false (a page's first state: its first poll numbers them)."""
    country_id = principal_country_id(user)
    if country_id is None:
        return None
    now = now or timezone.now()
    params = [country_id, country_id, connection.ops.adapt_datetimefield_value(now)]
    params += [user.pk, user.pk, user.pk, country_id]
    sql = _state_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row[-1] and number:
            sequence()
            cursor.execute(sql, params)
            row = cursor.fetchone()
    return State(user, country_id, row)


def parse_cursor(text):
    """(last change number, end of the latest passed window) of a cursor; None if malformed."""
    try:
        seq_text, _dot, micros_text = str(text).partition(".")
        seq, micros = int(seq_text), int(micros_text or 0)
    except ValueError:
        return None
    if seq < 0 or micros < 0:
        return None
    lapse = datetime.datetime.fromtimestamp(micros / 1_000_000, tz=datetime.UTC) if micros else None
    return seq, lapse


def changes(user, state, cursor, incidents=None):
    """What changed for the person since `cursor`: the incidents of `incidents` (the gated,
    filtered queryset of the page; None for the bare gate, as the dashboard reads) among them,
    and the ids of those they may no longer see or that no longer match. `more`: further behind
    than one answer carries."""
    after_seq, lapse_from = cursor
    rows = list(
        IncidentChange.objects.filter(country_id=state.country_id, seq__gt=after_seq, seq__lte=state.seq)
        .order_by("-seq")
        .values_list("incident_id", "seq")[: CHANGES_PER_ANSWER + 1]
    )
    more = len(rows) > CHANGES_PER_ANSWER
    if rows and not more and rows[-1][1] > after_seq + 1:
        more = True  # numbers are contiguous per country: the ones missing were pruned (`prune`)
    latest: dict[int, int | None] = {}
    for incident_id, seq in rows[:CHANGES_PER_ANSWER]:
        latest.setdefault(incident_id, seq)
    gone = set()
    if state.lapse is not None and (lapse_from is None or state.lapse > lapse_from):
        # Windows that ended in time since the last answer: no row was written for them.
        ended = IncidentVisibility.objects.filter(country_id=state.country_id, expires_at__lte=state.lapse)
        if lapse_from is not None:
            ended = ended.filter(expires_at__gt=lapse_from)
        ended_ids = list(ended.order_by("-expires_at").values_list("content_object_id", flat=True)[:CHANGES_PER_ANSWER])
        gone.update(ended_ids)
        more = more or len(ended_ids) == CHANGES_PER_ANSWER
    if not latest:
        items = []
    elif incidents is None:
        items = describe_rows(_FIELDS, gate_rows(state.country_id, timezone.now(), list(latest)), state, latest)
    else:
        items = describe(incidents.filter(pk__in=list(latest)), state, latest)
    shown = {item["id"] for item in items}
    gone |= set(latest) - shown
    return {
        "cursor": state.cursor,
        "items": sorted(items, key=lambda item: -item["seq"]),
        "gone": sorted(gone - shown),
        "more": more,
        "seen": state.seen or 0,
        "unread_notifications": state.unread,
    }


_FIELDS = (
    "pk",
    "reference",
    "category",
    "occurred_at",
    "severity",
    "marking",
    "status",
    "country_id",
    "country__name",
    "exercise_id",
    "latitude",
    "longitude",
    "border_sector",
    "crossing_point",
    "sector__code",
    "crossing__name",
)


def describe(incidents, state, seqs):
    """Items for a live page from a gated queryset: the fields the list and the map show (never
    personal data), labels in the reader's language; `new` when changed after what they saw."""
    # The agreement each incident came under, where the page's queryset annotates it (the list).
    fields = (*_FIELDS, "shared_under") if "shared_under" in incidents.query.annotations else _FIELDS
    return describe_rows(fields, incidents.order_by().values_list(*fields), state, seqs)


def describe_rows(fields, values, state, seqs):
    """`describe` of rows of `fields` already read through the gate."""
    labels: dict[str, dict[str, Any]] = {
        "category": dict(IncidentCategory.choices),
        "severity": dict(Severity.choices),
        "marking": dict(TLP.choices),
        "status": dict(IncidentStatus.choices),
    }
    detail_prefix = reverse("incidents:detail", args=[0]).removesuffix("0/")
    seen = state.seen or 0
    items = []
    for row in values:
        r: dict[str, Any] = dict(zip(fields, row, strict=True))
        r["occurred_at"] = _aware(r["occurred_at"])
        seq = seqs.get(r["pk"], 0)
        where = r["sector__code"] or r["crossing__name"] or r["border_sector"] or r["crossing_point"] or "—"
        item = {
            "id": r["pk"],
            "seq": seq,
            "new": seq > seen,
            "url": f"{detail_prefix}{r['pk']}/",
            "reference": r["reference"],
            "occurred_at": r["occurred_at"].isoformat(),
            "occurred_label": dateformat.format(timezone.localtime(r["occurred_at"]), "Y-m-d H:i"),
            "where": where,
            "country": r["country_id"],
            "country_name": r["country__name"],
            "own": r["country_id"] == state.country_id,
            "shared_under": r.get("shared_under"),
            "exercise": r["exercise_id"] is not None,
            "latitude": float(r["latitude"]) if r["latitude"] is not None else None,
            "longitude": float(r["longitude"]) if r["longitude"] is not None else None,
        }
        for name in ("category", "severity", "marking", "status"):
            item[name] = r[name]
            item[f"{name}_label"] = str(labels[name].get(r[name], r[name]))
        items.append(item)
    return items


# --- The dashboard's read, compiled once -----------------------------------------------------------
#
# After a commit, every open dashboard of the country reads the changed incidents through the
# bare gate, and building and compiling that ORM query cost about four times as much CPU as
# running it. The SQL is the gate's own (`seen_by`), compiled once per process and per number of
# incidents with stand-in values, which each read replaces with the reader's country, the time
# of the read and the incidents' ids: the statement is cached, never a decision or a row, and
# never a connection: each read runs on its own thread's connection (web servers answer on many).

_STAND_IN_COUNTRY = "\x00live-country"
_STAND_IN_NOW = datetime.datetime(1970, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)


def _stand_in_ids(count):
    return [-(n + 1) for n in range(count)]  # ids are positive: a negative one names a slot


@functools.lru_cache(maxsize=2 * (CHANGES_PER_ANSWER + 1))
def _gate_statement(alias, count):
    """(SQL, slots, converters) of the bare gate's read of `count` incidents; None when the
    stand-ins cannot be told apart from the statement's own values (then the ORM reads)."""
    ids = _stand_in_ids(count)
    query = seen_by(Incident.objects.using(alias), _STAND_IN_COUNTRY, _STAND_IN_NOW).filter(pk__in=ids)
    compiler = query.order_by().values_list(*_FIELDS).query.get_compiler(alias)
    sql, params = compiler.as_sql()
    now_value = IncidentVisibility._meta.get_field("expires_at").get_db_prep_value(
        _STAND_IN_NOW, compiler.connection, prepared=False
    )
    slots: list[Any] = []
    for param in params:
        if isinstance(param, str) and param == _STAND_IN_COUNTRY:
            slots.append(("country",))
        elif param == now_value and not isinstance(param, int):
            slots.append(("now",))
        elif isinstance(param, int) and param < 0:
            slots.append(("id", -param - 1))
        else:
            slots.append(("value", param))
    kinds = [slot[0] for slot in slots]
    if kinds.count("country") != 1 or kinds.count("now") != 1 or kinds.count("id") != count:
        return None
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    return sql, slots, tuple(converters.items())


def gate_rows(country_id, now, ids, alias="default"):
    """The rows of `_FIELDS` of the incidents `ids` that `country_id` may see at `now`, through the
    gate's SQL (`seen_by`): what `seen_by(...).filter(pk__in=ids).values_list(*_FIELDS)` reads."""
    statement = _gate_statement(alias, len(ids))
    if statement is None:
        return list(seen_by(Incident.objects.using(alias), country_id, now).filter(pk__in=ids).values_list(*_FIELDS))
    sql, slots, converters = statement
    reader = connections[alias]  # this thread's connection, not the one that compiled
    now_value = IncidentVisibility._meta.get_field("expires_at").get_db_prep_value(now, reader, prepared=False)
    values = {"country": country_id, "now": now_value}
    params = [slot[1] if slot[0] == "value" else ids[slot[1]] if slot[0] == "id" else values[slot[0]] for slot in slots]
    with reader.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not converters:
        return [tuple(row) for row in rows]
    converted = []
    for row in rows:
        row = list(row)
        for position, (functions, expression) in converters:
            for function in functions:
                row[position] = function(row[position], expression, reader)
        converted.append(tuple(row))
    return converted


def latest(user, state, incidents, limit=LATEST):
    """The dashboard's list: the incidents most recently changed for the person's country that
    they may see now (through `incidents`, the gate), newest change first."""
    rows = (
        IncidentChange.objects.filter(country_id=state.country_id, seq__isnull=False, seq__lte=state.seq)
        .order_by("-seq")
        .values_list("incident_id", "seq")[: limit * 5]
    )
    seqs: dict[int, int | None] = {}
    for incident_id, seq in rows:
        seqs.setdefault(incident_id, seq)
    items = describe(incidents.filter(pk__in=list(seqs)), state, seqs) if seqs else []
    return sorted(items, key=lambda item: -item["seq"])[:limit]


def new_ids(state, incident_ids):
    """{incident id: its latest change number} of those of these incidents changed for the
    person's country after what they saw."""
    if not incident_ids:
        return {}
    changed = (
        IncidentChange.objects.filter(
            country_id=state.country_id,
            incident_id__in=list(incident_ids),
            seq__gt=state.seen or 0,
            seq__lte=state.seq,
        )
        .values("incident_id")
        .annotate(top=Max("seq"))
    )
    return {row["incident_id"]: row["top"] for row in changed}


def page(user, query=""):
    """What a live page starts from, read before the page reads its data (a change committed in
    between is sent again by the first poll rather than missed). A person's first live page
    counts what happened before it as seen. None when they see nothing."""
    state = poll_state(user, number=False)
    if state is None:
        return None
    if state.seen is None:  # one statement; a concurrent first look may have written it already
        LiveSeen.objects.bulk_create(
            [LiveSeen(user=user, country_id=state.country_id, seq=state.seq)], ignore_conflicts=True
        )
        state.seen = state.seq
    return {
        "state": state,
        "cursor": state.cursor,
        "etag": state.etag(query),
        "seen": state.seen or 0,
        "interval": settings.LIVE_POLL_SECONDS,
        "poll_url": reverse("incidents:live"),
        "seen_url": reverse("incidents:live_seen"),
        "query": query,
    }


# --- Seen ----------------------------------------------------------------------------------------


@transaction.atomic
def seen_mark(*, user, up_to=None, now=None):
    """The person has seen their country's changes up to number `up_to` (all of them if None);
    never moves back, never past the last change. Returns how far they have seen. A preference
    of the person's own, like a read mark: not audited."""
    country_id = principal_country_id(user)
    if country_id is None:
        return 0
    top = IncidentChange.objects.filter(country_id=country_id, seq__isnull=False).aggregate(top=Max("seq"))["top"] or 0
    target = top if up_to is None else max(0, min(int(up_to), top))
    row, created = LiveSeen.objects.select_for_update().get_or_create(
        user=user, defaults={"country_id": country_id, "seq": target, "seen_at": now or timezone.now()}
    )
    if created:
        return row.seq
    if row.country_id != country_id:  # moved to another country's agency: its numbers start afresh
        row.country_id, row.seq = country_id, target
    elif target > row.seq:
        row.seq = target
    else:
        return row.seq
    row.seen_at = now or timezone.now()
    row.save(update_fields=["country", "seq", "seen_at"])
    return row.seq


# --- Tidying up ----------------------------------------------------------------------------------


def prune(now=None, keep=datetime.timedelta(days=2)):
    """Beat: forget changes older than `keep` (a page that far behind reloads). Returns how many."""
    cutoff = (now or timezone.now()) - keep
    deleted, _kinds = IncidentChange.objects.filter(changed_at__lt=cutoff, seq__isnull=False).delete()
    return deleted
