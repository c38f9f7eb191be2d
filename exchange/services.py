"""Writes of information exchange on request (Directive (EU) 2023/977): single points of
contact, requests for information, their routing, extensions, answers and withdrawal, and the
sweep that reminds and escalates as time limits near and pass.

Each service checks who acts and the request's state, writes the audit log and tells the other
side: its people by notification, its partner systems by an alert written in the same
transaction (`exchange.request_alerts`: received, answered, extended, withdrawn, and the
reminder that an answer is due soon). People act by their roles, partner systems by the scope
`requests:write` of their key (`selectors.acts_on_requests`); only people route. `http_request`
is the page's (or the API call's) request, for the audit log (`request` is the request for
information). Deadline reminders: the receiving side is reminded once when less than a quarter
of the legal time limit is left before the answer is due (2 hours of 8, 18 hours of 3 days, 42
hours of 7 days); once the request is overdue, the receiving agencies' supervisors and the
requesting side are told once. An extension starts both again for the new time limit.
"""

import datetime

import pycountry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import RequestEvent
from exchange import request_alerts, selectors
from exchange.models import (
    AnswerAttachment,
    AnswerKind,
    InformationRequest,
    LegalBasis,
    RefusalGround,
    RequestAnswer,
    RequestExtension,
    RequestIdentifier,
    RequestStatus,
    SinglePointOfContact,
    time_limit,
)
from incidents import identifiers as incident_identifiers
from incidents import uploads
from incidents.models import Incident
from portal import audit
from portal.files import safe_display_name, sha256_of
from portal.models import Country, User

# How many files one answer carries at most.
MAX_ATTACHMENTS = 10
# The reminder goes out when this share of the legal time limit is left.
REMINDER_SHARE = 0.25


def _label(actor):
    return actor.get_username()


def _user(actor):
    """The person behind an action, or None for a partner system (its label names the key)."""
    return actor if selectors.is_person(actor) else None


def _detail_url(info_request):
    return reverse("exchange:request_detail", args=[info_request.pk])


def _people(agency_ids, *, supervisors_only=False):
    people = User.objects.filter(agency_id__in=agency_ids, is_active=True)
    if supervisors_only:
        return list(people.filter(is_supervisor=True))
    return list(people.filter(Q(is_liaison=True) | Q(is_supervisor=True)))


def _tell_receiving(info_request, title, body="", *, supervisors_only=False):
    from portal.services import notify

    agency_ids = selectors.receiving_agency_ids(info_request)
    notify(
        users=_people(agency_ids, supervisors_only=supervisors_only),
        title=title,
        body=body,
        url=_detail_url(info_request),
    )


def _tell_requesting(info_request, title, body=""):
    from portal.services import notify

    users = _people([info_request.requesting_agency_id])
    if info_request.requester_id:
        users.append(info_request.requester)
    notify(users=users, title=title, body=body, url=_detail_url(info_request))


# --- Single points of contact ------------------------------------------------------------------


@transaction.atomic
def spoc_set(
    *,
    actor,
    agency,
    desk="",
    languages=(),
    always_open=True,
    hours="",
    email="",
    phone="",
    http_request=None,
):
    """Name (or change) the actor's country's SPOC: one of its active agencies, the desk that
    answers, its working languages (ISO 639-1 codes), when it is staffed, and how to reach it.
    Agency administrators and liaison officers of the country set it. Requests already routed
    stay with the agency that handles them."""
    if not selectors.may_set_spoc(actor):
        raise PermissionDenied(_("Only agency administrators and liaison officers set the single point of contact."))
    country_id = actor.agency.country_id
    errors = {}
    if agency is None or agency.country_id != country_id or not agency.is_active:
        errors["agency"] = _("Choose an active agency of your country.")
    codes = []
    for code in languages:
        code = (code or "").strip().lower()
        if not code:
            continue
        if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
            errors["languages"] = _("%(code)s is not a language code (ISO 639-1, such as en, lt, pl).") % {"code": code}
            break
        if code not in codes:
            codes.append(code)
    if not codes and "languages" not in errors:
        errors["languages"] = _("Give at least one working language.")
    if not always_open and not hours.strip():
        errors["hours"] = _("Say when it is staffed, or tick that it is staffed around the clock.")
    if not email.strip() and not phone.strip():
        errors["email"] = _("Give an e-mail address or a telephone number.")
    if errors:
        raise ValidationError(errors)
    spoc, created = SinglePointOfContact.objects.select_for_update().update_or_create(
        country_id=country_id,
        defaults={
            "agency": agency,
            "desk": desk.strip(),
            "languages": codes,
            "always_open": bool(always_open),
            "hours": "" if always_open else hours.strip(),
            "email": email.strip(),
            "phone": phone.strip(),
            "updated_at": timezone.now(),
        },
    )
    audit.record(
        "exchange.spoc_set",
        actor=actor,
        obj=spoc,
        request=http_request,
        details={"country": country_id, "agency": agency.code, "created": created},
    )
    return spoc


