"""Joint patrols: planning one or changing its plan (under an agreement in force that covers
every country taking part, with officers and assets of the agencies taking part and not booked
elsewhere), and the report written once it is completed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agreements.models import Agreement
from borders.models import BorderSector
from incidents.models import Incident
from portal import audit
from training.models import ActivityStatus, Patrol, PatrolParticipant, PatrolReport
from training.permissions import require_manager, require_planner
from training.services.bookings import check_bookings, check_times
from training.services.lifecycle import lock_for_change
from training.services.notices import person, tell_officers
from training.services.publishing import bump, share

# --- Checks of a plan, in the order a planner is told about them -------------------------------


def _check_agreement_visible(actor, agreement):
    if not Agreement.objects.visible_to(actor).filter(pk=agreement.pk).exists():
        raise ValidationError({"agreement": _("Choose an agreement your country is party to.")})


def _check_agencies(actor, commanding_agency, agencies):
    """Each agency once, the commander among them, two countries at least, the planner's own agency in."""
    if commanding_agency not in agencies:
        raise ValidationError({"commanding_agency": _("The commanding agency must take part in the patrol.")})
    if len({a.pk for a in agencies}) != len(agencies):
        raise ValidationError({"participants": _("Each agency takes part once.")})
    if len({a.country_id for a in agencies}) < 2:
        raise ValidationError({"participants": _("A joint patrol needs agencies of at least two countries.")})
    if actor.agency_id not in {a.pk for a in agencies}:
        raise ValidationError({"participants": _("Your own agency must take part in the patrol.")})


def _check_agreement_covers(agreement, starts_at, ends_at, agencies):
    """The agreement is in force on the first and last day, and every country taking part is a party."""
    for day in {timezone.localdate(starts_at), timezone.localdate(ends_at)}:
        if not agreement.in_force_on(day):
            raise ValidationError(
                {
                    "agreement": _("%(agreement)s is not in force on %(day)s.")
                    % {"agreement": agreement.reference, "day": date_format(day, "SHORT_DATE_FORMAT")}
                }
            )
    parties = {p.country_id for p in agreement.parties.all()}
    outside = sorted({a.country.name for a in agencies if a.country_id not in parties})
    if outside:
        raise ValidationError(
            {
                "agreement": _("%(agreement)s does not cover %(countries)s.")
                % {"agreement": agreement.reference, "countries": ", ".join(outside)}
            }
        )


def _check_crew(agency, officers, assets):
    """The officers and assets an agency brings are its own, active and in service."""
    for officer in officers:
        if officer.agency_id != agency.pk or not officer.is_active:
            raise ValidationError(
                {
                    "participants": _("%(person)s is not an active officer of %(agency)s.")
                    % {"person": person(officer), "agency": agency.code}
                }
            )
    for asset in assets:
        if asset.agency_id != agency.pk or not asset.is_active:
            raise ValidationError(
                {
                    "participants": _("%(asset)s is not an asset in service of %(agency)s.")
                    % {"asset": asset.identifier, "agency": agency.code}
                }
            )


def _validate_patrol(*, actor, agreement, starts_at, ends_at, commanding_agency, participants):
    check_times(starts_at, ends_at)
    _check_agreement_visible(actor, agreement)
    agencies = [agency for agency, _officers, _assets in participants]
    _check_agencies(actor, commanding_agency, agencies)
    _check_agreement_covers(agreement, starts_at, ends_at, agencies)
    for agency, officers, assets in participants:
        _check_crew(agency, officers, assets)


def _place(actor, agreement, sector, border_sector, commanding_agency):
    """The sector is one of a party to the governing agreement, that the planner's country may
    see; a name typed as text is linked to the commanding country's sector of that code or name,
    or kept as reported. Returns (sector, text as reported)."""
    if sector is not None:
        parties = set(agreement.parties.values_list("country_id", flat=True))
        visible = BorderSector.objects.visible_to(actor).filter(pk=sector.pk).exists()
        if sector.country_id not in parties or not visible:
            raise ValidationError({"sector": _("Choose a border sector of a party to the governing agreement.")})
        return sector, ""
    text = (border_sector or "").strip()
    if text:
        named = (
            BorderSector.objects.filter(country_id=commanding_agency.country_id, code__iexact=text).first()
            or BorderSector.objects.filter(country_id=commanding_agency.country_id, name__iexact=text).first()
        )
        if named is not None:
            return named, ""
    return None, text


# --- Writes -----------------------------------------------------------------------------------


