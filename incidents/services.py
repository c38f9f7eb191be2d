"""Writes of incidents: filing, the lifecycle, comments and follow-ups.

Every step checks who acts and the incident's state, writes the audit log and, where sharing may
change, hands the incident to the sharing engine in the same transaction.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from borders.models import BorderSector, CrossingPoint
from incidents import access, exercises, identifiers, live, sharing, uploads
from incidents.models import (
    HANDOVER_HOURS,
    PERSONAL_FIELDS,
    Handover,
    HandoverStatus,
    IdentifierDigest,
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentCounter,
    IncidentIdentifier,
    IncidentStatus,
)
from portal import audit
from portal.choices import TLP, IdentifierKind
from portal.files import safe_display_name, sha256_of
from portal.models import APIScope

S = IncidentStatus
logger = logging.getLogger(__name__)

INCIDENT_FIELDS = (
    "category",
    "occurred_at",
    "latitude",
    "longitude",
    "border_sector",
    "crossing_point",
    "description",
    "people_involved",
    "severity",
    "source_reliability",
    "information_credibility",
    "marking",
    "has_personal_data",
    *PERSONAL_FIELDS,
)
# The sector and crossing point chosen from the country's own (`borders`); the text fields above
# keep a name as reported when it matches none.
PLACE_FIELDS = ("sector", "crossing")
# Changing these after validation can change who may receive the incident.
SHARING_FIELDS = {"category", "marking", "has_personal_data"}


def foreign_reads_record(*, actor, rows, action, request=None):
    """Reads of other countries' incidents go to the audit log: one entry per answer (a list,
    an export, a map). `rows`: (incident id, owner country) of what was read."""
    country_id = actor.agency.country_id
    foreign = [pk for pk, owner in rows if owner != country_id]
    if foreign:
        audit.record(action, actor=actor, request=request, details={"incidents": foreign})


def foreign_list_record(*, actor, incidents, action, request=None):
    """`foreign_reads_record` for incidents read as model instances."""
    foreign_reads_record(actor=actor, rows=[(i.pk, i.country_id) for i in incidents], action=action, request=request)


def foreign_read_record(*, actor, incident, action, request=None):
    """One read of another country's incident (its page, a download, an API answer), written
    against the incident, so its owner sees who read it."""
    if incident.country_id != actor.agency.country_id:
        audit.record(action, actor=actor, obj=incident, request=request, details={"owner_country": incident.country_id})


def _owner_agency_member(user, incident):
    return getattr(user, "agency_id", None) == incident.agency_id


def _next_reference(agency, year):
    """A reference unique per agency and year; the counter row is locked while numbering."""
    counter, _created = IncidentCounter.objects.select_for_update().get_or_create(agency=agency, year=year)
    counter = IncidentCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{agency.code}-{year}-{counter.last:06d}"


def _clean(incident):
    errors = {}
    if incident.occurred_at and incident.occurred_at > timezone.now() + timedelta(minutes=5):
        errors["occurred_at"] = _("An incident cannot happen in the future.")
    if (incident.latitude is None) != (incident.longitude is None):
        errors["longitude"] = _("Give both latitude and longitude, or neither.")
    if not incident.has_personal_data and any(getattr(incident, f) for f in PERSONAL_FIELDS):
        errors["has_personal_data"] = _("Tick this box when you enter personal details.")
    errors |= _places(incident)
    if errors:
        raise ValidationError(errors)
    incident.full_clean(exclude=["reference", "agency", "country", "reporter", "validated_by", "follow_up_of"])


def _places(incident):
    """The sector and crossing point belong to the incident's country; a name typed as text is
    linked to the country's sector or crossing point of that code or name, or kept as reported.
    The incident's country is the reporter's, and a country always sees its own sectors."""
    errors = {}
    if incident.sector_id is not None:
        if incident.sector.country_id != incident.country_id:
            errors["sector"] = _("Choose a border sector of the incident's country.")
        else:
            incident.border_sector = ""
    elif incident.border_sector.strip():
        incident.sector = _named(BorderSector, incident.country_id, incident.border_sector)
        if incident.sector is not None:
            incident.border_sector = ""
    if incident.crossing_id is not None:
        if incident.crossing.country_id != incident.country_id:
            errors["crossing"] = _("Choose a crossing point of the incident's country.")
        else:
            incident.crossing_point = ""
    elif incident.crossing_point.strip():
        incident.crossing = _named(CrossingPoint, incident.country_id, incident.crossing_point)
        if incident.crossing is not None:
            incident.crossing_point = ""
    return errors


def _named(model, country_id, text):
    text = text.strip()
    return model.objects.filter(country_id=country_id).filter(Q(code__iexact=text) | Q(name__iexact=text)).first()


def _require_complete(incident):
    missing = []
    if not incident.description.strip():
        missing.append(_("Describe what happened."))
    places = (incident.border_sector, incident.crossing_point, incident.sector_id, incident.crossing_id)
    if incident.latitude is None and not any(places):
        missing.append(_("Say where it happened: a point on the map, the border sector or the crossing point."))
    if missing:
        raise ValidationError(missing)


def _may_file(actor):
    """People file as officers or supervisors; an agency's own system with the write scope."""
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return APIScope.INCIDENTS_WRITE in api_key.scopes
    return getattr(actor, "is_officer", False) or getattr(actor, "is_supervisor", False)


