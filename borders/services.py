"""Writes of border sectors, crossing points and impact levels.

Liaison officers and supervisors of the owning country edit sectors and crossing points; only a
supervisor of the owning country sets an impact level, always with a reason, and every change is
kept (`ImpactLevelChange`). A rise is announced inside its transaction (`impact_level_raised`):
the alert pipeline writes its alerts to partners in the same transaction (outbox).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from borders.geometry import validate_geometry
from borders.models import BorderSector, CrossingPoint, ImpactLevel, ImpactLevelChange
from portal import audit

# Sent inside the transaction of a rise in a sector's impact level: change (an ImpactLevelChange).
impact_level_raised = Signal()
# Sent inside the transaction of a change of a country's sectors or crossing points: country_id.
reported_places_changed = Signal()

SECTOR_FIELDS = {"code", "name", "description", "geometry", "is_active"}
CROSSING_FIELDS = {"code", "name", "kind", "sector", "latitude", "longitude", "is_active"}


def may_edit(actor, country_id):
    """Liaison officers and supervisors of the owning country edit its sectors and crossings."""
    agency = getattr(actor, "agency", None)
    return bool(
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", True)
        and agency is not None
        and agency.is_active
        and agency.country_id == country_id
        and (getattr(actor, "is_liaison", False) or getattr(actor, "is_supervisor", False))
    )


def may_set_level(actor, sector):
    agency = getattr(actor, "agency", None)
    return bool(
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", True)
        and agency is not None
        and agency.is_active
        and agency.country_id == sector.country_id
        and getattr(actor, "is_supervisor", False)
    )


def _check_editor(actor, country_id):
    if not may_edit(actor, country_id):
        raise PermissionDenied(
            _("Only liaison officers and supervisors of the owning country edit its border sectors.")
        )


def _full_clean(obj):
    obj.full_clean()
    return obj


@transaction.atomic
def sector_save(*, actor, sector=None, request=None, **fields):
    """Create a sector of the actor's country (sector=None) or change one of its own."""
    unknown = set(fields) - SECTOR_FIELDS
    if unknown:
        raise TypeError(f"unknown sector fields: {sorted(unknown)}")
    if sector is None:
        country = actor.agency.country if getattr(actor, "agency", None) else None
        _check_editor(actor, country.pk if country else None)
        sector = BorderSector(country=country)
        action = "sector.created"
    else:
        _check_editor(actor, sector.country_id)
        action = "sector.changed"
    if "geometry" in fields:
        validate_geometry(fields["geometry"])
    for name, value in fields.items():
        setattr(sector, name, value)
    _full_clean(sector)
    sector.save()
    link_reported_places(sector.country_id)
    audit.record(action, actor=actor, obj=sector, request=request, details={"code": sector.code})
    return sector


@transaction.atomic
def crossing_save(*, actor, crossing=None, request=None, **fields):
    unknown = set(fields) - CROSSING_FIELDS
    if unknown:
        raise TypeError(f"unknown crossing point fields: {sorted(unknown)}")
    if crossing is None:
        country = actor.agency.country if getattr(actor, "agency", None) else None
        _check_editor(actor, country.pk if country else None)
        crossing = CrossingPoint(country=country)
        action = "crossing_point.created"
    else:
        _check_editor(actor, crossing.country_id)
        action = "crossing_point.changed"
    for name, value in fields.items():
        setattr(crossing, name, value)
    if crossing.sector_id and crossing.sector.country_id != crossing.country_id:
        raise ValidationError({"sector": _("Choose a sector of the same country.")})
    _full_clean(crossing)
    crossing.save()
    link_reported_places(crossing.country_id)
    audit.record(action, actor=actor, obj=crossing, request=request, details={"code": crossing.code})
    return crossing


@transaction.atomic
def impact_level_set(*, sector, level, reason, actor, request=None, now=None):
    """Set a sector's impact level, with a reason; a rise alerts the partners who see it."""
    now = now or timezone.now()
    sector = BorderSector.objects.select_for_update().get(pk=sector.pk)
    if not may_set_level(actor, sector):
        raise PermissionDenied(_("Only a supervisor of the owning country sets a sector's impact level."))
    if level not in ImpactLevel.values:
        raise ValidationError({"level": _("Choose low, medium, high or critical.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the level changes.")})
    if level == sector.impact_level:
        raise ValidationError({"level": _("The sector is already at this level.")})
    change = ImpactLevelChange.objects.create(
        sector=sector, level=level, previous_level=sector.impact_level, reason=reason, set_by=actor, set_at=now
    )
    sector.impact_level, sector.impact_level_since = level, now
    sector.save(update_fields=["impact_level", "impact_level_since", "updated_at"])
    audit.record(
        "sector.impact_level_set",
        actor=actor,
        obj=sector,
        request=request,
        details={"code": sector.code, "from": change.previous_level, "to": level, "reason": reason},
    )
    if change.is_rise:
        impact_level_raised.send(sender=ImpactLevelChange, change=change)
    return change


def link_reported_places(country_id):
    """Announce that a country's sectors or crossing points changed: the apps that keep names
    typed as text (incidents, patrols) link those that now match a code or name
    (`reported_places_changed` receivers, in this transaction)."""
    reported_places_changed.send(sender=BorderSector, country_id=country_id)
