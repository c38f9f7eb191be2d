"""The hash-chained audit log: append an entry, and verify the chain."""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.models import AuditChainHead, AuditEntry

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


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


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
    payload = _canonical([prev_hash, *values])
    return hashlib.sha256(payload.encode()).hexdigest()


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
    """Append one entry to the audit log, in the caller's transaction.

    When the caller's transaction rolls back, the entry goes with it: what did not happen
    is not logged as done. Events about refusals are written outside such transactions.
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
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS_HASH}
        )
        digest = entry_hash(prev_hash=head.last_hash, **fields)
        entry = AuditEntry.objects.create(prev_hash=head.last_hash, hash=digest, **fields)
        head.last_hash = digest
        head.length += 1
        head.save(update_fields=["last_hash", "length"])
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self):
        return self.broken_at is None and not self.reason


_VERIFY_FIELDS = ("id", "prev_hash", "hash", *HASHED_FIELDS)


def verify_chain(chunk_size=5000):
    """Walk the log in order and report the first entry whose hash or link does not match."""
    expected_prev = GENESIS_HASH
    checked = 0
    rows = AuditEntry.objects.order_by("id").values_list(*_VERIFY_FIELDS).iterator(chunk_size=chunk_size)
    for row in rows:
        entry_id, prev_hash, stored_hash, *rest = row
        fields = dict(zip(_VERIFY_FIELDS[3:], rest, strict=True))
        if prev_hash != expected_prev:
            return ChainReport(checked, entry_id, "previous hash does not match the entry before it")
        if entry_hash(prev_hash=prev_hash, **fields) != stored_hash:
            return ChainReport(checked, entry_id, "content does not match its hash")
        expected_prev = stored_hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != expected_prev or head.length != checked):
        return ChainReport(checked, None, "entries are missing at the end of the log")
    return ChainReport(checked)
