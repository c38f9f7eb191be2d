"""The life of an incident as its reader may know it: its steps from the audit log, its shares
from the `ShareGrant` ledger and its handovers from the `Handover` rows, oldest first.

The owner's country sees every entry. A partner sees the steps of the incident's life, the
shares of its own country only, and the handovers to an agency of its own country only: what
other countries receive, and under which clauses, never shows. Free text that can hold personal
data (reasons, answers, comments) is not shown; reads are not events.
"""

import datetime
from dataclasses import dataclass

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from incidents import access, selectors
from incidents.models import PERSONAL_FIELDS, HandoverStatus, Incident, ShareEnd
from portal import audit
from portal.gate import principal_country_id

# Steps of the incident's life read from the audit log, in the order they happen, which also
# orders entries recorded at the same moment; the owner alone sees the refused validations.
STEPS = ("incident.created", "incident.submitted", "incident.validation_refused", "incident.validated")
LATER_STEPS = ("incident.closed",)
OWNER_ONLY = {"incident.validation_refused"}
UPDATED = "incident.updated"
RANK = {
    kind: rank
    for rank, kind in enumerate(
        (
            "created",
            "submitted",
            "validation_refused",
            "validated",
            "updated",
            "shared",
            "share_ended",
            "handover_requested",
            "handover_accepted",
            "handover_declined",
            "handover_expired",
            "follow_up",
            "closed",
        )
    )
}
# How many entries of each source a page shows at most (the newest): enough for any real
# incident's life, and a bound on what one page reads.
STEP_LIMIT = 100
UPDATE_LIMIT = 50

