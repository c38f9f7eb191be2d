"""Who may see an incident now, and which of its fields: the one owner of the sharing rule.

Every path that carries incident content (pages, API, CSV, GeoJSON, STIX, CAP, alerts, webhooks,
e-mails, dashboards, training's linked incidents, tasks, the owner's preview) asks this module.

The rule. A country sees an incident while it owns it, or while one of its grants (`ShareGrant`,
the ledger: which clause, since when) is valid *now*:
- the grant was not revoked, its retention window is open, and the clause's agreement is in
  force today by its status and its dates (an agreement that renews itself does not end on its
  expiry date);
- the incident is still covered by the clause: validated or shared (a closed incident keeps the
  shares it had until they end, and gains no new one), not TLP:RED, its category and marking
  inside the clause.
Personal data is seen by the owner, and by a partner while a valid grant allows it.
A country one of whose agencies accepted a handover of the incident (`Incident.handled_by`) sees
it in full, personal data included, with no end, for as long as that agency handles it: the
handover is its legal basis, independent of the grants (`index_rows`, `handling_country_id`).

How it is fast and exact at once. The visibility index is django-guardian's direct-foreign-key
permission table of incidents (`IncidentGroupObjectPermission`, alias `IncidentVisibility`: one
row per country group and incident, `view_incident`), and it carries each row's validity
window: its end is the latest end of the country's grants, each counted until its retention
ends or its agreement's expiry date passes, and `personal_data_until` is the same for the grants
that allow personal data. The gate compares both with the time of the read, so an end in time
takes effect with no task having run. Every change that narrows sharing without the clock
(suspension, termination, a shorter expiry date, re-marking, re-categorising) rewrites the rows
in the same transaction as the change (`incidents.sharing.sync_incident`). Background tasks
only tidy up: they revoke grants that have ended in time (for the ledger and the Cancel
alerts) and scrub stored payloads.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alerts.feed import item as feed_item
from incidents.gate import open_at, open_q
from incidents.models import PERSONAL_FIELDS

SHAREABLE_STATES = {"validated", "shared"}
# A closed incident keeps the shares it had (until their retention or agreement ends).


# --- The gate on querysets --------------------------------------------------------------------


def personal_data_visible(incident, now=None):
    """Whether the personal data of an incident read through `seen_by` may be shown now."""
    return getattr(incident, "personal_data_flag", False) and open_at(
        getattr(incident, "personal_data_until", None), now or timezone.now()
    )


# --- One incident, one country ------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What one country may see of one incident at one moment."""

    visible: bool
    personal_data: bool = False
    until: datetime.datetime | None = None
    is_owner: bool = False

    @classmethod
    def from_row(cls, row, now):
        if row is None or not open_at(row.expires_at, now):
            return NO_ACCESS
        personal = row.personal_data and open_at(row.personal_data_until, now)
        return cls(visible=True, personal_data=personal, until=row.expires_at, is_owner=row.is_owner)


NO_ACCESS = Access(visible=False)


def access_map(incident_ids, country_id, now=None):
    """{incident id: Access} of one country for several incidents, in one query."""
    from incidents.models import IncidentVisibility

    now = now or timezone.now()
    rows = {
        row.content_object_id: row
        for row in IncidentVisibility.objects.filter(country_id=country_id, content_object_id__in=set(incident_ids))
    }
    return {pk: Access.from_row(rows.get(pk), now) for pk in incident_ids}


def access_of(incident_id, country_id, now=None):
    return access_map([incident_id], country_id, now)[incident_id]


# --- Building the index from the ledger (called by the sharing engine) -----------------------


def grant_valid_until(grant, now=None):
    """The end of one grant: its retention, or its agreement's end by date if that comes first.
    An end already passed stays the end (`ShareGrant.valid_until`)."""
    if grant.valid_until is not None and grant.valid_until <= (now or timezone.now()):
        return grant.valid_until
    ends = grant.clause.agreement.force_ends_at()
    return grant.expires_at if ends is None else min(grant.expires_at, ends)


def index_rows(incident, now, grants):
    """{country id: index row values} of an incident from its active (unrevoked) grants."""
    rows = {
        incident.country_id: {"expires_at": None, "personal_data": True, "personal_data_until": None, "is_owner": True}
    }
    for grant in grants:
        if grant.country_id == incident.country_id or grant.expires_at <= now:
            continue
        until = grant_valid_until(grant, now)
        if until <= now:
            continue
        row = rows.setdefault(
            grant.country_id,
            {"expires_at": until, "personal_data": False, "personal_data_until": None, "is_owner": False},
        )
        row["expires_at"] = max(row["expires_at"], until)
        if grant.personal_data:
            row["personal_data"] = True
            row["personal_data_until"] = max(row["personal_data_until"] or until, until)
    handler = handling_country_id(incident)
    if handler is not None:
        # The handover is a legal basis of its own: the country of the agency that took the
        # incident over sees all of it, personal data included, for as long as it handles it,
        # whatever becomes of the clauses it first received it under.
        rows[handler] = {**HANDOVER_ROW}
    return rows


