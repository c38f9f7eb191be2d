"""The hash-chained audit log: record an entry, chain what is recorded, read it, verify it.

Recording is one INSERT into a queue (`record`); chaining is an explicit step (`integrate`, run
by beat every few seconds and by the verifier) that takes the chain head's lock; reading
(`recent`) never writes, and shows queued entries beside chained ones, so no reader misses one.
"""

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from portal.models import AuditChainHead, AuditEntry, AuditQueueEntry, AuditRecord

GENESIS_HASH = "0" * 64


def client_ip(request):
    """The client's address, taking as many proxies into account as the deployment trusts."""
    if request is None:
        return None
    hops = settings.PORTAL_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


# One encoder, built once: the log's canonical JSON (sorted keys, no spaces, UTF-8 kept).
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


# The fields an entry's hash covers, in order, after the previous entry's hash.
HASHED_FIELDS = (
    "timestamp",
    "actor_id",
    "actor_label",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "ip_address",
    "details",
)


def entry_hash(*, prev_hash, **fields):
    values = [fields[name].isoformat() if name == "timestamp" else fields[name] for name in HASHED_FIELDS]
    return _hash_values(prev_hash, values)


def _hash_values(prev_hash, values):
    """The hash of an entry, from the previous hash and its HASHED_FIELDS values in order (the
    timestamp already in ISO 8601)."""
    return hashlib.sha256(_canonical([prev_hash, *values]).encode()).hexdigest()


def _principal_fields(actor):
    """Who acted: a person, a partner system (API key), or the portal itself."""
    if actor is None:
        return None, "system", None
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return None, f"api-key:{api_key.prefix}", api_key.agency_id
    if getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username(), actor.agency_id
    return None, "anonymous", None


def record(action, *, actor=None, obj=None, request=None, agency=None, details=None, actor_label=None):
    """Record one entry for the audit log, in the caller's transaction (one INSERT, no lock).

    When the caller's transaction rolls back, the entry goes with it: what did not happen
    is not logged as done. Events about refusals are written outside such transactions.
    The entry joins the hash chain when `integrate` next runs: every few seconds (beat), and
    before the chain is verified. Returns the queued entry.
    """
    actor_id, label, agency_id = _principal_fields(actor)
    if actor_label:
        label = actor_label
    if agency is not None:
        agency_id = agency.pk
    details = json.loads(_canonical(details or {}))
    fields = {
        "timestamp": timezone.now(),
        "actor_id": actor_id,
        "actor_label": label[:200],
        "agency_id": agency_id,
        "action": action,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "object_repr": str(obj)[:200] if obj is not None else "",
        "ip_address": client_ip(request),
        "details": details,
    }
    return AuditQueueEntry.objects.create(**fields)


def integrate(batch=2000):
    """Move queued entries into the hash chain, oldest first; returns how many.

    Under the chain head's row lock, so two integrators never extend the chain from the same
    hash; the queue rows are deleted in the same transaction as their entries are written, so
    an entry is chained exactly once. Cheap when the queue is empty (one indexed read)."""
    moved = 0
    while AuditQueueEntry.objects.exists():
        with transaction.atomic():
            head, _created = AuditChainHead.objects.select_for_update().get_or_create(
                pk=1, defaults={"last_hash": GENESIS_HASH}
            )
            queued = list(AuditQueueEntry.objects.order_by("id")[:batch])
            if not queued:
                break
            prev_hash, entries = head.last_hash, []
            for row in queued:
                fields = {name: getattr(row, name) for name in HASHED_FIELDS}
                digest = entry_hash(prev_hash=prev_hash, **fields)
                entries.append(AuditEntry(prev_hash=prev_hash, hash=digest, **fields))
                prev_hash = digest
            AuditEntry._base_manager.bulk_create(entries)
            AuditQueueEntry.objects.filter(id__in=[row.id for row in queued]).delete()
            head.last_hash, head.length = prev_hash, head.length + len(entries)
            head.save(update_fields=["last_hash", "length"])
        moved += len(queued)
    return moved


def recent(limit=50, related=(), **filters):
    """The newest recorded entries matching `filters`, chained or still queued, newest first.

    A read only: nothing is chained here. Each entry says whether it is chained yet
    (`.chained`). The queue is read before the chain, so an entry chained between the two reads
    is seen twice rather than missed, and the copy is dropped by what its hash covers."""
    queued: list[AuditRecord] = list(
        AuditQueueEntry.objects.filter(**filters).select_related(*related).order_by("-id")[:limit]
    )
    chained: list[AuditRecord] = list(
        AuditEntry.objects.filter(**filters).select_related(*related).order_by("-id")[:limit]
    )
    seen: set[tuple[str, ...]] = set()
    entries: list[AuditRecord] = []
    for entry in sorted(chained + queued, key=lambda e: (e.timestamp, isinstance(e, AuditEntry)), reverse=True):
        key = tuple(str(getattr(entry, name)) for name in HASHED_FIELDS)
        if key in seen:
            continue
        seen.add(key)
        entry.chained = isinstance(entry, AuditEntry)
        entries.append(entry)
    return entries[:limit]


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self):
        return self.broken_at is None and not self.reason