@transaction.atomic
def incident_create(*, actor, follow_up_of=None, exercise=None, identifiers=None, request=None, **fields):
    """File a draft. Officers file for their own agency; follow-ups link to the first report.
    Incidents filed in an exercise carry its marking for good. `identifiers`: its typed
    identifiers, as for `incident_identifiers_set`."""
    if not _may_file(actor):
        raise PermissionDenied(_("Only officers and supervisors file incidents."))
    if not actor.agency_id or not actor.agency.is_active:
        raise PermissionDenied(_("Your account belongs to no active agency."))
    if exercise is not None:
        exercises.check(actor, exercise)
    elif follow_up_of is not None and follow_up_of.exercise_id:
        exercise = follow_up_of.exercise  # a follow-up to exercise play is exercise play
    now = timezone.now()
    api_key = getattr(actor, "api_key", None)
    incident = Incident(
        agency=actor.agency,
        country_id=actor.agency.country_id,
        reporter=None if api_key else actor,
        reported_via=f"api-key:{api_key.prefix}" if api_key else "",
        follow_up_of=follow_up_of,
        exercise=exercise,
        **{k: v for k, v in fields.items() if k in INCIDENT_FIELDS or k in PLACE_FIELDS},
    )
    _clean(incident)
    wanted = _identifiers_parse(incident, identifiers) if identifiers else []
    incident.reference = _next_reference(actor.agency, now.year)
    incident.save()
    sharing.refresh_visibility(incident, now)
    audit.record(
        "incident.created",
        actor=actor,
        obj=incident,
        request=request,
        details={"follow_up_of": follow_up_of.pk if follow_up_of else None, "exercise": getattr(exercise, "pk", None)},
    )
    if wanted:
        _identifiers_replace(incident, wanted, actor=actor, request=request)
    return incident


def _check_may_change(actor, incident):
    """Who changes an incident (its fields, its identifiers): the reporting agency, the reporter
    or a supervisor until validation and a supervisor after it; nobody once it is closed."""
    if not _owner_agency_member(actor, incident):
        raise PermissionDenied(_("Only the reporting agency changes an incident."))
    if incident.status in {S.DRAFT, S.SUBMITTED}:
        if actor.pk != incident.reporter_id and not actor.is_supervisor:
            raise PermissionDenied(_("Only the reporter or a supervisor changes this incident."))
    elif incident.status in {S.VALIDATED, S.SHARED}:
        if not actor.is_supervisor:
            raise PermissionDenied(_("Only a supervisor changes a validated incident."))
    else:
        raise ValidationError(_("A closed incident cannot change."))


