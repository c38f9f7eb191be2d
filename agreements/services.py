"""Writes of agreements: lifecycle, parties, clauses, documents, disputes and reminders.

Every service checks who acts and what state the agreement is in, and writes the audit log.
A change that can alter what partners may see (status, dates, renewal) is announced inside its
transaction (`agreement_sharing_changed`): the sharing engine narrows what it must before the
change commits, and queues the rest in its outbox. Lifecycle changes are also announced on
commit (`agreement_status_changed`), for listeners that only react.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import (
    CONTENT_EDITABLE,
    FINAL_STATES,
    Agreement,
    AgreementDocument,
    AgreementEvent,
    AgreementParty,
    AgreementStatus,
    DataSharingClause,
    Dispute,
    DisputeMessage,
    DisputeStatus,
    DocumentKind,
    DocumentVersion,
    ReminderSent,
)
from agreements.uploads import detect_document_type
from portal import audit, gate
from portal.choices import TLP, IdentifierKind, IncidentCategory
from portal.files import safe_display_name, sha256_of
from portal.services import notify

# Sent on commit after every change of an agreement's status: agreement_id, old, new.
agreement_status_changed = Signal()
# Sent inside the transaction of any change that can alter sharing: agreement_id. Listeners
# work in that transaction; an exception rolls the change back.
agreement_sharing_changed = Signal()

# Fields whose change alters when an agreement in force stops being in force.
SHARING_DATES = {"expires_on", "auto_renewal", "renewal_months", "effective_from"}
# Sent inside the upload's transaction when a document gets a new version: version, actor, request.
# Corrective actions of exercises that wait for a new SOP version are closed by it.
document_version_added = Signal()

S = AgreementStatus
TRANSITIONS = {
    S.DRAFT: {S.NEGOTIATION},
    S.NEGOTIATION: {S.SIGNED},
    S.SIGNED: {S.IN_FORCE},
    S.IN_FORCE: {S.SUSPENDED, S.EXPIRED, S.TERMINATED},
    S.SUSPENDED: {S.IN_FORCE, S.EXPIRED, S.TERMINATED},
    S.EXPIRED: set(),
    S.TERMINATED: set(),
}
NEEDS_REASON = {S.SUSPENDED, S.TERMINATED}


def _today():
    return timezone.localdate()


# --- Who may write ----------------------------------------------------------------------------


def can_edit(user, agreement):
    """Liaison officers of a party's country edit; everyone else who may see it only reads."""
    return (
        getattr(user, "is_liaison", False)
        and user.agency_id is not None
        and agreement.parties.filter(country_id=user.agency.country_id).exists()
    )


def _require_editor(user, agreement):
    if not can_edit(user, agreement):
        raise PermissionDenied(_("Only liaison officers of a party may change this agreement."))


def _require_content_editable(agreement):
    if agreement.status not in CONTENT_EDITABLE:
        raise ValidationError(
            _("The agreement is %(status)s: its text and clauses can no longer change. Amend it instead.")
            % {"status": agreement.get_status_display().lower()}
        )


# --- Agreements -------------------------------------------------------------------------------


def _validate_parties(parties, actor):
    """`parties`: list of (agency, liaison officers). Two or more countries, one agency each."""
    countries = [agency.country_id for agency, _liaisons in parties]
    if len(set(countries)) < 2:
        raise ValidationError({"parties": _("An agreement needs parties from at least two countries.")})
    if len(set(countries)) != len(countries):
        raise ValidationError({"parties": _("Each country is represented by one agency only.")})
    if actor.agency.country_id not in countries:
        raise ValidationError({"parties": _("Your own country must be one of the parties.")})
    for agency, liaisons in parties:
        for person in liaisons:
            if person.agency_id != agency.pk or not person.is_liaison:
                raise ValidationError(
                    {
                        "liaison_officers": _("%(name)s is not a liaison officer of %(agency)s.")
                        % {"name": person.get_full_name() or person.username, "agency": agency.code}
                    }
                )


