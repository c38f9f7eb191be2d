"""Reads of agreements: what a user may see, which clauses allow a given share, and which allow a
hit/no-hit check."""

import datetime
import functools
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agreements.models import (
    Agreement,
    AgreementParty,
    ClauseMode,
    DataSharingClause,
    direction_ids,
    in_force_q,
)
from portal.choices import TLP, IdentifierKind


def agreements_visible_to(principal):
    """The one gate: agreements whose parties include the principal's country."""
    return Agreement.objects.visible_to(principal)


def agreement_get(principal, pk):
    return Agreement.objects.get_visible_or_404(principal, pk=pk)


def agreement_search(principal, *, q="", partner=None, kind="", status="", expiring_within=None):
    agreements = agreements_visible_to(principal)
    if q:
        agreements = agreements.filter(Q(reference__icontains=q) | Q(title__icontains=q) | Q(summary__icontains=q))
    if partner is not None:
        agreements = agreements.filter(parties__country=partner)
    if kind:
        agreements = agreements.filter(kind=kind)
    if status:
        agreements = agreements.filter(status=status)
    if expiring_within is not None:
        today = timezone.localdate()
        agreements = agreements.filter(
            expires_on__isnull=False,
            expires_on__gte=today,
            expires_on__lte=today + datetime.timedelta(days=expiring_within),
        )
    return agreements.select_related("supersedes").prefetch_related("parties__country").distinct()


@dataclass(frozen=True)
class SharingBasis:
    """A clause that allows a share, with the conditions the share must respect."""

    clause: DataSharingClause
    personal_data: bool
    retention_days: int
    automatic: bool

    def expires_at(self, granted_at):
        return granted_at + datetime.timedelta(days=self.retention_days)


def clauses_allowing(*, provider, receiver, category, marking, at=None):
    """Clauses of agreements in force at `at` under which `provider` may share with `receiver`
    an incident of `category` marked `marking`. TLP:RED is never shared. Called by the sharing
    engine, which works for the portal itself rather than for one user."""
    if marking == TLP.RED or provider == receiver:
        return []
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    candidates = (
        DataSharingClause.objects.filter(in_force_q(day, prefix="agreement__"), agreement__parties__country=provider)
        .filter(agreement__parties__country=receiver)
        .select_related("agreement", "provider", "receiver")
        .prefetch_related("agreement__parties__country")
        .distinct()
    )
    bases = []
    for clause in candidates:
        if category not in clause.categories or not clause.allows_marking(marking):
            continue
        parties = [p.country for p in clause.agreement.parties.all()]
        if (provider, receiver) not in clause.directions(parties):
            continue
        bases.append(
            SharingBasis(
                clause=clause,
                personal_data=clause.personal_data,
                retention_days=clause.retention_days,
                automatic=clause.mode == ClauseMode.AUTOMATIC,
            )
        )
    return bases


def _directions_at(day, **parties):
    """Clauses of agreements in force on `day` that have a party for each of `parties` (country or
    id), each with the (provider id, receiver id) pairs it covers: the agreement's parties in one
    more query."""
    candidates = DataSharingClause.objects.filter(in_force_q(day, prefix="agreement__"))
    for country in parties.values():
        candidates = candidates.filter(agreement__parties__country=country)
    clauses = list(candidates.select_related("agreement").distinct())
    party_ids = _party_ids({clause.agreement_id for clause in clauses})
    for clause in clauses:
        yield clause, clause.direction_ids(party_ids.get(clause.agreement_id, []))


def _party_ids(agreement_ids):
    """{agreement id: [country ids of its parties]}, in one query of plain values (prefetched
    related managers cost more than the queries themselves)."""
    parties: dict[int, list[str]] = {}
    if agreement_ids:
        rows = AgreementParty.objects.filter(agreement_id__in=agreement_ids).order_by()
        for agreement_id, country_id in rows.values_list("agreement_id", "country_id"):
            parties.setdefault(agreement_id, []).append(country_id)
    return parties


def _country_id(country):
    return getattr(country, "pk", country)


