"""Reads of agreements: what a user may see, and which clauses allow a given share."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, ClauseMode, DataSharingClause, in_force_q
from portal.choices import TLP


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
    return (
        "; ".join(
            [
                f"{text % values}, {clause.get_mode_display()}",
                _("personal data included") if clause.personal_data else _("personal data withheld"),
                ngettext("kept %(days)s day", "kept %(days)s days", clause.retention_days)
                % {"days": clause.retention_days},
            ]
        )
        + "."
    )


def dashboard_panel(user):
    """The dashboard's card of agreements: in force, and expiring within 90 days."""
    if not user.agency_id:
        return None
    return {
        "in_force": agreement_search(user, status="in_force").count(),
        "expiring": agreement_search(user, status="in_force", expiring_within=90).order_by("expires_on")[:5],
    }