def _set_parties(agreement, parties, actor=None):
    keep = []
    for agency, liaisons in parties:
        party, _created = AgreementParty.objects.update_or_create(
            agreement=agreement, country=agency.country, defaults={"agency": agency}
        )
        party.liaison_officers.set(liaisons)
        keep.append(party.pk)
    agreement.parties.exclude(pk__in=keep).delete()
    # Clauses may only name parties: those naming a party that left go, and the log says so.
    countries = [agency.country for agency, _l in parties]
    orphans = agreement.clauses.exclude(provider__isnull=True).exclude(provider__in=countries) | (
        agreement.clauses.exclude(receiver__isnull=True).exclude(receiver__in=countries)
    )
    for clause in orphans.distinct():
        audit.record(
            "clause.deleted", actor=actor, obj=clause, details={"agreement": agreement.pk, "reason": "party removed"}
        )
        clause.delete()
    gate.share_with_countries(agreement, countries)


def _validate_dates(agreement):
    errors = {}
    if agreement.signed_on and agreement.signed_on > _today():
        errors["signed_on"] = _("The signature date cannot be in the future.")
    if agreement.effective_from and agreement.signed_on and agreement.effective_from < agreement.signed_on:
        errors["effective_from"] = _("An agreement cannot take effect before it is signed.")
    if agreement.expires_on and agreement.effective_from and agreement.expires_on <= agreement.effective_from:
        errors["expires_on"] = _("The expiry date must come after the effective date.")
    if agreement.auto_renewal and not agreement.renewal_months:
        errors["renewal_months"] = _("Give the length of each automatic renewal.")
    if agreement.auto_renewal and not agreement.expires_on:
        errors["auto_renewal"] = _("Only an agreement with an expiry date can renew automatically.")
    if errors:
        raise ValidationError(errors)


AGREEMENT_FIELDS = (
    "kind",
    "reference",
    "title",
    "summary",
    "languages",
    "signed_on",
    "effective_from",
    "expires_on",
    "notice_period_days",
    "auto_renewal",
    "renewal_months",
)


@transaction.atomic
def agreement_create(*, parties, actor, request=None, **fields):
    if not getattr(actor, "is_liaison", False) or not actor.agency_id or not actor.agency.is_active:
        raise PermissionDenied(_("Only liaison officers create agreements."))
    _validate_parties(parties, actor)
    agreement = Agreement(created_by=actor, **{k: v for k, v in fields.items() if k in AGREEMENT_FIELDS})
    _validate_dates(agreement)
    if Agreement.objects.filter(reference=agreement.reference, version=agreement.version).exists():
        raise ValidationError({"reference": _("An agreement with this reference number already exists.")})
    agreement.full_clean(exclude=["created_by"])
    agreement.save()
    _set_parties(agreement, parties)
    AgreementEvent.objects.create(agreement=agreement, to_status=agreement.status, kind="created", actor=actor)
    audit.record("agreement.created", actor=actor, obj=agreement, request=request)
    return agreement


@transaction.atomic
def agreement_update(*, agreement, actor, parties=None, request=None, **fields):
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_editor(actor, agreement)
    if agreement.status in FINAL_STATES:
        raise ValidationError(_("An expired or terminated agreement cannot change."))
    content_fields = {"kind", "reference", "title", "summary", "languages"}
    changed = {k: v for k, v in fields.items() if k in AGREEMENT_FIELDS and getattr(agreement, k) != v}
    if (set(changed) & content_fields or parties is not None) and agreement.status not in CONTENT_EDITABLE:
        _require_content_editable(agreement)
    if agreement.status in {S.IN_FORCE, S.SUSPENDED} and set(changed) - {
        "expires_on",
        "notice_period_days",
        "auto_renewal",
        "renewal_months",
    }:
        _require_content_editable(agreement)
    for key, value in changed.items():
        setattr(agreement, key, value)
    _validate_dates(agreement)
    agreement.full_clean(exclude=["created_by", "supersedes"])
    agreement.save()
    if parties is not None:
        _validate_parties(parties, actor)
        _set_parties(agreement, parties, actor)
    audit.record(
        "agreement.updated",
        actor=actor,
        obj=agreement,
        request=request,
        details={"fields": sorted(changed), "parties": parties is not None},
    )
    if set(changed) & SHARING_DATES:
        agreement_sharing_changed.send(sender=Agreement, agreement_id=agreement.pk)
    return agreement


