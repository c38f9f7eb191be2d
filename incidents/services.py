"""Writes of incidents: filing, the lifecycle, comments and follow-ups.

Every step checks who acts and the incident's state, writes the audit log and, where sharing may
change, hands the incident to the sharing engine in the same transaction.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import sharing, uploads
from incidents.models import (
    PERSONAL_FIELDS,
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentCounter,
    IncidentStatus,
)
from portal import audit
from portal.choices import TLP
from portal.files import safe_display_name, sha256_of
from portal.models import APIScope

S = IncidentStatus

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
# Changing these after validation can change who may receive the incident.
SHARING_FIELDS = {"category", "marking", "has_personal_data"}


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
    if incident.occurred_at and incident.occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        errors["occurred_at"] = _("An incident cannot happen in the future.")
    if (incident.latitude is None) != (incident.longitude is None):
        errors["longitude"] = _("Give both latitude and longitude, or neither.")
    if not incident.has_personal_data and any(getattr(incident, f) for f in PERSONAL_FIELDS):
        errors["has_personal_data"] = _("Tick this box when you enter personal details.")
    if errors:
        raise ValidationError(errors)
    incident.full_clean(exclude=["reference", "agency", "country", "reporter", "validated_by", "follow_up_of"])


def _require_complete(incident):
    missing = []
    if not incident.description.strip():
        missing.append(_("Describe what happened."))
    if incident.latitude is None and not incident.border_sector and not incident.crossing_point:
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
def incident_create(*, actor, follow_up_of=None, request=None, **fields):
    """File a draft. Officers file for their own agency; follow-ups link to the first report."""
    if not _may_file(actor):
        raise PermissionDenied(_("Only officers and supervisors file incidents."))
    if not actor.agency_id or not actor.agency.is_active:
        raise PermissionDenied(_("Your account belongs to no active agency."))
    now = timezone.now()
    api_key = getattr(actor, "api_key", None)
    incident = Incident(
        agency=actor.agency,
        country_id=actor.agency.country_id,
        reporter=None if api_key else actor,
        reported_via=f"api-key:{api_key.prefix}" if api_key else "",
        follow_up_of=follow_up_of,
        **{k: v for k, v in fields.items() if k in INCIDENT_FIELDS},
    )
    _clean(incident)
    incident.reference = _next_reference(actor.agency, now.year)
    incident.save()
    sharing.refresh_visibility(incident, now)
    audit.record(
        "incident.created",
        actor=actor,
        obj=incident,
        request=request,
        details={"follow_up_of": follow_up_of.pk if follow_up_of else None},
    )
    return incident


@transaction.atomic
def incident_update(*, incident, actor, request=None, **fields):
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
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
    changed = {k: v for k, v in fields.items() if k in INCIDENT_FIELDS and getattr(incident, k) != v}
    for key, value in changed.items():
        setattr(incident, key, value)
    _clean(incident)
    incident.save()
    audit.record("incident.updated", actor=actor, obj=incident, request=request, details={"fields": sorted(changed)})
    if set(changed) & SHARING_FIELDS or "occurred_at" in changed:
        sharing.sync_incident(incident, actor=actor)
    return incident


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
        author=None if api_key else actor,
        author_label=str(actor) if api_key else actor.get_username(),
        body=body.strip(),
    )
    audit.record("incident.commented", actor=actor, obj=incident, request=request, details={"comment": comment.pk})
    return comment


@transaction.atomic
def attachment_add(*, incident, actor, upload, request=None):
    """Photos (JPEG, PNG) and documents (PDF, DOCX, ODT) of the reporting agency's incident."""
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
        uploaded_by=actor,
    )
    attachment.file.save(f"upload.{extension}", content, save=False)
    attachment.save()
    audit.record(
        "incident.attachment_added",
        actor=actor,
        obj=incident,
        request=request,
        details={"attachment": attachment.pk, "sha256": attachment.sha256, "photo": is_photo},
    )
    return attachment