# --- Requests ----------------------------------------------------------------------------------


def _next_reference(country, year):
    """RFI-<country>-<year>-<number>, numbered per requesting country and year. The country's
    row is locked while numbering, so two requests of one country never take the same number."""
    Country.objects.select_for_update().filter(pk=country.pk).first()
    prefix = f"RFI-{country.pk}-{year}-"
    last = (
        InformationRequest.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _check_sender(actor):
    if not selectors.acts_on_requests(actor):
        raise PermissionDenied(_("Only liaison officers and supervisors send requests for information."))
    if not actor.agency.is_active:
        raise PermissionDenied(_("Your account belongs to no active agency."))


def _linked(actor, linked_incidents):
    """The incidents to link, each one the actor may see; any other is refused alike, missing or
    not, so that the refusal reveals nothing."""
    ids = []
    for incident in linked_incidents or ():
        pk = getattr(incident, "pk", incident)
        if pk not in ids:
            ids.append(pk)
    if not ids:
        return []
    try:
        visible = list(Incident.objects.visible_to(actor).filter(pk__in=ids))
    except (ValueError, TypeError):
        visible = []
    if len(visible) != len(ids):
        raise ValidationError({"linked_incidents": _("Link only incidents you may see.")})
    return visible


@transaction.atomic
def request_send(
    *,
    actor,
    requested_country,
    subject,
    sought,
    purpose,
    identifiers=(),
    linked_incidents=(),
    legal_basis=LegalBasis.DIRECTIVE,
    agreement=None,
    urgent=False,
    directly_accessible=True,
    hit=None,
    http_request=None,
):
    """Send a request for information to the SPOC of `requested_country`.

    `identifiers`: mappings of kind, value and country, read as the incidents' identifiers are
    (`incidents.identifiers.parse`, errors naming each wrong entry). `linked_incidents`: incidents
    (or ids) the actor may see. `legal_basis`: an agreement in force today between the two
    countries (`agreement`), or the directive itself. `hit`: the hit of a check by the actor's
    country the request follows. The answer is due `time_limit(urgent, directly_accessible)` after
    sending; the SPOC agency's liaison officers and supervisors are told."""
    _check_sender(actor)
    own = actor.agency.country
    errors = {}
    if requested_country is None or requested_country.pk == own.pk:
        raise ValidationError({"requested_country": _("Choose another country than your own.")})
    spoc = SinglePointOfContact.objects.filter(country=requested_country).select_related("agency").first()
    if spoc is None or not spoc.agency.is_active:
        raise ValidationError(
            {
                "requested_country": _(
                    "%(country)s has named no single point of contact yet: requests cannot be sent there."
                )
                % {"country": requested_country}
            }
        )
    for name, value in (("subject", subject), ("sought", sought), ("purpose", purpose)):
        if not (value or "").strip():
            errors[name] = _("This field is required.")
    if len((subject or "").strip()) > 200:
        errors["subject"] = _("Keep the subject to 200 characters.")
    if legal_basis == LegalBasis.AGREEMENT:
        in_force = selectors.agreements_in_force_between(own, requested_country)
        if agreement is None or not in_force.filter(pk=agreement.pk).exists():
            errors["agreement"] = _("Choose an agreement in force today between your country and %(country)s.") % {
                "country": requested_country
            }
    elif legal_basis == LegalBasis.DIRECTIVE:
        agreement = None
    else:
        errors["legal_basis"] = _("Choose the legal basis.")
    if hit is not None and hit.search.searching_country_id != own.pk:
        errors["hit"] = _("This hit is not from a check of your country.")
    elif hit is not None and requested_country is not None and hit.holder_country_id != requested_country.pk:
        # A request follows a hit to its holder only: another country never learns the reference.
        errors["hit"] = _("This hit is on the data of another country than the one you ask.")
    # Every wrong field at once: the identifiers and the links are checked with the rest.
    wanted, incidents = [], []
    try:
        wanted = incident_identifiers.parse(identifiers or (), region=own.pk)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        incidents = _linked(actor, linked_incidents)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    info_request = InformationRequest.objects.create(
        reference=_next_reference(own, now.year),
        requesting_country=own,
        requesting_agency=actor.agency,
        requester=_user(actor),
        requester_label=_label(actor),
        requested_country=requested_country,
        routed_to=spoc.agency,
        subject=subject.strip(),
        sought=sought.strip(),
        purpose=purpose.strip(),
        legal_basis=legal_basis,
        agreement=agreement,
        urgent=bool(urgent),
        directly_accessible=bool(directly_accessible),
        hit=hit,
        sent_at=now,
        due_at=now + time_limit(urgent=bool(urgent), directly_accessible=bool(directly_accessible)),
    )
    RequestIdentifier.objects.bulk_create(
        RequestIdentifier(request=info_request, kind=i.kind, value=i.value, country_id=i.country_id) for i in wanted
    )
    if incidents:
        info_request.linked_incidents.set(incidents)
    kinds: dict[str, int] = {}
    for identifier in wanted:
        kinds[identifier.kind] = kinds.get(identifier.kind, 0) + 1
    audit.record(
        "exchange.request_sent",
        actor=actor,
        obj=info_request,
        request=http_request,
        details={
            "requested_country": requested_country.pk,
            "routed_to": spoc.agency.code,
            "urgent": info_request.urgent,
            "directly_accessible": info_request.directly_accessible,
            "legal_basis": legal_basis,
            "agreement": agreement.pk if agreement else None,
            "due_at": info_request.due_at.isoformat(),
            "identifiers": dict(sorted(kinds.items())),
            "linked_incidents": [i.pk for i in incidents],
            "hit": hit.pk if hit else None,
        },
    )
    _tell_receiving(
        info_request,
        _("Request for information %(ref)s from %(country)s") % {"ref": info_request.reference, "country": own},
        _("Answer due %(due)s.") % {"due": timezone.localtime(info_request.due_at).strftime("%Y-%m-%d %H:%M")},
    )
    request_alerts.announce(info_request, RequestEvent.RECEIVED, now=now)
    return info_request


def _locked(info_request):
    return InformationRequest.objects.select_for_update().get(pk=info_request.pk)


def _check_open(info_request):
    if not info_request.is_open():
        raise ValidationError(_("This request is closed."))


@transaction.atomic
def request_route(*, request, actor, agency, reason="", http_request=None):
    """The requested country's SPOC hands the request to the agency of its country that holds the
    information; that agency's liaison officers and supervisors handle it from then on (the SPOC
    keeps seeing it)."""
    info_request = _locked(request)
    if not selectors.is_person(actor) or not selectors.may_route(actor, info_request):
        raise PermissionDenied(_("Only the single point of contact routes a request."))
    _check_open(info_request)
    if agency is None or agency.country_id != info_request.requested_country_id or not agency.is_active:
        raise ValidationError({"agency": _("Choose an active agency of your country.")})
    if agency.pk == info_request.routed_to_id:
        raise ValidationError({"agency": _("The request is already with this agency.")})
    previous = info_request.routed_to
    info_request.routed_to = agency
    info_request.save(update_fields=["routed_to"])
    audit.record(
        "exchange.request_routed",
        actor=actor,
        obj=info_request,
        request=http_request,
        details={"from_agency": previous.code, "to_agency": agency.code, "reason": reason.strip()},
    )
    from portal.services import notify

    notify(
        users=_people([agency.pk]),
        title=_("Request for information %(ref)s routed to your agency") % {"ref": info_request.reference},
        body=reason.strip(),
        url=_detail_url(info_request),
    )
    return info_request


@transaction.atomic
def request_extend(*, request, actor, due_at, reason, http_request=None):
    """The receiving side asks for more time: a later time limit and the reason, kept as a
    `RequestExtension`. The reminder and the escalation start again for the new limit."""
    info_request = _locked(request)
    if not selectors.may_receive(actor, info_request):
        raise PermissionDenied(_("Only the receiving side extends the time limit."))
    _check_open(info_request)
    errors = {}
    if due_at is None or due_at <= info_request.due_at:
        errors["due_at"] = _("The new time limit must be later than the current one (%(due)s).") % {
            "due": timezone.localtime(info_request.due_at).strftime("%Y-%m-%d %H:%M")
        }
    elif due_at <= timezone.now():
        errors["due_at"] = _("The new time limit must be in the future.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why more time is needed.")
    if errors:
        raise ValidationError(errors)
    extension = RequestExtension.objects.create(
        request=info_request,
        previous_due_at=info_request.due_at,
        due_at=due_at,
        reason=reason.strip(),
        asked_by=_user(actor),
        asked_by_label=_label(actor),
        asked_at=timezone.now(),
    )
    info_request.due_at = due_at
    info_request.reminded_at = info_request.escalated_at = None
    info_request.save(update_fields=["due_at", "reminded_at", "escalated_at"])
    audit.record(
        "exchange.request_extended",
        actor=actor,
        obj=info_request,
        request=http_request,
        details={
            "previous_due_at": extension.previous_due_at.isoformat(),
            "due_at": due_at.isoformat(),
            "reason": extension.reason,
        },
    )
    _tell_requesting(
        info_request,
        _("More time asked for %(ref)s") % {"ref": info_request.reference},
        _("New time limit %(due)s: %(reason)s")
        % {"due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"), "reason": extension.reason},
    )
    request_alerts.announce(
        info_request, RequestEvent.EXTENDED, previous_due_at=extension.previous_due_at, now=extension.asked_at
    )
    return extension