def _check_transition(agreement, to_status, reason, today):
    if to_status not in TRANSITIONS[S(agreement.status)]:
        raise ValidationError(
            _("An agreement that is %(from)s cannot become %(to)s.")
            % {"from": agreement.get_status_display().lower(), "to": S(to_status).label.lower()}
        )
    problems = []
    if to_status in NEEDS_REASON and not reason.strip():
        problems.append(_("Give the reason."))
    if to_status == S.SIGNED:
        if not agreement.signed_on:
            problems.append(_("Enter the date of signature."))
        if agreement.parties.count() < 2:
            problems.append(_("An agreement needs at least two parties."))
    if to_status == S.IN_FORCE:
        if not agreement.signed_on:
            problems.append(_("Enter the date of signature."))
        if not agreement.effective_from:
            problems.append(_("Enter the date from which it is effective."))
        elif agreement.effective_from > today:
            problems.append(_("It takes effect only on %(date)s.") % {"date": agreement.effective_from})
        if agreement.expires_on and agreement.expires_on < today:
            problems.append(_("It expired on %(date)s.") % {"date": agreement.expires_on})
        if not DocumentVersion.objects.filter(
            document__agreement=agreement, document__kind=DocumentKind.SIGNED
        ).exists():
            problems.append(_("Upload the signed text first."))
    if to_status == S.EXPIRED and (not agreement.expires_on or agreement.expires_on >= today):
        problems.append(_("It has not reached its expiry date."))
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def agreement_transition(
    *,
    agreement,
    to_status,
    actor,
    reason="",
    signed_on=None,
    effective_from=None,
    request=None,
    system=False,
    today=None,
):
    """Move an agreement along its lifecycle; `system` is the daily task (no liaison officer),
    which passes the day it runs for."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if not system:
        _require_editor(actor, agreement)
    if signed_on is not None:
        agreement.signed_on = signed_on
    if effective_from is not None:
        agreement.effective_from = effective_from
    _validate_dates(agreement)
    to_status = S(to_status)
    _check_transition(agreement, to_status, reason, today or _today())
    old = agreement.status
    agreement.status = to_status
    agreement.save()
    AgreementEvent.objects.create(
        agreement=agreement, from_status=old, to_status=to_status, reason=reason, actor=None if system else actor
    )
    audit.record(
        "agreement.status_changed",
        actor=None if system else actor,
        obj=agreement,
        request=request,
        actor_label="daily agreement task" if system else None,
        details={"from": old, "to": to_status, "reason": reason},
    )
    if to_status == S.IN_FORCE and agreement.supersedes_id:
        previous = agreement.supersedes
        if previous.status in {S.IN_FORCE, S.SUSPENDED}:
            agreement_transition(
                agreement=previous,
                to_status=S.TERMINATED,
                actor=actor,
                system=True,
                reason=_("Superseded by version %(n)s.") % {"n": agreement.version},
            )
    agreement_sharing_changed.send(sender=Agreement, agreement_id=agreement.pk)
    transaction.on_commit(
        lambda: agreement_status_changed.send_robust(
            sender=Agreement, agreement_id=agreement.pk, old=old, new=to_status
        )
    )
    return agreement


@transaction.atomic
def agreement_amend(*, agreement, actor, request=None):
    """Start a new version (a draft) that will supersede this one when it enters into force."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_editor(actor, agreement)
    if agreement.status not in {S.SIGNED, S.IN_FORCE, S.SUSPENDED}:
        raise ValidationError(_("Only a signed agreement is amended; change the draft directly instead."))
    if Agreement.objects.filter(supersedes=agreement).exists():
        raise ValidationError(_("An amendment of this version already exists."))
    new = Agreement.objects.create(
        kind=agreement.kind,
        reference=agreement.reference,
        title=agreement.title,
        summary=agreement.summary,
        languages=agreement.languages,
        expires_on=agreement.expires_on,
        notice_period_days=agreement.notice_period_days,
        auto_renewal=agreement.auto_renewal,
        renewal_months=agreement.renewal_months,
        version=agreement.version + 1,
        supersedes=agreement,
        created_by=actor,
    )
    parties = [(p.agency, list(p.liaison_officers.all())) for p in agreement.parties.all()]
    _set_parties(new, parties)
    for clause in agreement.clauses.all():
        clause.pk = None
        clause.agreement = new
        clause.save()
    AgreementEvent.objects.create(
        agreement=new,
        to_status=new.status,
        kind="amendment",
        actor=actor,
        reason=_("Amends version %(n)s.") % {"n": agreement.version},
    )
    AgreementEvent.objects.create(
        agreement=agreement, kind="amended", actor=actor, reason=_("Version %(n)s drafted.") % {"n": new.version}
    )
    audit.record("agreement.amended", actor=actor, obj=new, request=request, details={"amends": agreement.pk})
    return new