@transaction.atomic
def incident_update(*, incident, actor, identifiers=None, request=None, **fields):
    """Change an incident's fields and, when `identifiers` is given, replace its identifiers
    (as `incident_identifiers_set` does) in the same transaction."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _check_may_change(actor, incident)
    changed = {
        k: v for k, v in fields.items() if (k in INCIDENT_FIELDS or k in PLACE_FIELDS) and getattr(incident, k) != v
    }
    for key, value in changed.items():
        setattr(incident, key, value)
    _clean(incident)
    if identifiers is not None:
        wanted = _identifiers_parse(incident, identifiers)
    else:
        wanted = None
        _identifiers_check_flag(incident, incident.identifiers.values_list("kind", flat=True))
    incident.save()
    audit.record("incident.updated", actor=actor, obj=incident, request=request, details={"fields": sorted(changed)})
    replaced = wanted is not None and _identifiers_replace(incident, wanted, actor=actor, request=request)
    _changed(incident, actor, changed, replaced)
    return incident


def _changed(incident, actor, fields, identifiers_changed=False):
    """Tell those who see the incident that it changed (`fields`: the fields that did)."""
    if (fields or identifiers_changed) and incident.status in {S.VALIDATED, S.SHARED}:
        # Partners that keep seeing it get an Update; clauses may also start or stop applying.
        sharing.sync_incident(incident, actor=actor, changed=True)
    elif "occurred_at" in fields:
        # The visibility index keeps its own copy of the time, which lists are ordered by.
        sharing.refresh_visibility(incident)
    elif fields or identifiers_changed:
        live.owner_changed(incident)


@transaction.atomic
def incident_identifiers_set(*, incident, identifiers, actor, request=None):
    """Replace the typed identifiers of an incident (plates, VINs, documents, vessels, phones)
    with `identifiers`: mappings of `kind`, `value` and `country` (a `Country` or its code, for
    plates and documents). Each is checked and kept in its canonical form
    (`incidents.identifiers`), and the hit/no-hit index gets their keyed digests in the same
    transaction. All or nothing: one wrong entry changes nothing, and the ValidationError names
    each wrong entry. Document and phone numbers are personal data: the incident must say it
    contains some. The same people as for `incident_update` may set them, never on a closed
    incident. The audit entry gives the kinds and their count, never a value."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _check_may_change(actor, incident)
    wanted = _identifiers_parse(incident, identifiers)
    if _identifiers_replace(incident, wanted, actor=actor, request=request):
        _changed(incident, actor, {}, identifiers_changed=True)
    return list(incident.identifiers.all())


def _identifiers_parse(incident, entries):
    """The canonical identifiers of `entries`, read in the incident's country (phone numbers)."""
    wanted = identifiers.parse(entries, region=incident.country_id)
    _identifiers_check_flag(incident, [identifier.kind for identifier in wanted])
    return wanted


def _identifiers_check_flag(incident, kinds):
    if not incident.has_personal_data and set(kinds) & IdentifierKind.personal():
        raise ValidationError(
            {"has_personal_data": _("Tick this box when you enter a document or phone number: they are personal data.")}
        )


def _identifiers_replace(incident, wanted, *, actor, request=None):
    """Make the incident's identifiers and their digests exactly `wanted`; rows that stay keep
    their time. Returns whether anything changed (and only then writes the audit entry)."""
    stored = {identifiers.Identifier(row.kind, row.value, row.country_id): row.pk for row in incident.identifiers.all()}
    gone = [pk for identifier, pk in stored.items() if identifier not in wanted]
    added = [identifier for identifier in wanted if identifier not in stored]
    if not gone and not added:
        return False
    if gone:
        removed = [identifier for identifier in stored if identifier not in wanted]
        IdentifierDigest.objects.filter(
            incident=incident, digest__in=[identifier.digest() for identifier in removed]
        ).delete()
        IncidentIdentifier.objects.filter(pk__in=gone).delete()
    now = timezone.now()
    IncidentIdentifier.objects.bulk_create(
        IncidentIdentifier(
            incident=incident,
            kind=identifier.kind,
            value=identifier.value,
            country_id=identifier.country_id,
            created_at=now,
        )
        for identifier in added
    )
    IdentifierDigest.objects.bulk_create(
        IdentifierDigest(
            kind=identifier.kind, digest=identifier.digest(), incident=incident, country_id=incident.country_id
        )
        for identifier in added
    )
    kinds: dict[str, int] = {}
    for identifier in wanted:
        kinds[identifier.kind] = kinds.get(identifier.kind, 0) + 1
    audit.record(
        "incident.identifiers_set",
        actor=actor,
        obj=incident,
        request=request,
        details={"count": len(wanted), "kinds": dict(sorted(kinds.items())), "added": len(added), "removed": len(gone)},
    )
    return True