def hit_no_hit_clauses(provider, receiver, kind, at=None):
    """Clauses of agreements in force at `at` under which `receiver` may check `provider`'s
    incidents for a hit or no hit on identifiers of `kind`: the legal basis of a check. The same
    rule as `clauses_allowing` (status and dates on the day of `at`, directions and `mutual`),
    evaluated at the read, so a suspension, termination or expiry counts from that moment."""
    provider, receiver = _country_id(provider), _country_id(receiver)
    if provider == receiver or kind not in IdentifierKind.values:
        return []
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    return [
        clause
        for clause, pairs in _directions_at(day, provider=provider, receiver=receiver)
        if kind in clause.hit_no_hit_kinds and (provider, receiver) in pairs
    ]


def hit_no_hit_allowed(provider, receiver, kind, at=None):
    """Whether `receiver` may check `provider`'s incidents for a hit on identifiers of `kind`."""
    return bool(hit_no_hit_clauses(provider, receiver, kind, at=at))


def hit_no_hit_providers(receiver, kind, at=None):
    """Ids of the countries whose incidents `receiver` may check for a hit on identifiers of
    `kind` at `at`, all partners at once (one query), by the rule of `hit_no_hit_clauses`."""
    receiver = _country_id(receiver)
    if kind not in IdentifierKind.values:
        return set()
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    rows = _provider_rows(day, receiver)
    clauses: dict[int, tuple[str | None, str | None, bool]] = {}
    parties: dict[int, list[str]] = {}
    for pk, provider, to, mutual, kinds, party in rows:
        if kind in kinds:
            clauses[pk] = (provider, to, mutual)
            parties.setdefault(pk, []).append(party)
    return {
        provider
        for pk, (provider_id, receiver_id, mutual) in clauses.items()
        for provider, to in direction_ids(provider_id, receiver_id, mutual, parties[pk])
        if to == receiver
    }


# --- The clauses of every partner, for a hit/no-hit check, compiled once ------------------------------
#
# A check reads the clauses of every partner of the searcher's country at once, as plain values: one
# row per clause and party of its agreement. Building and compiling that ORM query cost about as
# much as running it, so its SQL is compiled once per process with stand-in values, which each read
# replaces with the day and the receiver (as `incidents.live` does for the dashboard's read): the
# statement is cached, never a decision or a row.

_STAND_IN_DAY = datetime.date(1901, 2, 3)
_STAND_IN_RECEIVER = "\x00hit-receiver"
_PROVIDER_FIELDS = ("id", "provider_id", "receiver_id", "mutual", "hit_no_hit_kinds", "agreement__parties__country")


def _provider_rows_query(day, receiver, alias="default"):
    return (
        DataSharingClause.objects.using(alias)
        .filter(
            in_force_q(day, prefix="agreement__"),
            agreement__in=AgreementParty.objects.filter(country_id=receiver).values("agreement_id"),
        )
        .order_by()
        .values_list(*_PROVIDER_FIELDS)
    )


def _day_value(day, connection):
    return Agreement._meta.get_field("effective_from").get_db_prep_value(day, connection, prepared=False)


@functools.lru_cache(maxsize=4)
def _provider_rows_statement(alias):
    """(SQL, slots, converters, compiler) of `_provider_rows_query`, or None when the stand-ins
    cannot be told apart from the statement's own values (then the ORM reads)."""
    compiler = _provider_rows_query(_STAND_IN_DAY, _STAND_IN_RECEIVER, alias).query.get_compiler(alias)
    sql, params = compiler.as_sql()
    stand_in_day = _day_value(_STAND_IN_DAY, compiler.connection)
    slots: list[tuple] = []
    for param in params:
        if isinstance(param, str) and param == _STAND_IN_RECEIVER:
            slots.append(("receiver",))
        elif not isinstance(param, bool | int) and param == stand_in_day:
            slots.append(("day",))
        else:
            slots.append(("value", param))
    kinds = [slot[0] for slot in slots]
    if kinds.count("receiver") != 1 or not kinds.count("day"):
        return None
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    return sql, slots, converters, compiler