# The index row of the country that handles an incident handed over to one of its agencies.
HANDOVER_ROW = {"expires_at": None, "personal_data": True, "personal_data_until": None, "is_owner": False}


def handling_country_id(incident):
    """The country of the agency handling the incident after an accepted handover, when it is not
    the owner's (None while the reporting agency handles it)."""
    if incident.handled_by_id is None:
        return None
    country_id = incident.handled_by.country_id
    return None if country_id == incident.country_id else country_id


def grant_end(grant, incident, now):
    """Why an active grant no longer holds at `now` (a `ShareEnd`), or None while it holds."""
    from agreements.selectors import clauses_allowing
    from incidents.models import ShareEnd

    if grant.expires_at <= now:
        return ShareEnd.RETENTION_ENDED
    if grant.valid_until is not None and grant.valid_until <= now:
        return ShareEnd.AGREEMENT_ENDED  # by its dates, before they were moved
    if not incident.keeps_shares:
        return ShareEnd.NOT_SHAREABLE
    if not grant.clause.agreement.in_force_on(timezone.localdate(now)):
        return ShareEnd.AGREEMENT_ENDED
    bases = clauses_allowing(
        provider=incident.country, receiver=grant.country, category=incident.category, marking=incident.marking, at=now
    )
    if not any(basis.clause.pk == grant.clause_id for basis in bases):
        return ShareEnd.NOT_SHAREABLE
    return None


def share_end_reason(incident_id, country_id, now=None):
    """Why a country that once saw an incident sees it no more (a `ShareEnd` code)."""
    from incidents.models import Incident, ShareEnd, ShareGrant

    latest = (
        ShareGrant.objects.filter(incident_id=incident_id, country_id=country_id)
        .select_related("clause__agreement", "country")
        .order_by("-granted_at", "-id")
        .first()
    )
    if latest is None:
        return ShareEnd.NOT_SHAREABLE
    if latest.revoked_at is not None:
        return latest.end_reason or ShareEnd.NOT_SHAREABLE
    # Ended in time, not yet written into the ledger by the tidy-up.
    incident = Incident.objects.select_related("country").get(pk=incident_id)
    return grant_end(latest, incident, now or timezone.now()) or ShareEnd.NOT_SHAREABLE


# --- Fields ---------------------------------------------------------------------------------------


def redact(incident, personal_data):
    """Blank the personal fields when they may not be seen; says whether something was withheld."""
    if not personal_data:
        for name in PERSONAL_FIELDS:
            setattr(incident, name, None if name == "person_birth_date" else "")
        incident.personal_data_withheld = incident.has_personal_data
    else:
        incident.personal_data_withheld = False
    return incident


def _place(place, kind=False):
    data = {"code": place.code, "name": place.name, "country": place.country_id}
    if kind:
        data["kind"] = place.kind
    return data


def incident_content(incident, personal_data):
    """The incident as a receiving country may see it (the content of alerts and previews)."""
    data = {
        "reference": incident.reference,
        "country": incident.country_id,
        "agency": incident.agency.code,
        "category": incident.category,
        "occurred_at": incident.occurred_at.isoformat(),
        "latitude": str(incident.latitude) if incident.latitude is not None else None,
        "longitude": str(incident.longitude) if incident.longitude is not None else None,
        # The code of the sector or crossing point, or the name as reported when none is linked.
        "border_sector": incident.sector.code if incident.sector_id else incident.border_sector,
        "crossing_point": incident.crossing.code if incident.crossing_id else incident.crossing_point,
        "sector": _place(incident.sector) if incident.sector_id else None,
        "crossing": _place(incident.crossing, kind=True) if incident.crossing_id else None,
        "description": incident.description,
        "people_involved": incident.people_involved,
        "severity": incident.severity,
        "marking": incident.marking,
        "source_reliability": incident.source_reliability,
        "information_credibility": incident.information_credibility,
        "has_personal_data": incident.has_personal_data,
        "exercise": incident.is_exercise,
        "personal_data_withheld": incident.has_personal_data and not personal_data,
    }
    for name in PERSONAL_FIELDS:
        value: Any = getattr(incident, name) if personal_data else None
        data[name] = value.isoformat() if hasattr(value, "isoformat") else (value or None)
    return data