# --- Clauses ----------------------------------------------------------------------------------

CLAUSE_FIELDS = (
    "provider",
    "receiver",
    "mutual",
    "categories",
    "max_marking",
    "personal_data",
    "retention_days",
    "mode",
    "purpose",
    "hit_no_hit_kinds",
)


def _validate_clause(clause, agreement):
    parties = set(agreement.parties.values_list("country_id", flat=True))
    errors = {}
    if clause.provider_id and clause.provider_id not in parties:
        errors["provider"] = _("The providing party must be a party to the agreement.")
    if clause.receiver_id and clause.receiver_id not in parties:
        errors["receiver"] = _("The receiving party must be a party to the agreement.")
    if clause.provider_id and clause.provider_id == clause.receiver_id:
        errors["receiver"] = _("A party does not share with itself.")
    unknown = set(clause.categories) - set(IncidentCategory.values)
    if not clause.categories or unknown:
        errors["categories"] = _("Choose the incident categories covered.")
    if clause.max_marking == TLP.RED or clause.max_marking not in TLP.values:
        errors["max_marking"] = _("TLP:RED is never shared by a clause.")
    if not clause.retention_days or clause.retention_days > 3650:
        errors["retention_days"] = _("Retention is between 1 and 3650 days.")
    kinds = clause.hit_no_hit_kinds
    if not isinstance(kinds, list | tuple) or not all(isinstance(kind, str) for kind in kinds):
        errors["hit_no_hit_kinds"] = _("Choose the identifier kinds from the list.")
    elif unknown_kinds := [kind for kind in kinds if kind not in IdentifierKind.values]:
        errors["hit_no_hit_kinds"] = ngettext(
            "Unknown identifier kind: %(kinds)s. The kinds are %(known)s.",
            "Unknown identifier kinds: %(kinds)s. The kinds are %(known)s.",
            len(unknown_kinds),
        ) % {"kinds": ", ".join(map(str, unknown_kinds)), "known": ", ".join(IdentifierKind.values)}
    else:
        # One order whatever the order chosen: the sentence and the export read the same.
        clause.hit_no_hit_kinds = [kind for kind in IdentifierKind.values if kind in kinds]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def clause_save(*, agreement, actor, clause=None, request=None, **fields):
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_editor(actor, agreement)
    _require_content_editable(agreement)
    creating = clause is None
    clause = clause or DataSharingClause(agreement=agreement)
    for key, value in fields.items():
        if key in CLAUSE_FIELDS:
            setattr(clause, key, value)
    _validate_clause(clause, agreement)
    clause.full_clean(exclude=["agreement"])
    clause.save()
    audit.record(
        "clause.created" if creating else "clause.updated",
        actor=actor,
        obj=clause,
        request=request,
        agency=actor.agency,
        details={"agreement": agreement.pk},
    )
    return clause