def _is_reporter(actor, incident):
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return incident.reported_via == f"api-key:{api_key.prefix}" and _may_file(actor)
    return actor.pk is not None and actor.pk == incident.reporter_id


@transaction.atomic
def incident_submit(*, incident, actor, request=None):
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not _owner_agency_member(actor, incident):
        raise PermissionDenied(_("Only the reporter submits a draft."))
    if incident.status != S.DRAFT:
        raise ValidationError(_("Only a draft is submitted."))
    if not (_is_reporter(actor, incident) or getattr(actor, "is_supervisor", False)):
        raise PermissionDenied(_("Only the reporter submits a draft."))
    _require_complete(incident)
    incident.status = S.SUBMITTED
    incident.save(update_fields=["status", "updated_at"])
    audit.record("incident.submitted", actor=actor, obj=incident, request=request)
    live.owner_changed(incident)
    return incident


@transaction.atomic
def incident_validate(*, incident, actor, request=None):
    """Four eyes: a supervisor of the same agency who is not the reporter. Sharing follows."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not (_owner_agency_member(actor, incident) and getattr(actor, "is_supervisor", False)):
        raise PermissionDenied(_("Only a supervisor of the reporting agency validates."))
    if actor.pk == incident.reporter_id:
        raise ValidationError(_("The reporter cannot validate their own incident; another supervisor must."))
    if incident.status != S.SUBMITTED:
        raise ValidationError(_("Only a submitted incident is validated."))
    incident.status = S.VALIDATED
    incident.validated_by = actor
    incident.validated_at = timezone.now()
    incident.save(update_fields=["status", "validated_by", "validated_at", "updated_at"])
    audit.record("incident.validated", actor=actor, obj=incident, request=request)
    return sharing.sync_incident(incident, actor=actor)


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one incident of a bulk validation."""

    incident: Incident
    validated: bool
    reason: str = ""


def incident_validate_bulk(*, incidents, actor, request=None):
    """Validate several incidents at once (the duty desk), each by `incident_validate` in its
    own transaction, so that every rule holds for each (four eyes, state, agency) and none is
    left half-done: each one is validated and shared, or not changed at all. A refusal is
    written to the audit log with its reason. Returns a `BulkOutcome` per incident, in order."""
    outcomes = []
    for incident in incidents:
        try:
            incident_validate(incident=incident, actor=actor, request=request)
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            reason = reason or _("You may not validate this incident.")
        except Exception:
            # One failure must not hide what became of the others; its transaction rolled back.
            logger.exception("bulk validation of incident %s failed", incident.pk)
            reason = _("It could not be validated because of an error; nothing of it was changed.")
        else:
            outcomes.append(BulkOutcome(incident, True))
            continue
        audit.record(
            "incident.validation_refused",
            actor=actor,
            obj=incident,
            request=request,
            details={"reason": reason, "bulk": True},
        )
        outcomes.append(BulkOutcome(incident, False, reason))
    return outcomes


@transaction.atomic
def incident_close(*, incident, actor, reason="", request=None):
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not (_owner_agency_member(actor, incident) and actor.is_supervisor):
        raise PermissionDenied(_("Only a supervisor of the reporting agency closes an incident."))
    if incident.status not in {S.VALIDATED, S.SHARED}:
        raise ValidationError(_("Only a validated or shared incident is closed."))
    incident.status = S.CLOSED
    incident.save(update_fields=["status", "updated_at"])
    audit.record("incident.closed", actor=actor, obj=incident, request=request, details={"reason": reason})
    live.owner_changed(incident)
    return incident