def _provider_rows(day, receiver, alias="default"):
    """What `_provider_rows_query(day, receiver)` reads, through its SQL compiled once."""
    statement = _provider_rows_statement(alias)
    if statement is None:
        return list(_provider_rows_query(day, receiver, alias))
    sql, slots, converters, compiler = statement
    connection = connections[alias]  # this thread's: the compiler's may be another thread's
    values = {"receiver": receiver, "day": _day_value(day, connection)}
    params = [slot[1] if slot[0] == "value" else values[slot[0]] for slot in slots]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [tuple(row) for row in compiler.apply_converters(rows, converters)] if converters else rows


def _names(values):
    values = [str(v) for v in values]
    if len(values) <= 1:
        return "".join(values)
    return _("%(list)s and %(last)s") % {"list": ", ".join(values[:-1]), "last": values[-1]}


def clause_sentence(clause):
    """The clause in one plain sentence, as shown on the agreement page."""
    values = {
        "what": _names(clause.category_labels()),
        "marking": clause.get_max_marking_display(),
        "provider": clause.provider,
        "receiver": clause.receiver,
    }
    if clause.provider_id is None and clause.receiver_id is None:
        text = _("Every party shares %(what)s incidents up to %(marking)s with every other party")
    elif clause.provider_id is None:
        text = _("Every other party shares %(what)s incidents up to %(marking)s with %(receiver)s")
    elif clause.receiver_id is None:
        text = _("%(provider)s shares %(what)s incidents up to %(marking)s with every other party")
    elif clause.mutual:
        text = _("%(provider)s and %(receiver)s share %(what)s incidents up to %(marking)s with each other")
    else:
        text = _("%(provider)s shares %(what)s incidents up to %(marking)s with %(receiver)s")
    parts = [
        f"{text % values}, {clause.get_mode_display()}",
        _("personal data included") if clause.personal_data else _("personal data withheld"),
        ngettext("kept %(days)s day", "kept %(days)s days", clause.retention_days) % {"days": clause.retention_days},
    ]
    if clause.hit_no_hit_kinds:
        parts.append(_hit_no_hit_phrase(clause, values))
    return "; ".join(parts) + "."


# Identifier kinds in the plural, as a sentence names what may be checked.
IDENTIFIER_PLURALS = {
    IdentifierKind.PLATE: gettext_lazy("vehicle registration plates"),
    IdentifierKind.VIN: gettext_lazy("VINs"),
    IdentifierKind.DOCUMENT: gettext_lazy("travel or identity document numbers"),
    IdentifierKind.IMO: gettext_lazy("vessel IMO numbers"),
    IdentifierKind.MMSI: gettext_lazy("vessel MMSIs"),
    IdentifierKind.PHONE: gettext_lazy("phone numbers"),
}


def _hit_no_hit_phrase(clause, values):
    """Who may check whose incidents for a hit, on which identifiers, by the clause's directions."""
    values = {
        **values,
        "kinds": _names(
            IDENTIFIER_PLURALS.get(kind, IdentifierKind(kind).label)
            for kind in clause.hit_no_hit_kinds
            if kind in IdentifierKind.values
        ),
    }
    if clause.provider_id is None and clause.receiver_id is None:
        text = _("every party may check the other parties' incidents for a hit on %(kinds)s")
    elif clause.mutual:
        values["party"] = clause.provider or clause.receiver
        if clause.provider_id is None or clause.receiver_id is None:
            text = _("%(party)s and every other party may check each other's incidents for a hit on %(kinds)s")
        else:
            text = _("%(provider)s and %(receiver)s may check each other's incidents for a hit on %(kinds)s")
    elif clause.provider_id is None:
        text = _("%(receiver)s may check every other party's incidents for a hit on %(kinds)s")
    elif clause.receiver_id is None:
        text = _("every other party may check %(provider)s's incidents for a hit on %(kinds)s")
    else:
        text = _("%(receiver)s may check %(provider)s's incidents for a hit on %(kinds)s")
    return text % values


def dashboard_panel(user):
    """The dashboard's card of agreements: in force, and expiring within 90 days."""
    if not user.agency_id:
        return None
    return {
        "in_force": agreement_search(user, status="in_force").count(),
        "expiring": agreement_search(user, status="in_force", expiring_within=90).order_by("expires_on")[:5],
    }