def without_personal_data(content):
    """Stored content with the personal fields removed (the receiver lost the right to them)."""
    content = dict(content)
    for name in PERSONAL_FIELDS:
        content[name] = None
    content["personal_data_withheld"] = bool(content.get("has_personal_data"))
    return content


def has_stored_personal_data(content):
    return any(content.get(name) for name in PERSONAL_FIELDS)


# --- Comments and attachments -----------------------------------------------------------------


def comments_seen_by(incident, country_id):
    """The owner sees every comment; a partner sees the owner's comments and its own country's,
    never another partner's."""
    comments = incident.comments.select_related("author__agency")
    if country_id == incident.country_id:
        return comments
    return comments.filter(Q(country_id=incident.country_id) | Q(country_id=country_id))


def attachments_seen_by(incident, personal_data):
    """The files of a visible incident: those flagged as personal data only for a reader who may
    see the incident's personal data."""
    attachments = incident.attachments.all()
    return attachments if personal_data else attachments.filter(personal_data=False)


# --- Alerts ---------------------------------------------------------------------------------------


def alert_content(alert, access):
    """An alert's incident content, as its receiver may see it now; None for a Cancel and once the
    share has ended (the alert is then a tombstone)."""
    if alert.is_cancel or not access.visible:
        return None
    content = alert.payload
    return content if access.personal_data else without_personal_data(content)


def alert_message(alert, access):
    """The JSON body pushed to webhooks, e-mailed, and served by the pull API.

    `incident` is the content while the receiver may see it and null otherwise; `reason` then
    says why (a Cancel's reason, or the end of the share)."""
    content = alert_content(alert, access)
    reason = None
    if content is None:
        reason = (
            alert.payload.get("reason")
            or getattr(alert, "end_reason", None)
            or share_end_reason(alert.incident_id, alert.country_id)
        )
    return feed_item(
        alert, reference=alert.payload.get("reference"), incident=content, reason=str(reason) if reason else None
    )


def alerts_still_seen(alerts, now=None):
    """Alerts whose receiver may still see their incident (lists that show incident fields)."""
    from django.db.models import Exists, OuterRef

    from incidents.models import IncidentVisibility

    now = now or timezone.now()
    rows = IncidentVisibility.objects.filter(
        open_q("expires_at", now),
        content_object_id=OuterRef("incident_id"),
        country_id=OuterRef("country_id"),
    )
    return alerts.filter(Exists(rows))


def with_access(alerts, country_id, now=None):
    """Attach to each alert (`.access`) what its receiver may see of its incident now, and to
    each tombstone why its share ended (`.end_reason`, looked up once per incident)."""
    alerts = list(alerts)
    found = access_map([a.incident_id for a in alerts], country_id, now)
    reasons = {}
    for alert in alerts:
        alert.access = found[alert.incident_id]
        if not alert.access.visible and not alert.is_cancel:
            if alert.incident_id not in reasons:
                reasons[alert.incident_id] = share_end_reason(alert.incident_id, country_id, now)
            alert.end_reason = reasons[alert.incident_id]
    return alerts


# --- The owner's preview ----------------------------------------------------------------------


@dataclass
class Preview:
    """An incident as one partner country receives it, built from the same functions as every
    path: what it sees, what is withheld, under which clauses, until when, and its alerts."""

    country: object
    access: Access
    content: dict | None
    withheld: list[str] = field(default_factory=list)
    grants: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    alerts: list = field(default_factory=list)


def preview(incident, country, now=None):
    """What `country` receives of `incident` at `now` (the owner's preview)."""
    from incidents.models import Incident

    now = now or timezone.now()
    seen = access_of(incident.pk, country.pk, now)
    fresh = Incident.objects.select_related("agency", "country").get(pk=incident.pk)
    content = incident_content(fresh, seen.personal_data) if seen.visible else None
    withheld = [] if not seen.visible or seen.personal_data or not fresh.has_personal_data else list(PERSONAL_FIELDS)
    grants = [g for g in fresh.grants.select_related("clause__agreement", "country") if g.country_id == country.pk]
    alerts = with_access(fresh.alerts.filter(country=country).select_related("references").order_by("id"), country.pk)
    return Preview(
        country=country,
        access=seen,
        content=content,
        withheld=withheld,
        grants=grants,
        attachments=list(attachments_seen_by(fresh, seen.personal_data)) if seen.visible else [],
        comments=list(comments_seen_by(fresh, country.pk)) if seen.visible else [],
        alerts=[{**alert_message(alert, alert.access), "sent_at": alert.sent_at} for alert in alerts],
    )