def incident_share(*, incident, country, actor, request=None):
    """Share on request with one partner, where an agreement's clause allows it."""
    if not _owner_agency_member(actor, incident) or not (actor.is_officer or actor.is_supervisor):
        raise PermissionDenied(_("Only officers of the reporting agency share an incident."))
    if incident.marking == TLP.RED:
        raise ValidationError(_("TLP:RED incidents are never shared."))
    return sharing.share_on_request(incident, country, actor=actor)


@transaction.atomic
def comment_add(*, incident, actor, body, request=None):
    """Comments by anyone who may see the incident (owner or partner)."""
    if not Incident.objects.visible_to(actor).filter(pk=incident.pk).exists():
        raise PermissionDenied
    if not body.strip():
        raise ValidationError({"body": _("Write a comment.")})
    api_key = getattr(actor, "api_key", None)
    if api_key is not None and APIScope.INCIDENTS_WRITE not in api_key.scopes:
        raise PermissionDenied(_("This API key may not comment."))
    comment = IncidentComment.objects.create(
        incident=incident,
        country_id=actor.agency.country_id,
        author=None if api_key else actor,
        author_label=str(actor) if api_key else actor.get_username(),
        body=body.strip(),
    )
    audit.record("incident.commented", actor=actor, obj=incident, request=request, details={"comment": comment.pk})
    return comment


@transaction.atomic
def attachment_add(*, incident, actor, upload, personal_data=True, request=None):
    """Photos (JPEG, PNG) and documents (PDF, DOCX, ODT) of the reporting agency's incident.
    `personal_data`: the file shows or names a person, so partners whose clause withholds
    personal data do not receive it (on unless the uploader says otherwise)."""
    if not _owner_agency_member(actor, incident) or getattr(actor, "api_key", None) is not None:
        raise PermissionDenied(_("Only the reporting agency adds attachments."))
    if incident.status == S.CLOSED:
        raise ValidationError(_("A closed incident cannot change."))
    limit = settings.INCIDENT_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    found = uploads.inspect(upload)
    if found is None:
        raise ValidationError({"file": _("Only photos (JPEG, PNG) and PDF, DOCX or ODT documents are accepted.")})
    extension, content_type, is_photo = found
    try:
        content = uploads.strip_photo(upload, "JPEG" if extension == "jpg" else "PNG") if is_photo else upload
    except ValueError as exc:
        raise ValidationError({"file": _("The picture is too large.")}) from exc
    attachment = IncidentAttachment(
        incident=incident,
        original_name=safe_display_name(upload.name),
        content_type=content_type,
        size=content.size,
        sha256=sha256_of(content),
        is_photo=is_photo,
        personal_data=bool(personal_data),
        uploaded_by=actor,
    )
    attachment.file.save(f"upload.{extension}", content, save=False)
    attachment.save()
    audit.record(
        "incident.attachment_added",
        actor=actor,
        obj=incident,
        request=request,
        details={
            "attachment": attachment.pk,
            "sha256": attachment.sha256,
            "photo": is_photo,
            "personal_data": attachment.personal_data,
        },
    )
    return attachment


# --- Handover ---------------------------------------------------------------------------------


