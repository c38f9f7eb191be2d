"""Reads of requests for information and of single points of contact.

Who sees a request (`requests_visible_to`, the one gate of every page):
- on the requesting side, the requesting agency and its country's SPOC agency (Directive (EU)
  2023/977, Article 4(1): a request sent by another authority is copied to its own SPOC);
- on the requested side, the country's SPOC agency and the agency the SPOC routed it to.
Other agencies of the two countries do not see it (need to know), and no third country ever does.
Among people, liaison officers and supervisors of those agencies see it, and the person who sent
it; a partner system (API key) of those agencies sees it, its scopes decide the rest (the API
reads with `requests:read`; sending, answering, extending and withdrawing need `requests:write`,
`acts_on_requests`). The alerts pushed to an agency's webhooks read as its partner systems do
(`AgencySystems`).

Personal data of an answer is shown to the requesting side only while a clause of an agreement in
force between the two countries lets the requested country share personal data with it, as the
clause stands at the moment of the read (`personal_data_allowed`); the requested side always sees
what it wrote.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, DataSharingClause, in_force_q
from exchange.models import (
    AnswerAttachment,
    Hit,
    InformationRequest,
    RequestAnswer,
    RequestStatus,
    SinglePointOfContact,
)
from incidents.models import Incident
from portal.gate import principal_country_id
from portal.models import Agency, APIScope

REQUESTING, RECEIVING = "requesting", "receiving"


class AgencySystems:
    """The partner systems of one agency as a reader: what its webhook subscriptions are pushed
    of a request is what any of its API keys could read of it (the gate reads it as a key)."""

    is_authenticated = True
    is_active = True
    is_system = True
    api_key = None
    pk = None

    def __init__(self, agency):
        self.agency = agency
        self.agency_id = agency.pk


def is_person(principal):
    """A person signed in, not a partner system (an API key, or an agency's systems as a reader)."""
    return getattr(principal, "api_key", None) is None and not getattr(principal, "is_system", False)


def handles_requests(principal):
    """Liaison officers and supervisors of an agency: the people who send and answer requests."""
    return (
        is_person(principal)
        and principal_country_id(principal) is not None
        and bool(getattr(principal, "is_liaison", False) or getattr(principal, "is_supervisor", False))
    )


def _spoc_agency_ids(country_ids):
    return SinglePointOfContact.objects.filter(country__in=country_ids).values("agency_id")


def requests_visible_to(principal):
    """The one gate of requests: those of the principal's agency, on either side (see above)."""
    country_id = principal_country_id(principal)
    if country_id is None:
        return InformationRequest.objects.none()
    if is_person(principal) and not handles_requests(principal):
        own = Q(requester_id=principal.pk)
    else:
        agency_id = principal.agency_id
        is_spoc = SinglePointOfContact.objects.filter(country_id=country_id, agency_id=agency_id).exists()
        own = Q(requesting_agency_id=agency_id) | Q(routed_to_id=agency_id)
        if is_spoc:
            own |= Q(requesting_country_id=country_id) | Q(requested_country_id=country_id)
        if is_person(principal):
            own |= Q(requester_id=principal.pk)
    # The two countries and no other, whatever else the rows say.
    return InformationRequest.objects.filter(own).filter(
        Q(requesting_country_id=country_id) | Q(requested_country_id=country_id)
    )


def request_get(principal, pk):
    """A visible request; missing and forbidden ones answer alike (404)."""
    try:
        return (
            requests_visible_to(principal)
            .select_related("requesting_country", "requesting_agency", "requested_country", "routed_to", "agreement")
            .get(pk=pk)
        )
    except (InformationRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def request_side(principal, info_request):
    """REQUESTING or RECEIVING: which side of the request the principal's country is on."""
    country_id = principal_country_id(principal)
    if country_id == info_request.requesting_country_id:
        return REQUESTING
    if country_id == info_request.requested_country_id:
        return RECEIVING
    return None


def spoc_agency_id(country_id):
    return SinglePointOfContact.objects.filter(country_id=country_id).values_list("agency_id", flat=True).first()


def receiving_agency_ids(info_request):
    """The agencies that handle the request on the requested side: the SPOC and the routed one."""
    ids = {info_request.routed_to_id}
    spoc = spoc_agency_id(info_request.requested_country_id)
    if spoc is not None:
        ids.add(spoc)
    return ids


def requesting_agency_ids(info_request):
    ids = {info_request.requesting_agency_id}
    spoc = spoc_agency_id(info_request.requesting_country_id)
    if spoc is not None:
        ids.add(spoc)
    return ids


def acts_on_requests(principal):
    """Who sends, answers, extends and withdraws requests: liaison officers and supervisors, and
    the partner systems of an active agency whose key has the scope `requests:write`."""
    if is_person(principal):
        return handles_requests(principal)
    api_key = getattr(principal, "api_key", None)
    return (
        api_key is not None
        and principal_country_id(principal) is not None
        and APIScope.REQUESTS_WRITE in api_key.scopes
    )


def may_receive(principal, info_request):
    """Whether the principal answers, extends and is told about the request (receiving side)."""
    return acts_on_requests(principal) and principal.agency_id in receiving_agency_ids(info_request)


def may_withdraw(principal, info_request):
    """The requesting agency's people and systems who act on requests, and the person who sent it."""
    if acts_on_requests(principal) and principal.agency_id == info_request.requesting_agency_id:
        return True
    return is_person(principal) and principal.pk is not None and principal.pk == info_request.requester_id


def may_route(principal, info_request):
    """The requested country's SPOC routes a request to the agency that holds the information."""
    return handles_requests(principal) and principal.agency_id == spoc_agency_id(info_request.requested_country_id)


def agencies_to_route_to(info_request):
    """The active agencies of the requested country other than the one handling the request."""
    return Agency.objects.filter(country_id=info_request.requested_country_id, is_active=True).exclude(
        pk=info_request.routed_to_id
    )


STATUS_FILTERS = {"open": RequestStatus.open()}


def request_search(principal, *, box="", status="", overdue=False, q="", now=None):
    """The principal's requests, `box` "sent" (its country asked) or "received" (its country was
    asked), by `status` ("open" for every open one), only overdue ones, or matching `q` in the
    reference or the subject."""
    requests = requests_visible_to(principal).select_related("requesting_country", "requested_country", "routed_to")
    country_id = principal_country_id(principal)
    if box == "sent":
        requests = requests.filter(requesting_country_id=country_id)
    elif box == "received":
        requests = requests.filter(requested_country_id=country_id)
    if status in STATUS_FILTERS:
        requests = requests.filter(status__in=STATUS_FILTERS[status])
    elif status:
        requests = requests.filter(status=status)
    if overdue:
        requests = requests.filter(status__in=RequestStatus.open(), due_at__lt=now or timezone.now())
    if q:
        requests = requests.filter(Q(reference__icontains=q) | Q(subject__icontains=q))
    return requests.order_by("-sent_at", "-id")


# --- The clock ---------------------------------------------------------------------------------


def duration_words(delta):
    """A duration in words: days and hours from a day on, hours and minutes below."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
        if hours:
            text += " " + _("%(h)s h") % {"h": hours}
        return text
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


@dataclass(frozen=True)
class Clock:
    """Where a request stands against its time limit, computed at the read."""

    is_open: bool
    due_at: datetime.datetime
    remaining: datetime.timedelta  # negative once overdue
    overdue: bool
    extended: bool
    label: str

    @property
    def state(self):
        if not self.is_open:
            return "closed"
        return "overdue" if self.overdue else "running"


def request_clock(info_request, now=None, *, extended=None):
    """The request's clock at `now`: "due in 5 h 12 min", "overdue by 2 days", or closed.
    `extended`: whether the receiver extended it (looked up when not given)."""
    now = now or timezone.now()
    if extended is None:
        extended = info_request.extensions.exists()
    remaining = info_request.due_at - now
    is_open = info_request.is_open()
    overdue = is_open and remaining < datetime.timedelta(0)
    if not is_open:
        label = info_request.get_status_display()
    elif overdue:
        label = _("overdue by %(span)s") % {"span": duration_words(-remaining)}
    else:
        label = _("due in %(span)s") % {"span": duration_words(remaining)}
    return Clock(is_open, info_request.due_at, remaining, overdue, bool(extended), label)


def with_clocks(requests, now=None):
    """The requests of a list, each with its `clock` (extensions counted in one query)."""
    now = now or timezone.now()
    rows = list(requests)
    extended = set(
        InformationRequest.objects.filter(pk__in=[r.pk for r in rows], extensions__isnull=False).values_list(
            "pk", flat=True
        )
    )
    for row in rows:
        row.clock = request_clock(row, now, extended=row.pk in extended)
    return rows


# --- Legal basis and personal data -------------------------------------------------------------


def agreements_in_force_between(country_a, country_b, at=None):
    """Agreements in force on the day of `at` (status and dates) with both countries as parties:
    the legal bases a request between them may name."""
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    return (
        Agreement.objects.filter(in_force_q(day))
        .filter(parties__country=country_a)
        .filter(parties__country=country_b)
        .distinct()
        .order_by("reference", "-version")
    )


def personal_data_clauses(*, provider, receiver, at=None):
    """Clauses of agreements in force at `at` under which `provider` may give `receiver`
    personal data: the clause's direction covers the pair and it includes personal data. The
    same rule of time as the sharing engine's (`agreements.selectors.clauses_allowing`)."""
    provider, receiver = getattr(provider, "pk", provider), getattr(receiver, "pk", receiver)
    if provider == receiver:
        return []
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    clauses = (
        DataSharingClause.objects.filter(in_force_q(day, prefix="agreement__"), personal_data=True)
        .filter(agreement__parties__country=provider)
        .filter(agreement__parties__country=receiver)
        .select_related("agreement")
        .prefetch_related("agreement__parties")
        .distinct()
    )
    return [
        clause
        for clause in clauses
        if (provider, receiver) in clause.direction_ids([party.country_id for party in clause.agreement.parties.all()])
    ]


def personal_data_allowed(info_request, at=None):
    """Whether an answer to the request may carry personal data to the requesting country now."""
    return bool(
        personal_data_clauses(
            provider=info_request.requested_country_id, receiver=info_request.requesting_country_id, at=at
        )
    )


@dataclass(frozen=True)
class AnswerSeen:
    answer: RequestAnswer
    personal_data: str  # blank when withheld
    withheld: bool  # personal data exists and the reader may not see it now
    attachments: list


def answers_seen_by(principal, info_request, at=None):
    """The answers as the principal sees them: on the requesting side, personal data (text and
    attachments that show or name a person) only while a clause allows it at `at`."""
    own = request_side(principal, info_request) == RECEIVING
    allowed = own or personal_data_allowed(info_request, at=at)
    seen = []
    for answer in info_request.answers.prefetch_related("attachments"):
        attachments = [a for a in answer.attachments.all() if allowed or not a.personal_data]
        has_personal = bool(answer.personal_data) or any(a.personal_data for a in answer.attachments.all())
        seen.append(
            AnswerSeen(
                answer=answer,
                personal_data=answer.personal_data if allowed else "",
                withheld=has_personal and not allowed,
                attachments=attachments,
            )
        )
    return seen


def attachment_get(principal, info_request, attachment_pk, at=None):
    """An attachment of the request's answers the principal may download, or 404."""
    attachments = AnswerAttachment.objects.filter(answer__request=info_request)
    if request_side(principal, info_request) != RECEIVING and not personal_data_allowed(info_request, at=at):
        attachments = attachments.filter(personal_data=False)
    try:
        return attachments.get(pk=attachment_pk)
    except (AnswerAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def linked_incidents_seen_by(principal, info_request):
    """The linked incidents: (reference, id or None), the id only where the principal may open it."""
    linked = list(info_request.linked_incidents.values_list("pk", "reference"))
    visible = set(
        Incident.objects.visible_to(principal).filter(pk__in=[pk for pk, _ref in linked]).values_list("pk", flat=True)
    )
    return [(reference, pk if pk in visible else None) for pk, reference in linked]


def hit_of_own_country(principal, hit_id):
    """A hit of a check made by the principal's country, or None: a request may start from it."""
    country_id = principal_country_id(principal)
    if country_id is None or not str(hit_id or "").isdigit():
        return None
    return Hit.objects.filter(pk=int(hit_id), search__searching_country_id=country_id).first()


# --- Single points of contact ------------------------------------------------------------------


def spocs_visible_to(principal):
    """Every country's SPOC: contact details every signed-in user of the portal may read."""
    if principal_country_id(principal) is None:
        return SinglePointOfContact.objects.none()
    return SinglePointOfContact.objects.select_related("country", "agency").order_by("country__name")


def spoc_of(country_id):
    """The SPOC of a country, or None (public contact details, like the list)."""
    return SinglePointOfContact.objects.select_related("agency").filter(country_id=country_id).first()


def may_set_spoc(principal):
    """Agency administrators and liaison officers set their own country's SPOC."""
    return (
        is_person(principal)
        and principal_country_id(principal) is not None
        and bool(getattr(principal, "is_agency_admin", False) or getattr(principal, "is_liaison", False))
    )


# --- Dashboard ---------------------------------------------------------------------------------


def dashboard_panel(user, now=None):
    """The dashboard's card: open requests received, with their clocks, and how many are overdue."""
    if not handles_requests(user):
        return None
    now = now or timezone.now()
    received = request_search(user, box="received", status="open")
    overdue = received.filter(due_at__lt=now).count()
    rows = with_clocks(received.order_by("due_at", "id")[:8], now)
    sent_open = request_search(user, box="sent", status="open").count()
    return {"received": rows, "received_count": received.count(), "overdue": overdue, "sent_open": sent_open}
