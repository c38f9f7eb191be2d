"""Reads of the supervisors' duty desk: what awaits a supervisor's action, all through the gate.

The validation queue (submitted incidents of the supervisor's agency), the handovers awaiting an
answer both ways with their clocks, and the alerts not acknowledged in time both ways. Alerts
are read through `alerts.selectors.overdue_acknowledgements`, the same rule and deadlines
(`ALERTS_ACK_DEADLINES`) as the dashboard's card of alerts.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from alerts.models import Alert
from alerts.selectors import overdue_acknowledgements
from incidents.models import Handover, HandoverStatus, Incident, IncidentStatus
from portal import audit
from portal.gate import principal_country_id


def is_duty_officer(user):
    """The desk is for supervisors of an active agency (people, not partner systems)."""
    return (
        getattr(user, "api_key", None) is None
        and getattr(user, "is_supervisor", False)
        and principal_country_id(user) is not None
    )


# --- The validation queue -----------------------------------------------------------------------


def validation_queue(user, *, q="", category="", severity=""):
    """Submitted incidents of the supervisor's own agency, oldest first (by the time filed)."""
    if not is_duty_officer(user):
        return Incident.objects.none()
    incidents = (
        Incident.objects.visible_to(user)
        .filter(agency_id=user.agency_id, status=IncidentStatus.SUBMITTED)
        .select_related("reporter", "agency", "sector")
    )
    if q:
        incidents = incidents.filter(
            Q(reference__icontains=q) | Q(description__icontains=q) | Q(border_sector__icontains=q)
        )
    if category:
        incidents = incidents.filter(category=category)
    if severity:
        incidents = incidents.filter(severity=severity)
    return incidents.order_by("created_at", "id")


def with_waiting_time(incidents, now=None):
    """Give each incident of a page `.submitted_at` (from the audit log; the time filed when the
    entry is not found) and `.waiting` (how long it has waited since)."""
    now = now or timezone.now()
    incidents = list(incidents)
    if not incidents:
        return incidents
    entries = audit.recent(
        len(incidents) * 4,
        action="incident.submitted",
        object_type="incidents.incident",
        object_id__in=[str(incident.pk) for incident in incidents],
    )
    submitted: dict[str, datetime.datetime] = {}
    for entry in entries:  # newest first: the latest submission of each incident wins
        submitted.setdefault(entry.object_id, entry.timestamp)
    for incident in incidents:
        incident.submitted_at = submitted.get(str(incident.pk), incident.created_at)
        incident.waiting = max(now - incident.submitted_at, datetime.timedelta(0))
    return incidents


# --- Handovers ----------------------------------------------------------------------------------


def _pending(user):
    return Handover.objects.filter(
        status=HandoverStatus.PENDING, incident__in=Incident.objects.visible_to(user).values("pk")
    ).select_related("incident", "from_agency", "to_agency", "requested_by")


def handovers_incoming(user):
    """Handovers to the supervisor's agency awaiting its answer, the most urgent first; only of
    incidents its country still sees (an answer needs the incident's page)."""
    if not is_duty_officer(user):
        return Handover.objects.none()
    return _pending(user).filter(to_agency_id=user.agency_id).order_by("deadline", "id")


def handovers_outgoing(user):
    """Handovers the supervisor's agency asked for, awaiting the neighbour's answer."""
    if not is_duty_officer(user):
        return Handover.objects.none()
    return _pending(user).filter(from_agency_id=user.agency_id).order_by("deadline", "id")


def with_clock(handovers, now=None):
    """Give each handover of a page `.left` (time left to answer) and `.overdue`."""
    now = now or timezone.now()
    handovers = list(handovers)
    for handover in handovers:
        handover.left = handover.time_left(now)
        handover.overdue = handover.deadline <= now
    return handovers


# --- Acknowledgements -------------------------------------------------------------------------


def acks_to_give(user, now=None):
    """Alerts sent to the supervisor's country and not acknowledged in time (only those whose
    incident or sector it still sees: the alerts' own rule)."""
    if not is_duty_officer(user):
        return Alert.objects.none()
    return overdue_acknowledgements(receiving_country_id=user.agency.country_id, now=now)


def acks_awaited(user, now=None):
    """Alerts that the agency's incidents (and its country's sector level rises) caused and that
    partners have not acknowledged in time."""
    if not is_duty_officer(user):
        return Alert.objects.none()
    return overdue_acknowledgements(sending_country_id=user.agency.country_id, now=now).filter(
        Q(incident__agency_id=user.agency_id) | Q(sector__isnull=False)
    )


# --- The dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskCounts:
    to_validate: int
    incoming: int
    incoming_overdue: int
    outgoing: int
    acks_to_give: int
    acks_awaited: int

    @property
    def total(self):
        return self.to_validate + self.incoming + self.outgoing + self.acks_to_give + self.acks_awaited


def counts(user, now=None):
    """What the desk holds, for the dashboard; None for anyone but a supervisor."""
    if not is_duty_officer(user):
        return None
    now = now or timezone.now()
    incoming = handovers_incoming(user)
    return DeskCounts(
        to_validate=validation_queue(user).count(),
        incoming=incoming.count(),
        incoming_overdue=incoming.filter(deadline__lte=now).count(),
        outgoing=handovers_outgoing(user).count(),
        acks_to_give=acks_to_give(user, now).count(),
        acks_awaited=acks_awaited(user, now).count(),
    )
