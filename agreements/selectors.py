"""Reads of agreements: what a user may see, which clauses allow a given share, and which allow a
hit/no-hit check."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agreements.models import Agreement, ClauseMode, DataSharingClause, in_force_q
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
    clauses = DataSharingClause.objects.filter(in_force_q(day, prefix="agreement__"))
    for country in parties.values():
        clauses = clauses.filter(agreement__parties__country=country)
    clauses = clauses.select_related("agreement").prefetch_related("agreement__parties").distinct()
    for clause in clauses:
        yield clause, clause.direction_ids([party.country_id for party in clause.agreement.parties.all()])


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
    `kind` at `at`, all partners at once (two queries), by the rule of `hit_no_hit_clauses`."""
    receiver = _country_id(receiver)
    if kind not in IdentifierKind.values:
        return set()
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    return {
        provider
        for clause, pairs in _directions_at(day, receiver=receiver)
        if kind in clause.hit_no_hit_kinds
        for provider, to in pairs
        if to == receiver
    }


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