@transaction.atomic
def clause_delete(*, clause, actor, request=None):
    agreement = Agreement.objects.select_for_update().get(pk=clause.agreement_id)
    _require_editor(actor, agreement)
    _require_content_editable(agreement)
    audit.record("clause.deleted", actor=actor, obj=clause, request=request, details={"agreement": agreement.pk})
    clause.delete()


# --- Documents --------------------------------------------------------------------------------


@transaction.atomic
def document_upload(*, agreement, actor, upload, title="", kind=DocumentKind.SIGNED, document=None, request=None):
    """Store a new document, or a new version of `document`. The type is read from the content."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_editor(actor, agreement)
    if agreement.status in FINAL_STATES:
        raise ValidationError(_("Documents cannot be added to an expired or terminated agreement."))
    limit = settings.AGREEMENT_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    detected = detect_document_type(upload)
    if detected is None:
        raise ValidationError({"file": _("Only PDF, DOCX and ODT documents are accepted; this file is none of them.")})
    extension, content_type = detected
    original = safe_display_name(upload.name, default="document")
    if document is None:
        if not title.strip():
            raise ValidationError({"title": _("Give the document a title.")})
        document = AgreementDocument.objects.create(agreement=agreement, title=title.strip(), kind=kind)
        number = 1
    else:
        if document.agreement_id != agreement.pk:
            raise ValidationError(_("That document belongs to another agreement."))
        number = (document.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=original,
        content_type=content_type,
        size=upload.size,
        sha256=sha256_of(upload),
        uploaded_by=actor,
    )
    version.file.save(f"upload.{extension}", upload, save=False)
    version.save()
    if number > 1:
        document_version_added.send(sender=DocumentVersion, version=version, actor=actor, request=request)
    audit.record(
        "document.uploaded",
        actor=actor,
        obj=version,
        request=request,
        details={"agreement": agreement.pk, "sha256": version.sha256, "size": version.size},
    )
    return version


# --- Disputes ---------------------------------------------------------------------------------


@transaction.atomic
def dispute_raise(*, agreement, actor, subject, description, request=None):
    _require_editor(actor, agreement)
    if not subject.strip() or not description.strip():
        raise ValidationError(_("Give a subject and a description."))
    dispute = Dispute.objects.create(
        agreement=agreement,
        raised_by=actor,
        raised_by_country=actor.agency.country,
        subject=subject.strip(),
        description=description.strip(),
    )
    audit.record("dispute.raised", actor=actor, obj=dispute, request=request, details={"agreement": agreement.pk})
    _notify_liaisons(
        agreement,
        _("Dispute raised: %(subject)s") % {"subject": dispute.subject},
        dispute.description,
        reverse("agreements:dispute", args=[agreement.pk, dispute.pk]),
        exclude=actor,
    )
    return dispute


@transaction.atomic
def dispute_comment(*, dispute, actor, body, parent=None, request=None):
    _require_editor(actor, dispute.agreement)
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    if parent is not None and parent.dispute_id != dispute.pk:
        raise ValidationError(_("That message belongs to another dispute."))
    message = DisputeMessage.objects.create(dispute=dispute, parent=parent, author=actor, body=body.strip())
    if dispute.status == DisputeStatus.OPEN:
        dispute.status = DisputeStatus.DISCUSSION
        dispute.save(update_fields=["status", "updated_at"])
    audit.record("dispute.message", actor=actor, obj=dispute, request=request, details={"message": message.pk})
    return message


@transaction.atomic
def dispute_set_status(*, dispute, actor, status, resolution="", request=None):
    _require_editor(actor, dispute.agreement)
    status = DisputeStatus(status)
    if status == DisputeStatus.RESOLVED and not resolution.strip():
        raise ValidationError({"resolution": _("Describe how the dispute was resolved.")})
    old = dispute.status
    dispute.status = status
    if resolution.strip():
        dispute.resolution = resolution.strip()
    dispute.save()
    audit.record(
        "dispute.status_changed", actor=actor, obj=dispute, request=request, details={"from": old, "to": status}
    )
    return dispute


# --- Reminders --------------------------------------------------------------------------------

EXPIRY_WARNINGS = (90, 30, 7)


def _responsible_liaisons(agreement):
    people = []
    for party in agreement.parties.all():
        people.extend(party.liaison_officers.filter(is_active=True))
    return people


def _notify_liaisons(agreement, title, body, url, exclude=None):
    users = [u for u in _responsible_liaisons(agreement) if exclude is None or u.pk != exclude.pk]
    notify(users=users, title=title, body=body, url=url)


def _send_once(agreement, kind, due_on, title, body):
    """Record the reminder first; a second run finds the record and sends nothing."""
    _reminder, created = ReminderSent.objects.get_or_create(agreement=agreement, kind=kind, due_on=due_on)
    if created:
        _notify_liaisons(agreement, title, body, reverse("agreements:detail", args=[agreement.pk]))
    return created


def agreements_run_daily(*, today=None):
    """Expiry and notice warnings, automatic renewals and expiries. Safe to run twice."""
    today = today or _today()
    sent = 0
    live = Agreement.objects.filter(status__in=[S.IN_FORCE, S.SUSPENDED], expires_on__isnull=False)
    for agreement in live.prefetch_related("parties"):
        with transaction.atomic():
            agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
            if agreement.expires_on < today:
                if agreement.auto_renewal and agreement.status == S.IN_FORCE:
                    _renew(agreement, today)
                else:
                    agreement_transition(
                        agreement=agreement,
                        to_status=S.EXPIRED,
                        actor=None,
                        system=True,
                        reason=_("Reached its expiry date."),
                        today=today,
                    )
                    continue
            days_left = (agreement.expires_on - today).days
            due = [d for d in EXPIRY_WARNINGS if days_left <= d]
            if due:
                window = min(due)
                sent += _send_once(
                    agreement,
                    f"expiry-{window}",
                    agreement.expires_on,
                    ngettext("%(ref)s expires in %(days)s day", "%(ref)s expires in %(days)s days", days_left)
                    % {"ref": agreement.reference, "days": days_left},
                    _("%(title)s expires on %(date)s.") % {"title": agreement.title, "date": agreement.expires_on},
                )
            deadline = agreement.notice_deadline
            if deadline and deadline <= today <= agreement.expires_on:
                sent += _send_once(
                    agreement,
                    "notice-end",
                    deadline,
                    _("Notice period of %(ref)s ends") % {"ref": agreement.reference},
                    _("The last day to give notice on %(title)s was %(date)s; it %(what)s on %(expiry)s.")
                    % {
                        "title": agreement.title,
                        "date": deadline,
                        "expiry": agreement.expires_on,
                        "what": _("renews automatically") if agreement.auto_renewal else _("expires"),
                    },
                )
    return sent


def _renew(agreement, today):
    old_expiry = agreement.expires_on
    while agreement.expires_on < today:
        agreement.expires_on = _add_months(agreement.expires_on, agreement.renewal_months)
    agreement.save(update_fields=["expires_on", "updated_at"])
    AgreementEvent.objects.create(
        agreement=agreement,
        from_status=agreement.status,
        to_status=agreement.status,
        kind="renewal",
        reason=_("Renewed until %(date)s.") % {"date": agreement.expires_on},
    )
    audit.record(
        "agreement.renewed",
        obj=agreement,
        actor_label="daily agreement task",
        details={"from": old_expiry.isoformat(), "to": agreement.expires_on.isoformat()},
    )
    agreement_sharing_changed.send(sender=Agreement, agreement_id=agreement.pk)


def _add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)