def _set_participants(patrol, participants):
    keep = []
    for agency, officers, assets in participants:
        row, _created = PatrolParticipant.objects.get_or_create(patrol=patrol, agency=agency)
        row.officers.set(officers)
        row.assets.set(assets)
        keep.append(row.pk)
    patrol.participants.exclude(pk__in=keep).delete()


@transaction.atomic
def patrol_save(
    *,
    actor,
    title,
    agreement,
    starts_at,
    ends_at,
    commanding_agency,
    participants,
    sector=None,
    border_sector="",
    route=None,
    notes="",
    patrol=None,
    request=None,
):
    """Plan a joint patrol or change its plan. `participants`: [(agency, officers, assets)]."""
    require_planner(actor, _("Only liaison officers and supervisors plan joint patrols."))
    if patrol is not None:
        patrol = lock_for_change(patrol, actor, _("A completed or cancelled patrol can no longer change."))
    participants = [(agency, list(officers), list(assets)) for agency, officers, assets in participants]
    _validate_patrol(
        actor=actor,
        agreement=agreement,
        starts_at=starts_at,
        ends_at=ends_at,
        commanding_agency=commanding_agency,
        participants=participants,
    )
    check_bookings(
        starts_at=starts_at,
        ends_at=ends_at,
        officers=[o for _a, officers, _s in participants for o in officers],
        assets=[s for _a, _o, assets in participants for s in assets],
        actor=actor,
        patrol=patrol,
    )
    sector, border_sector = _place(actor, agreement, sector, border_sector, commanding_agency)
    created = patrol is None
    patrol = patrol or Patrol(created_by=actor)
    patrol.title, patrol.agreement = title.strip(), agreement
    patrol.sector, patrol.border_sector = sector, border_sector
    patrol.starts_at, patrol.ends_at, patrol.commanding_agency = starts_at, ends_at, commanding_agency
    patrol.route, patrol.notes = route, notes
    patrol.full_clean(exclude=["created_by"])
    patrol.save()
    _set_participants(patrol, participants)
    if not created:
        bump(patrol)
    share(patrol)
    audit.record("patrol.planned" if created else "patrol.changed", actor=actor, obj=patrol, request=request)
    tell_officers(
        patrol, actor, _("Joint patrol planned: %(title)s") if created else _("Joint patrol changed: %(title)s")
    )
    return patrol


def _check_report(patrol, hours, incidents, actor):
    """A report follows a completed patrol, within its hours (and a day), linking only incidents the author sees."""
    if patrol.status != ActivityStatus.COMPLETED:
        raise ValidationError(_("The report is written once the patrol is completed."))
    planned_hours = (patrol.ends_at - patrol.starts_at).total_seconds() / 3600
    if hours is not None and float(hours) > planned_hours + 24:
        raise ValidationError(
            {"hours": _("More hours than the patrol lasted (%(h).0f h planned).") % {"h": planned_hours}}
        )
    visible = set(
        Incident.objects.visible_to(actor).filter(pk__in=[i.pk for i in incidents]).values_list("pk", flat=True)
    )
    hidden = [i for i in incidents if i.pk not in visible]
    if hidden:
        raise ValidationError({"incidents": _("Only incidents you may see can be linked.")})


@transaction.atomic
def patrol_report_save(*, patrol, actor, summary, hours, distance_km, observations="", incidents=(), request=None):
    """The report of a completed patrol; incidents linked must be ones the author may see."""
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    require_manager(actor, patrol)
    incidents = list(incidents)
    _check_report(patrol, hours, incidents, actor)
    report, created = PatrolReport.objects.get_or_create(
        patrol=patrol,
        defaults={"summary": summary, "hours": hours, "distance_km": distance_km, "submitted_by": actor},
    )
    report.summary, report.hours, report.distance_km, report.observations = summary, hours, distance_km, observations
    report.full_clean(exclude=["patrol", "submitted_by"])
    report.save()
    # Links to incidents the author cannot see (another partner's) are kept as they are.
    kept = report.incidents.exclude(pk__in=Incident.objects.visible_to(actor).values("pk"))
    report.incidents.set([*kept, *incidents])
    audit.record(
        "patrol.report_saved",
        actor=actor,
        obj=patrol,
        request=request,
        details={"incidents": sorted(i.pk for i in incidents), "new": created},
    )
    return report


def link_reported_sectors(sender, country_id, **kwargs):
    """Patrols of a country's command whose sector was typed as text point to the sector of that
    code or name once one exists; names that match none stay as reported."""
    for sector in BorderSector.objects.filter(country_id=country_id):
        for name in {sector.code, sector.name}:
            Patrol.objects.filter(
                commanding_agency__country_id=country_id, sector__isnull=True, border_sector__iexact=name
            ).update(sector=sector, border_sector="")