_SENTENCES = {
    "incident.created": lambda: _("Filed as a draft."),
    "incident.submitted": lambda: _("Submitted for validation."),
    "incident.validated": lambda: _("Validated."),
    "incident.closed": lambda: _("Closed."),
}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: when, who (a label and the agency's code), and what."""

    at: datetime.datetime
    kind: str
    text: str
    actor: str = ""
    agency_code: str = ""

    @property
    def sort_key(self):
        return (self.at, RANK[self.kind])


def incident_timeline(principal, incident):
    """The timeline of an incident the principal was allowed to read (`selectors.incident_get`),
    oldest entry first. A bounded number of queries, whatever the number of entries."""
    country_id = principal_country_id(principal)
    if country_id is None:
        return []
    own = country_id == incident.country_id
    entries = _steps(incident, own) + _updates(incident, own)
    entries += _shares(principal, incident)
    entries += _handovers(incident, country_id, own)
    entries += _follow_ups(principal, incident)
    return sorted(entries, key=lambda entry: entry.sort_key)


def _at(value, fmt="Y-m-d"):
    return dateformat.format(timezone.localtime(value), fmt)


def _recorded(incident, actions, limit):
    return audit.recent(
        limit,
        related=("agency",),
        action__in=list(actions),
        object_type=Incident._meta.label_lower,
        object_id=str(incident.pk),
    )


def _actor(entry):
    label = entry.actor_label
    return _("system") if label == "system" else label


def _steps(incident, own):
    entries = []
    for record in _recorded(incident, STEPS + LATER_STEPS, STEP_LIMIT):
        if record.action in OWNER_ONLY and not own:
            continue
        kind = record.action.removeprefix("incident.")
        if record.action == "incident.validation_refused":
            # The refusal's reason is the portal's own message, never text a person typed.
            reason = str((record.details or {}).get("reason") or "")
            text = _("Validation refused: %(reason)s") % {"reason": reason} if reason else _("Validation refused.")
        else:
            text = _SENTENCES[record.action]()
        code = record.agency.code if record.agency_id else ""
        entries.append(Entry(record.timestamp, kind, text, _actor(record), code))
    return entries


def _field_labels(names, personal_data):
    verbose = {field.name: field.verbose_name for field in Incident._meta.fields}
    # A field since removed from the model is left out.
    return [str(verbose[name]) for name in names if name in verbose and (personal_data or name not in PERSONAL_FIELDS)]


def _updates(incident, own):
    """Changes after filing, by field name only (never the values). A reader who may not see
    the personal data does not learn which personal fields changed, nor that only they did."""
    personal_data = own or access.personal_data_visible(incident)
    entries = []
    for record in _recorded(incident, [UPDATED], UPDATE_LIMIT):
        labels = _field_labels((record.details or {}).get("fields") or [], personal_data)
        if not labels:
            continue
        text = _("Updated: %(fields)s.") % {"fields": ", ".join(labels)}
        code = record.agency.code if record.agency_id else ""
        entries.append(Entry(record.timestamp, "updated", text, _actor(record), code))
    return entries


def _shares(principal, incident):
    """From the ledger, through the selector that gives a partner its own country's grants only."""
    grants = selectors.grants_seen_by(principal, incident).select_related("granted_by__agency")
    now = timezone.now()
    owner_code = incident.agency.code
    engine = _("sharing engine")
    entries = []
    for grant in grants:
        values = {
            "country": grant.country,
            "agreement": grant.clause.agreement.reference,
            "date": _at(grant.expires_at),
        }
        if grant.on_request:
            text = _("Shared on request with %(country)s under %(agreement)s until %(date)s.") % values
        else:
            text = _("Shared with %(country)s under %(agreement)s until %(date)s.") % values
        by = grant.granted_by
        entries.append(
            Entry(
                grant.granted_at,
                "shared",
                text,
                by.get_username() if by else engine,
                by.agency.code if by and by.agency_id else owner_code,
            )
        )
        ended = _share_end(grant, now)
        if ended is not None:
            at, reason = ended
            text = _("Share with %(country)s under %(agreement)s ended: %(reason)s") % (values | {"reason": reason})
            entries.append(Entry(at, "share_ended", text, engine, owner_code))
    return entries


def _share_end(grant, now):
    """When and why a grant ended, if it has: revoked in the ledger, or ended in time (its
    retention, its agreement's dates) before the tidy-up revoked it."""
    passed = [end for end in (grant.valid_until, grant.expires_at) if end is not None and end <= now]
    if grant.revoked_at is not None:
        passed.append(grant.revoked_at)
    if not passed:
        return None
    if grant.end_reason:
        reason = str(ShareEnd(grant.end_reason).label)
    elif grant.revoked_at is not None and grant.revoked_reason:
        reason = grant.revoked_reason
    elif grant.expires_at <= now:
        reason = str(ShareEnd.RETENTION_ENDED.label)
    else:
        reason = str(ShareEnd.AGREEMENT_ENDED.label)
    return min(passed), reason


def _handovers(incident, country_id, own):
    """The owner sees every handover; a partner those to an agency of its own country."""
    handovers = incident.handovers.select_related(
        "to_agency", "from_agency", "requested_by__agency", "decided_by__agency"
    ).order_by("requested_at", "pk")
    if not own:
        handovers = handovers.filter(to_agency__country_id=country_id)
    now = timezone.now()
    entries = []
    for handover in handovers:
        agency = str(handover.to_agency)
        asked = handover.requested_by
        entries.append(
            Entry(
                handover.requested_at,
                "handover_requested",
                _("Handover to %(agency)s requested; answer due by %(deadline)s.")
                % {"agency": agency, "deadline": _at(handover.deadline, "Y-m-d H:i")},
                asked.get_username(),
                asked.agency.code if asked.agency_id else handover.from_agency.code,
            )
        )
        decided = handover.decided_by
        who = (decided.get_username(), handover.to_agency.code) if decided else ("", handover.to_agency.code)
        if handover.status == HandoverStatus.ACCEPTED and handover.decided_at:
            text = _("Handed over to %(agency)s; accepted by %(person)s.") % {"agency": agency, "person": who[0]}
            entries.append(Entry(handover.decided_at, "handover_accepted", text, *who))
        elif handover.status == HandoverStatus.DECLINED and handover.decided_at:
            text = _("Handover to %(agency)s declined by %(person)s.") % {"agency": agency, "person": who[0]}
            entries.append(Entry(handover.decided_at, "handover_declined", text, *who))
        elif handover.status == HandoverStatus.EXPIRED or (
            handover.status == HandoverStatus.PENDING and handover.deadline <= now
        ):
            text = _("Handover to %(agency)s was not answered in time.") % {"agency": agency}
            entries.append(Entry(handover.deadline, "handover_expired", text))
    return entries


def _follow_ups(principal, incident):
    """Follow-up reports the principal may read (through the gate)."""
    follow_ups = (
        Incident.objects.visible_to(principal)
        .filter(follow_up_of=incident)
        .select_related("agency", "reporter")
        .order_by("created_at", "pk")
    )
    entries = []
    for follow_up in follow_ups:
        who = follow_up.reporter.get_username() if follow_up.reporter else follow_up.reported_via
        text = _("Follow-up report %(reference)s filed.") % {"reference": follow_up.reference}
        entries.append(Entry(follow_up.created_at, "follow_up", text, who, follow_up.agency.code))
    return entries