@transaction.atomic
def handover_request(*, incident, to_agency, actor, reason, request=None, now=None):
    """A supervisor asks a neighbouring country's agency to take the incident over (24 hours to answer).
    The receiving country must already see the incident under a clause: a handover shares nothing."""
    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not (_owner_agency_member(actor, incident) and getattr(actor, "is_supervisor", False)):
        raise PermissionDenied(_("Only a supervisor of the reporting agency hands an incident over."))
    if incident.status not in {S.VALIDATED, S.SHARED}:
        raise ValidationError(_("Only a validated incident is handed over."))
    if to_agency.country_id == incident.country_id or not to_agency.is_active:
        raise ValidationError({"to_agency": _("Choose an active agency of a neighbouring country.")})
    if not access.access_of(incident.pk, to_agency.country_id, now).visible:
        raise ValidationError({"to_agency": _("That country does not receive this incident under any clause.")})
    if incident.handovers.filter(status=HandoverStatus.PENDING).exists():
        raise ValidationError(_("A handover of this incident is already awaiting an answer."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    handover = Handover.objects.create(
        incident=incident,
        from_agency=incident.agency,
        to_agency=to_agency,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=now,
        deadline=now + timedelta(hours=HANDOVER_HOURS),
    )
    audit.record(
        "incident.handover_requested",
        actor=actor,
        obj=incident,
        request=request,
        details={"to_agency": to_agency.code, "deadline": handover.deadline.isoformat()},
    )
    from portal.services import notify

    supervisors = to_agency.users.filter(is_supervisor=True, is_active=True)
    notify(
        users=list(supervisors),
        title=_("Handover requested: %(ref)s") % {"ref": incident.reference},
        body=reason.strip(),
        url=reverse("incidents:detail", args=[incident.pk]),
    )
    return handover


def _take_over(handover, now):
    """The receiving agency becomes responsible for the incident, and its country sees all of it
    under the handover from this transaction on (`incidents.access.index_rows`)."""
    incident = (
        Incident.objects.select_for_update(of=("self",)).select_related("handled_by").get(pk=handover.incident_id)
    )
    incident.handled_by = handover.to_agency
    incident.save(update_fields=["handled_by", "updated_at"])
    sharing.refresh_visibility(incident, now)
    # The handling country's view changed (personal data, responsibility) even if it saw it before.
    live.record(incident, [handover.to_agency.country_id], now)


def handover_answer(*, handover, actor, accept, answer="", request=None, now=None):
    """The receiving agency's supervisor accepts or declines within 24 hours."""
    now = now or timezone.now()
    with transaction.atomic():
        handover = Handover.objects.select_for_update().select_related("incident").get(pk=handover.pk)
        if not (getattr(actor, "agency_id", None) == handover.to_agency_id and getattr(actor, "is_supervisor", False)):
            raise PermissionDenied(_("Only a supervisor of the receiving agency answers a handover."))
        if handover.status != HandoverStatus.PENDING:
            raise ValidationError(_("This handover was already answered."))
        late = now > handover.deadline
        if late:
            # Recorded as expired (committed), then refused.
            handover.status = HandoverStatus.EXPIRED
            handover.save(update_fields=["status"])
        else:
            if not accept and not answer.strip():
                raise ValidationError({"answer": _("Say why you decline.")})
            handover.status = HandoverStatus.ACCEPTED if accept else HandoverStatus.DECLINED
            handover.decided_by, handover.decided_at, handover.answer = actor, now, answer.strip()
            handover.save(update_fields=["status", "decided_by", "decided_at", "answer"])
            if accept:
                _take_over(handover, now)
            audit.record(
                "incident.handover_accepted" if accept else "incident.handover_declined",
                actor=actor,
                obj=handover.incident,
                request=request,
                details={
                    "answer": handover.answer,
                    "handover": handover.pk,
                    "to_agency": handover.to_agency.code,
                    "to_country": handover.to_agency.country_id,
                },
            )
    if late:
        raise ValidationError(_("The 24 hours to answer have passed; ask for a new handover."))
    return handover


def link_reported_places(sender, country_id, **kwargs):
    """Incidents whose sector or crossing point was typed as text (before sectors existed, or
    while the name was unknown) point to the sector or crossing point of their country with that
    code or name once one exists; names that match none stay as reported."""
    for sector in BorderSector.objects.filter(country_id=country_id):
        for name in {sector.code, sector.name}:
            Incident.objects.filter(country_id=country_id, sector__isnull=True, border_sector__iexact=name).update(
                sector=sector, border_sector=""
            )
    for crossing in CrossingPoint.objects.filter(country_id=country_id):
        for name in {crossing.code, crossing.name}:
            Incident.objects.filter(country_id=country_id, crossing__isnull=True, crossing_point__iexact=name).update(
                crossing=crossing, crossing_point=""
            )