def _attachments(entries):
    """(upload, personal_data) pairs, checked as incident attachments are: size, a type read
    from the content (photos re-encoded without their metadata). A bare upload counts as showing
    or naming a person."""
    pairs = []
    for entry in entries or ():
        upload, personal = entry if isinstance(entry, tuple | list) else (entry, True)
        pairs.append((upload, bool(personal)))
    if len(pairs) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": _("An answer carries at most %(n)s files.") % {"n": MAX_ATTACHMENTS}})
    limit = settings.INCIDENT_ATTACHMENT_MAX_BYTES
    checked = []
    for upload, personal in pairs:
        name = safe_display_name(upload.name)
        if upload.size > limit:
            raise ValidationError(
                {"attachments": _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": limit // (1024 * 1024)}}
            )
        if upload.size == 0:
            raise ValidationError({"attachments": _("%(name)s is empty.") % {"name": name}})
        found = uploads.inspect(upload)
        if found is None:
            raise ValidationError(
                {
                    "attachments": _("%(name)s: only photos (JPEG, PNG) and PDF, DOCX or ODT documents are accepted.")
                    % {"name": name}
                }
            )
        extension, content_type, is_photo = found
        try:
            content = uploads.strip_photo(upload, "JPEG" if extension == "jpg" else "PNG") if is_photo else upload
        except ValueError as exc:
            raise ValidationError({"attachments": _("%(name)s: the picture is too large.") % {"name": name}}) from exc
        checked.append((content, name, extension, content_type, personal))
    return checked


@transaction.atomic
def request_answer(
    *,
    request,
    actor,
    kind,
    text="",
    follows="",
    follows_by=None,
    refusal_ground="",
    refusal_text="",
    personal_data="",
    attachments=(),
    http_request=None,
):
    """The receiving side answers. A full answer closes the request (answered), a refusal closes
    it (refused, on one of the grounds of Article 6 and with the reasons), a partial answer says
    what follows and by when and leaves it open for more answers. Personal data (the text, or an
    attachment that shows or names a person) only where a clause in force now lets the requested
    country give personal data to the requesting one. `attachments`: uploads, or (upload,
    personal_data) pairs."""
    info_request = _locked(request)
    if not selectors.may_receive(actor, info_request):
        raise PermissionDenied(_("Only the receiving side answers a request."))
    _check_open(info_request)
    text, follows, refusal_text = (text or "").strip(), (follows or "").strip(), (refusal_text or "").strip()
    personal_data = (personal_data or "").strip()
    errors = {}
    if kind not in AnswerKind.values:
        raise ValidationError({"kind": _("Choose the kind of answer.")})
    files = _attachments(attachments)
    if kind == AnswerKind.REFUSAL:
        if refusal_ground not in RefusalGround.values:
            errors["refusal_ground"] = _("Choose one of the grounds for refusal of the directive.")
        if not refusal_text:
            errors["refusal_text"] = _("Give the reasons for the refusal.")
        if personal_data:
            errors["personal_data"] = _("A refusal carries no personal data.")
    else:
        refusal_ground = refusal_text = ""
        if not text and not personal_data and not files:
            errors["text"] = _("Give the information provided.")
    if kind == AnswerKind.PARTIAL:
        if not follows:
            errors["follows"] = _("Say what follows.")
        if follows_by is None:
            errors["follows_by"] = _("Say by when the rest follows.")
        elif follows_by <= timezone.now():
            errors["follows_by"] = _("The rest follows at a time still to come.")
    else:
        follows, follows_by = "", None
    carries_personal = bool(personal_data) or any(f[4] for f in files)
    if carries_personal and not selectors.personal_data_allowed(info_request):
        errors["personal_data"] = _(
            "No agreement in force lets %(provider)s give personal data to %(receiver)s: leave the personal "
            "data out (and mark no file as showing or naming a person)."
        ) % {"provider": info_request.requested_country, "receiver": info_request.requesting_country}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    answer = RequestAnswer.objects.create(
        request=info_request,
        kind=kind,
        text=text,
        follows=follows,
        follows_by=follows_by,
        refusal_ground=refusal_ground,
        refusal_text=refusal_text,
        personal_data=personal_data,
        answered_by=_user(actor),
        answered_by_label=_label(actor),
        answered_at=now,
    )
    stored = []
    for content, name, extension, content_type, personal in files:
        attachment = AnswerAttachment(
            answer=answer,
            original_name=name,
            content_type=content_type,
            size=content.size,
            sha256=sha256_of(content),
            personal_data=personal,
            uploaded_at=now,
        )
        attachment.file.save(f"upload.{extension}", content, save=False)
        attachment.save()
        stored.append(attachment)
    status = {
        AnswerKind.FULL: RequestStatus.ANSWERED,
        AnswerKind.REFUSAL: RequestStatus.REFUSED,
        AnswerKind.PARTIAL: RequestStatus.PARTIAL,
    }[AnswerKind(kind)]
    info_request.status = status
    info_request.closed_at = now if status not in RequestStatus.open() else None
    info_request.save(update_fields=["status", "closed_at"])
    audit.record(
        "exchange.request_answered",
        actor=actor,
        obj=info_request,
        request=http_request,
        details={
            "answer": answer.pk,
            "kind": kind,
            "refusal_ground": refusal_ground,
            "personal_data": bool(personal_data),
            "attachments": [{"id": a.pk, "sha256": a.sha256, "personal_data": a.personal_data} for a in stored],
            "on_time": now <= info_request.due_at,
        },
    )
    titles = {
        AnswerKind.FULL: _("%(ref)s was answered"),
        AnswerKind.PARTIAL: _("%(ref)s was partly answered"),
        AnswerKind.REFUSAL: _("%(ref)s was refused"),
    }
    _tell_requesting(info_request, titles[AnswerKind(kind)] % {"ref": info_request.reference})
    request_alerts.announce(info_request, RequestEvent.ANSWERED, answer=answer, now=now)
    return answer


@transaction.atomic
def request_withdraw(*, request, actor, reason="", http_request=None):
    """The requesting agency (or the person who sent it) withdraws an open request."""
    info_request = _locked(request)
    if not selectors.may_withdraw(actor, info_request):
        raise PermissionDenied(_("Only the requesting agency withdraws a request."))
    _check_open(info_request)
    info_request.status = RequestStatus.WITHDRAWN
    info_request.closed_at = timezone.now()
    info_request.save(update_fields=["status", "closed_at"])
    audit.record(
        "exchange.request_withdrawn",
        actor=actor,
        obj=info_request,
        request=http_request,
        details={"reason": (reason or "").strip()},
    )
    _tell_receiving(info_request, _("%(ref)s was withdrawn") % {"ref": info_request.reference}, (reason or "").strip())
    request_alerts.announce(info_request, RequestEvent.WITHDRAWN, now=info_request.closed_at)
    return info_request


def request_read_record(*, actor, request, action="exchange.request_viewed", http_request=None):
    """A read of a request by the other country than the one whose data is read: the requested
    country reading the request, the requesting country reading the answers (their text, a
    file). Written against the request, so both sides see who read it."""
    country_id = getattr(getattr(actor, "agency", None), "country_id", None)
    if action == "exchange.request_viewed":
        foreign = country_id == request.requested_country_id
    else:
        foreign = country_id == request.requesting_country_id
    if foreign:
        audit.record(action, actor=actor, obj=request, request=http_request, details={"country": country_id})


# --- Deadlines ---------------------------------------------------------------------------------


def reminder_due_at(info_request):
    """When the receiving side is reminded: a quarter of the legal time limit before it is due."""
    return info_request.due_at - datetime.timedelta(seconds=time_limit_seconds(info_request) * REMINDER_SHARE)


def time_limit_seconds(info_request):
    return info_request.time_limit.total_seconds()


def requests_sweep_deadlines(now=None):
    """Beat, tidy-up only (pages compute the clock at the read): remind the receiving side once
    when a quarter of the time limit is left (its people by notification, its partner systems by
    a `request.deadline_approaching` alert), and once overdue, tell the receiving agencies'
    supervisors and the requesting side. Each request is claimed by a conditional UPDATE of
    `reminded_at` / `escalated_at`, so two sweeps never tell twice. Returns (reminded, escalated)."""
    now = now or timezone.now()
    open_requests = InformationRequest.objects.filter(status__in=RequestStatus.open())
    reminded = escalated = 0
    for info_request in open_requests.filter(reminded_at__isnull=True, due_at__gt=now).iterator():
        if reminder_due_at(info_request) <= now and _remind(info_request.pk, now):
            reminded += 1
    for pk in open_requests.filter(escalated_at__isnull=True, due_at__lt=now).values_list("pk", flat=True):
        if _escalate(pk, now):
            escalated += 1
    return reminded, escalated


@transaction.atomic
def _remind(pk, now):
    # Still open: a request answered or withdrawn since the sweep read it is due no more.
    claimed = InformationRequest.objects.filter(pk=pk, reminded_at__isnull=True, status__in=RequestStatus.open())
    if not claimed.update(reminded_at=now):
        return False
    info_request = InformationRequest.objects.select_related("requested_country").get(pk=pk)
    audit.record("exchange.request_reminded", obj=info_request, details={"due_at": info_request.due_at.isoformat()})
    _tell_receiving(
        info_request,
        _("%(ref)s is due soon") % {"ref": info_request.reference},
        _("The answer is due %(due)s.") % {"due": timezone.localtime(info_request.due_at).strftime("%Y-%m-%d %H:%M")},
    )
    request_alerts.announce(info_request, RequestEvent.DEADLINE_APPROACHING, now=now)
    return True


@transaction.atomic
def _escalate(pk, now):
    if not InformationRequest.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
        return False
    info_request = InformationRequest.objects.get(pk=pk)
    audit.record("exchange.request_escalated", obj=info_request, details={"due_at": info_request.due_at.isoformat()})
    title = _("%(ref)s is overdue") % {"ref": info_request.reference}
    body = _("The answer was due %(due)s.") % {
        "due": timezone.localtime(info_request.due_at).strftime("%Y-%m-%d %H:%M")
    }
    _tell_receiving(info_request, title, body, supervisors_only=True)
    _tell_requesting(info_request, title, body)
    return True