_VERIFY_FIELDS = ("id", "prev_hash", "hash", *HASHED_FIELDS)


def _entries(chunk_size, start=None, stop=None):
    """The entries with start <= id < stop, in order, as (id, prev_hash, hash, *HASHED_FIELDS).

    On PostgreSQL, a server-side cursor in binary format: the rows arrive without the text
    parsing of Django's loaders and converters, which cost more than the hashing itself over a
    million entries. `host()` gives the address as Django's text loader does."""
    if connection.vendor != "postgresql":
        entries = AuditEntry.objects.order_by("id")
        if start is not None:
            entries = entries.filter(id__gte=start, id__lt=stop)
        yield from entries.values_list(*_VERIFY_FIELDS).iterator(chunk_size=chunk_size)
        return
    columns = ", ".join("host(ip_address)" if name == "ip_address" else f'"{name}"' for name in HASHED_FIELDS)
    where, params = ("WHERE id >= %s AND id < %s", [start, stop]) if start is not None else ("", [])
    connection.ensure_connection()
    with transaction.atomic(), connection.connection.cursor(name="portal_audit_verify", binary=True) as cursor:
        cursor.itersize = chunk_size
        cursor.execute(
            f'SELECT id, prev_hash, "hash", {columns} FROM portal_auditentry {where} ORDER BY id',  # noqa: S608
            params,
        )
        yield from cursor


@dataclass
class _Stretch:
    """What one walk over consecutive entries found."""

    first_id: int | None = None
    first_prev: str | None = None
    last_hash: str | None = None
    checked: int = 0
    broken_at: int | None = None
    reason: str = ""


def _walk(chunk_size=5000, start=None, stop=None):
    """Check each entry's hash and its link to the entry before it within [start, stop)."""
    stretch = _Stretch()
    expected_prev = None
    hash_values = _hash_values
    for entry_id, prev_hash, stored_hash, timestamp, *rest in _entries(chunk_size, start, stop):
        if stretch.first_id is None:
            stretch.first_id, stretch.first_prev = entry_id, prev_hash
        elif prev_hash != expected_prev:
            stretch.broken_at, stretch.reason = entry_id, "previous hash does not match the entry before it"
            return stretch
        if hash_values(prev_hash, [timestamp.isoformat(), *rest]) != stored_hash:
            stretch.broken_at, stretch.reason = entry_id, "content does not match its hash"
            return stretch
        expected_prev = stretch.last_hash = stored_hash
        stretch.checked += 1
    return stretch


def _walk_in_process(bounds):
    from django.db import connection as own_connection

    try:
        return _walk(start=bounds[0], stop=bounds[1])
    finally:
        own_connection.close()


# Below this many entries one process is quicker than starting others.
PARALLEL_FROM = 200_000


def _stretches(chunk_size):
    """Walks over the log: on PostgreSQL with a large log, one per CPU in parallel (hashing is
    what takes the time), each over a range of ids; otherwise one."""
    workers = os.cpu_count() or 1
    if connection.vendor != "postgresql" or workers < 2:
        return [_walk(chunk_size)]
    low, high, count = AuditEntry.objects.aggregate(low=Min("id"), high=Max("id"), count=Count("id")).values()
    if count < PARALLEL_FROM:
        return [_walk(chunk_size)]
    step = (high - low) // workers + 1
    bounds = [(low + n * step, min(low + (n + 1) * step, high + 1)) for n in range(workers)]
    connections.close_all()  # the processes must not share this process's connection
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_walk_in_process, bounds))


def verify_chain(chunk_size=5000):
    """Walk the log in order and report the first entry whose hash or link does not match."""
    integrate()
    expected_prev = GENESIS_HASH
    checked = 0
    for stretch in _stretches(chunk_size):
        if stretch.first_id is None:
            continue
        if stretch.first_prev != expected_prev:
            return ChainReport(checked, stretch.first_id, "previous hash does not match the entry before it")
        checked += stretch.checked
        if stretch.broken_at is not None:
            return ChainReport(checked, stretch.broken_at, stretch.reason)
        expected_prev = stretch.last_hash
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != expected_prev or head.length != checked):
        return ChainReport(checked, None, "entries are missing at the end of the log")
    return ChainReport(checked)
