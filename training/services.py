"""Writes of joint patrols, exercises and programmes.

Every service checks who acts, validates, writes the audit log, raises the calendar SEQUENCE of
what it changes, and keeps the object's visibility (guardian permissions of the countries taking
part) in the same transaction.
"""

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agreements.models import Agreement, AgreementKind
from agreements.services import document_version_added
from incidents.models import Incident
from portal import audit, gate
from portal.models import User
from portal.services import notify
from training.models import (
    OCCUPYING,
    ActionStatus,
    ActivityStatus,
    AfterActionReport,
    Asset,
    CalendarFeed,
    CorrectiveAction,
    Course,
    Exercise,
    ExerciseParticipant,
    FundingSource,
    Indicator,
    Inject,
    Measurement,
    Objective,
    Observation,
    Patrol,
    PatrolParticipant,
    PatrolReport,
    Programme,
    Spending,
    Trainee,
)

S = ActivityStatus
TRANSITIONS = {
    S.PLANNED: {S.UNDER_WAY, S.CANCELLED},
    S.UNDER_WAY: {S.COMPLETED, S.CANCELLED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}
EDITABLE = {S.PLANNED, S.UNDER_WAY}


# --- Who may write ----------------------------------------------------------------------------


def is_planner(user):
    """Liaison officers and supervisors plan and review joint work."""
    return (
        getattr(user, "api_key", None) is None
        and (getattr(user, "is_liaison", False) or getattr(user, "is_supervisor", False))
        and gate.principal_group_id(user) is not None
    )


def can_manage(user, obj):
    """Planners of an agency taking part (for a programme, also of the funding state)."""
    if not is_planner(user):
        return False
    if isinstance(obj, Programme):
        return obj.funder_country_id == user.agency.country_id or obj.agencies.filter(pk=user.agency_id).exists()
    return user.agency_id in {agency.pk for agency in taking_part(obj)}


def require_manager(user, obj):
    if not can_manage(user, obj):
        raise PermissionDenied(_("Only liaison officers and supervisors of an agency taking part may change this."))


def taking_part(obj):
    """The agencies of a patrol or an exercise, the commander or host first."""
    if isinstance(obj, Patrol):
        agencies = [p.agency for p in obj.participants.select_related("agency")]
        lead = obj.commanding_agency
    else:
        agencies = list(obj.agencies.all())
        lead = obj.host_agency
    return [lead, *[a for a in agencies if a.pk != lead.pk]]


def _share(obj):
    """Visible to exactly the countries taking part (and the funder of a programme)."""
    if isinstance(obj, Programme):
        countries = {agency.country for agency in obj.agencies.select_related("country")}
        if obj.funder_country_id:
            countries.add(obj.funder_country)
    else:
        countries = {agency.country for agency in taking_part(obj)}
    gate.share_with_countries(obj, countries)


def _bump(obj):
    """Raise the calendar SEQUENCE: every change of what a subscriber sees counts."""
    type(obj).objects.filter(pk=obj.pk).update(sequence=F("sequence") + 1, updated_at=timezone.now())
    obj.refresh_from_db(fields=["sequence", "updated_at"])


def _check_times(starts_at, ends_at):
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must come after the start.")})


def _when(starts_at, ends_at):
    start = date_format(timezone.localtime(starts_at), "SHORT_DATETIME_FORMAT")
    end = date_format(timezone.localtime(ends_at), "SHORT_DATETIME_FORMAT")
    return f"{start} to {end}"


# --- Double booking ---------------------------------------------------------------------------


def _person(user):
    return user.get_full_name() or user.username


def _busy(activity, label, actor):
    """How a conflicting activity is named: only the actor's own activities are named."""
    if type(activity).objects.visible_to(actor).filter(pk=activity.pk).exists():
        return _("%(what)s “%(title)s” (%(when)s)") % {
            "what": label,
            "title": activity.title,
            "when": _when(activity.starts_at, activity.ends_at),
        }
    return _("another activity not shared with your country")


def check_bookings(*, starts_at, ends_at, officers, assets, actor, patrol=None, exercise=None):
    """Refuse officers or assets already committed to an overlapping patrol or exercise.

    The rows of the people and assets are locked first, so that two planners booking the same
    officer at once are serialised and the second sees the first's booking.
    """
    officers, assets = list(officers), list(assets)
    User.objects.select_for_update().filter(pk__in=[o.pk for o in officers]).order_by("pk").exists()
    Asset.objects.select_for_update().filter(pk__in=[a.pk for a in assets]).order_by("pk").exists()
    overlapping = {"starts_at__lt": ends_at, "ends_at__gt": starts_at, "status__in": OCCUPYING}
    patrols = Patrol.objects.filter(**overlapping).exclude(pk=getattr(patrol, "pk", None))
    exercises = Exercise.objects.filter(**overlapping).exclude(pk=getattr(exercise, "pk", None))
    problems = []
    for officer in officers:
        clash = patrols.filter(participants__officers=officer).first()
        label = _("joint patrol")
        if clash is None:
            clash, label = exercises.filter(participants__user=officer).first(), _("exercise")
        if clash is not None:
            problems.append(
                _("%(person)s is already booked on %(activity)s.")
                % {"person": _person(officer), "activity": _busy(clash, label, actor)}
            )
    for asset in assets:
        clash, label = patrols.filter(participants__assets=asset).first(), _("joint patrol")
        if clash is None:
            clash, label = exercises.filter(assets=asset).first(), _("exercise")
        if clash is not None:
            problems.append(
                _("%(asset)s is already booked on %(activity)s.")
                % {"asset": f"{asset.get_kind_display()} {asset.identifier}", "activity": _busy(clash, label, actor)}
            )
    if problems:
        raise ValidationError(problems)


# --- Assets -----------------------------------------------------------------------------------


@transaction.atomic
def asset_save(*, actor, kind, identifier, name, is_active=True, asset=None, request=None):
    if not is_planner(actor) and not getattr(actor, "is_agency_admin", False):
        raise PermissionDenied(_("Only liaison officers, supervisors and agency administrators register assets."))
    identifier = identifier.strip()
    agency = actor.agency
    if asset is not None and asset.agency_id != agency.pk:
        raise PermissionDenied(_("This asset belongs to another agency."))
    if (
        Asset.objects.filter(agency=agency, identifier__iexact=identifier)
        .exclude(pk=getattr(asset, "pk", None))
        .exists()
    ):
        raise ValidationError(
            {"identifier": _("Your agency already registered an asset as %(id)s.") % {"id": identifier}}
        )
    asset = asset or Asset(agency=agency)
    asset.kind, asset.identifier, asset.name, asset.is_active = kind, identifier, name.strip(), is_active
    asset.full_clean()
    asset.save()
    audit.record("asset.saved", actor=actor, obj=asset, request=request)
    return asset


# --- Joint patrols ----------------------------------------------------------------------------


def _validate_patrol(*, actor, agreement, starts_at, ends_at, commanding_agency, participants):
    _check_times(starts_at, ends_at)
    if not Agreement.objects.visible_to(actor).filter(pk=agreement.pk).exists():
        raise ValidationError({"agreement": _("Choose an agreement your country is party to.")})
    agencies = [agency for agency, _officers, _assets in participants]
    if commanding_agency not in agencies:
        raise ValidationError({"commanding_agency": _("The commanding agency must take part in the patrol.")})
    if len({a.pk for a in agencies}) != len(agencies):
        raise ValidationError({"participants": _("Each agency takes part once.")})
    if len({a.country_id for a in agencies}) < 2:
        raise ValidationError({"participants": _("A joint patrol needs agencies of at least two countries.")})
    if actor.agency_id not in {a.pk for a in agencies}:
        raise ValidationError({"participants": _("Your own agency must take part in the patrol.")})
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
    for agency, officers, assets in participants:
        for officer in officers:
            if officer.agency_id != agency.pk or not officer.is_active:
                raise ValidationError(
                    {
                        "participants": _("%(person)s is not an active officer of %(agency)s.")
                        % {"person": _person(officer), "agency": agency.code}
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


@transaction.atomic
def patrol_save(
    *,
    actor,
    title,
    agreement,
    border_sector,
    starts_at,
    ends_at,
    commanding_agency,
    participants,
    route=None,
    notes="",
    patrol=None,
    request=None,
):
    """Plan a joint patrol or change its plan. `participants`: [(agency, officers, assets)]."""
    if not is_planner(actor):
        raise PermissionDenied(_("Only liaison officers and supervisors plan joint patrols."))
    if patrol is not None:
        patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
        require_manager(actor, patrol)
        if patrol.status not in EDITABLE:
            raise ValidationError(_("A completed or cancelled patrol can no longer change."))
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
    created = patrol is None
    patrol = patrol or Patrol(created_by=actor)
    patrol.title, patrol.agreement, patrol.border_sector = title.strip(), agreement, border_sector.strip()
    patrol.starts_at, patrol.ends_at, patrol.commanding_agency = starts_at, ends_at, commanding_agency
    patrol.route, patrol.notes = route, notes
    patrol.full_clean(exclude=["created_by"])
    patrol.save()
    keep = []
    for agency, officers, assets in participants:
        row, _created = PatrolParticipant.objects.get_or_create(patrol=patrol, agency=agency)
        row.officers.set(officers)
        row.assets.set(assets)
        keep.append(row.pk)
    patrol.participants.exclude(pk__in=keep).delete()
    if not created:
        _bump(patrol)
    _share(patrol)
    audit.record("patrol.planned" if created else "patrol.changed", actor=actor, obj=patrol, request=request)
    _tell_officers(
        patrol, actor, _("Joint patrol planned: %(title)s") if created else _("Joint patrol changed: %(title)s")
    )
    return patrol


def _tell_officers(activity, actor, title):
    if isinstance(activity, Patrol):
        people = User.objects.filter(pk__in=activity.participants.values("officers"))
        url = reverse("training:patrol_detail", args=[activity.pk])
    else:
        people = User.objects.filter(pk__in=activity.participants.values("user"))
        url = reverse("training:exercise_detail", args=[activity.pk])
    notify(
        users=[p for p in people if p.pk != getattr(actor, "pk", None)],
        title=title % {"title": activity.title},
        body=_when(activity.starts_at, activity.ends_at),
        url=url,
    )


def _check_transition(activity, to_status, reason):
    """The lifecycle every patrol, exercise and course follows; returns the target status."""
    to_status = ActivityStatus(to_status)
    if to_status not in TRANSITIONS[ActivityStatus(activity.status)]:
        raise ValidationError(
            _("A %(from)s activity cannot become %(to)s.")
            % {"from": activity.get_status_display().lower(), "to": to_status.label.lower()}
        )
    if to_status == S.CANCELLED and not reason.strip():
        raise ValidationError({"reason": _("Say why it is cancelled.")})
    return to_status


@transaction.atomic
def activity_transition(*, activity, to_status, actor, reason="", request=None):
    """planned → under way → completed; cancelled (with a reason) from either of the first two."""
    activity = type(activity).objects.select_for_update().get(pk=activity.pk)
    require_manager(actor, activity)
    to_status = _check_transition(activity, to_status, reason)
    if (
        to_status == S.UNDER_WAY
        and isinstance(activity, Patrol)
        and not activity.agreement.in_force_on(timezone.localdate())
    ):
        raise ValidationError(_("The governing agreement is not in force today."))
    old = activity.status
    activity.status = to_status
    if to_status == S.CANCELLED:
        activity.cancel_reason = reason.strip()
    activity.save(update_fields=["status", "cancel_reason", "updated_at"])
    _bump(activity)
    kind = type(activity).__name__.lower()
    audit.record(
        f"{kind}.{to_status}", actor=actor, obj=activity, request=request, details={"from": old, "reason": reason}
    )
    if to_status == S.CANCELLED:
        _tell_officers(activity, actor, _("Cancelled: %(title)s"))
    return activity


@transaction.atomic
def patrol_report_save(*, patrol, actor, summary, hours, distance_km, observations="", incidents=(), request=None):
    """The report of a completed patrol; incidents linked must be ones the author may see."""
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    require_manager(actor, patrol)
    if patrol.status != S.COMPLETED:
        raise ValidationError(_("The report is written once the patrol is completed."))
    planned_hours = (patrol.ends_at - patrol.starts_at).total_seconds() / 3600
    if hours is not None and float(hours) > planned_hours + 24:
        raise ValidationError(
            {"hours": _("More hours than the patrol lasted (%(h).0f h planned).") % {"h": planned_hours}}
        )
    incidents = list(incidents)
    visible = set(
        Incident.objects.visible_to(actor).filter(pk__in=[i.pk for i in incidents]).values_list("pk", flat=True)
    )
    hidden = [i for i in incidents if i.pk not in visible]
    if hidden:
        raise ValidationError({"incidents": _("Only incidents you may see can be linked.")})
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


# --- Exercises --------------------------------------------------------------------------------


@transaction.atomic
def exercise_save(
    *,
    actor,
    title,
    scenario,
    host_agency,
    agencies,
    starts_at,
    ends_at,
    objectives,
    description="",
    location="",
    assets=(),
    exercise=None,
    request=None,
):
    """Plan an exercise or change it. `objectives`: their texts, in order."""
    if not is_planner(actor):
        raise PermissionDenied(_("Only liaison officers and supervisors plan exercises."))
    if exercise is not None:
        exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
        require_manager(actor, exercise)
        if exercise.status not in EDITABLE:
            raise ValidationError(_("A completed or cancelled exercise can no longer change."))
    _check_times(starts_at, ends_at)
    agencies = {a.pk: a for a in [host_agency, *agencies]}
    if actor.agency_id not in agencies:
        raise ValidationError({"agencies": _("Your own agency must host or take part in the exercise.")})
    objectives = [text.strip() for text in objectives if text.strip()]
    if not objectives:
        raise ValidationError({"objectives": _("Give at least one objective.")})
    assets = list(assets)
    for asset in assets:
        if asset.agency_id not in agencies or not asset.is_active:
            raise ValidationError(
                {
                    "assets": _("%(asset)s is not an asset in service of an agency taking part.")
                    % {"asset": asset.identifier}
                }
            )
    people = [p.user for p in exercise.participants.select_related("user")] if exercise else []
    strangers = [p for p in people if p.agency_id not in agencies]
    if strangers:
        raise ValidationError(
            {
                "agencies": _("%(person)s takes part; keep their agency or remove them first.")
                % {"person": _person(strangers[0])}
            }
        )
    check_bookings(starts_at=starts_at, ends_at=ends_at, officers=people, assets=assets, actor=actor, exercise=exercise)
    created = exercise is None
    exercise = exercise or Exercise(created_by=actor)
    exercise.title, exercise.scenario, exercise.description = title.strip(), scenario, description
    exercise.host_agency, exercise.starts_at, exercise.ends_at, exercise.location = (
        host_agency,
        starts_at,
        ends_at,
        location,
    )
    exercise.full_clean(exclude=["created_by"])
    exercise.save()
    exercise.agencies.set([a for pk, a in agencies.items() if pk != host_agency.pk])
    exercise.assets.set(assets)
    _set_objectives(exercise, objectives)
    if not created:
        _bump(exercise)
    _share(exercise)
    audit.record("exercise.planned" if created else "exercise.changed", actor=actor, obj=exercise, request=request)
    return exercise


def _set_objectives(exercise, texts):
    current = {o.text: o for o in exercise.objectives.all()}
    for position, text in enumerate(texts):
        objective = current.pop(text, None) or Objective(exercise=exercise, text=text)
        objective.position = position
        objective.save()
    for objective in current.values():
        if objective.observations.exists():
            raise ValidationError(
                {"objectives": _("“%(text)s” has observations and cannot be removed.") % {"text": objective.text}}
            )
        objective.delete()


@transaction.atomic
def exercise_participant_add(*, exercise, user, role, actor, request=None):
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    require_manager(actor, exercise)
    if exercise.status not in EDITABLE:
        raise ValidationError(_("A completed or cancelled exercise can no longer change."))
    if user.agency_id not in {a.pk for a in taking_part(exercise)} or not user.is_active:
        raise ValidationError(
            {"user": _("%(person)s is not a member of an agency taking part.") % {"person": _person(user)}}
        )
    if exercise.participants.filter(user=user).exists():
        raise ValidationError({"user": _("%(person)s already takes part.") % {"person": _person(user)}})
    check_bookings(
        starts_at=exercise.starts_at,
        ends_at=exercise.ends_at,
        officers=[user],
        assets=[],
        actor=actor,
        exercise=exercise,
    )
    participant = ExerciseParticipant.objects.create(exercise=exercise, user=user, role=role)
    _bump(exercise)
    audit.record(
        "exercise.participant_added",
        actor=actor,
        obj=exercise,
        request=request,
        details={"user": user.pk, "role": role},
    )
    notify(
        users=[user],
        title=_("You take part in the exercise %(title)s as %(role)s")
        % {"title": exercise.title, "role": participant.get_role_display().lower()},
        body=_when(exercise.starts_at, exercise.ends_at),
        url=reverse("training:exercise_detail", args=[exercise.pk]),
    )
    return participant


@transaction.atomic
def exercise_participant_remove(*, participant, actor, request=None):
    exercise = Exercise.objects.select_for_update().get(pk=participant.exercise_id)
    require_manager(actor, exercise)
    if participant.injects.exists():
        raise ValidationError(_("This participant receives injects; move or remove them first."))
    participant.delete()
    _bump(exercise)
    audit.record(
        "exercise.participant_removed",
        actor=actor,
        obj=exercise,
        request=request,
        details={"user": participant.user_id},
    )


@transaction.atomic
def inject_add(*, exercise, at, description, recipient, actor, request=None):
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    require_manager(actor, exercise)
    if recipient.exercise_id != exercise.pk:
        raise ValidationError({"recipient": _("The recipient must take part in this exercise.")})
    if not (exercise.starts_at <= at <= exercise.ends_at):
        raise ValidationError(
            {
                "at": _("An inject happens during the exercise (%(when)s).")
                % {"when": _when(exercise.starts_at, exercise.ends_at)}
            }
        )
    if not description.strip():
        raise ValidationError({"description": _("Describe the inject.")})
    inject = Inject.objects.create(exercise=exercise, at=at, description=description.strip(), recipient=recipient)
    audit.record("exercise.inject_added", actor=actor, obj=exercise, request=request, details={"inject": inject.pk})
    return inject


@transaction.atomic
def after_action_save(*, exercise, actor, summary, lessons_learned, request=None):
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    require_manager(actor, exercise)
    if exercise.status != S.COMPLETED:
        raise ValidationError(_("The after-action report is written once the exercise is completed."))
    if not summary.strip() or not lessons_learned.strip():
        raise ValidationError(_("Give a summary and the lessons learned."))
    report, created = AfterActionReport.objects.update_or_create(
        exercise=exercise,
        defaults={"summary": summary.strip(), "lessons_learned": lessons_learned.strip(), "submitted_by": actor},
    )
    audit.record("exercise.after_action_saved", actor=actor, obj=exercise, request=request, details={"new": created})
    return report


@transaction.atomic
def observation_add(*, objective, kind, text, actor, request=None):
    exercise = objective.exercise
    require_manager(actor, exercise)
    if not hasattr(exercise, "after_action"):
        raise ValidationError(_("Write the after-action report first."))
    if not text.strip():
        raise ValidationError({"text": _("Write the observation.")})
    observation = Observation.objects.create(objective=objective, kind=kind, text=text.strip())
    audit.record(
        "exercise.observation_added", actor=actor, obj=exercise, request=request, details={"objective": objective.pk}
    )
    return observation


def sop_documents_for(user):
    """Documents of SOPs the user's country is party to: what corrective actions may change."""
    from agreements.models import AgreementDocument

    return AgreementDocument.objects.filter(
        agreement__in=Agreement.objects.visible_to(user).filter(kind=AgreementKind.SOP)
    ).select_related("agreement")


@transaction.atomic
def corrective_action_add(*, exercise, actor, description, owner_agency, due_on, sop_document=None, request=None):
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    require_manager(actor, exercise)
    if not hasattr(exercise, "after_action"):
        raise ValidationError(_("Write the after-action report first."))
    if owner_agency.pk not in {a.pk for a in taking_part(exercise)}:
        raise ValidationError({"owner_agency": _("The owner must be an agency that took part.")})
    if sop_document is not None and not sop_documents_for(actor).filter(pk=sop_document.pk).exists():
        raise ValidationError({"sop_document": _("Choose a document of an SOP your country is party to.")})
    if not description.strip():
        raise ValidationError({"description": _("Describe the action.")})
    action = CorrectiveAction.objects.create(
        exercise=exercise,
        description=description.strip(),
        owner_agency=owner_agency,
        due_on=due_on,
        sop_document=sop_document,
    )
    audit.record("exercise.action_added", actor=actor, obj=action, request=request, details={"exercise": exercise.pk})
    return action


@transaction.atomic
def corrective_action_update(*, action, actor, status, closing_note="", request=None):
    """Move an action along; one that changes an SOP closes only with the SOP's new version."""
    action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    require_manager(actor, action.exercise)
    if action.status == ActionStatus.CLOSED:
        raise ValidationError(_("This action is closed."))
    if status == ActionStatus.CLOSED:
        if action.sop_document_id:
            # The document is named only to an actor whose country is party to the SOP.
            if Agreement.objects.visible_to(actor).filter(pk=action.sop_document.agreement_id).exists():
                raise ValidationError(
                    _("This action changes the SOP document “%(doc)s”: it closes when a new version is uploaded there.")
                    % {"doc": action.sop_document.title}
                )
            raise ValidationError(
                _("This action changes an SOP of another party: it closes when a new version is uploaded there.")
            )
        if not closing_note.strip():
            raise ValidationError({"closing_note": _("Say how the action was carried out.")})
        action.closed_at, action.closed_by, action.closing_note = timezone.now(), actor, closing_note.strip()
    action.status = status
    action.save()
    audit.record("exercise.action_updated", actor=actor, obj=action, request=request, details={"status": status})
    return action


@receiver(document_version_added)
def close_actions_for_new_version(sender, version, actor, request=None, **kwargs):
    """The lessons-learned loop: a new version of an SOP document closes the actions waiting for it."""
    waiting = (
        CorrectiveAction.objects.select_for_update()
        .filter(sop_document=version.document_id, created_at__lt=version.uploaded_at)
        .exclude(status=ActionStatus.CLOSED)
    )
    for action in waiting:
        action.status = ActionStatus.CLOSED
        action.closed_by_version = version
        action.closed_at = timezone.now()
        action.closed_by = actor
        action.closing_note = _("Closed by version %(n)s of “%(doc)s”.") % {
            "n": version.number,
            "doc": version.document.title,
        }
        action.save()
        audit.record(
            "exercise.action_closed_by_sop", actor=actor, obj=action, request=request, details={"version": version.pk}
        )
        notify(
            users=User.objects.filter(pk__in=action.exercise.participants.values("user"), is_liaison=True),
            title=_("Corrective action closed: %(action)s") % {"action": str(action)},
            url=reverse("training:exercise_detail", args=[action.exercise_id]),
        )


# --- Programmes -------------------------------------------------------------------------------


@transaction.atomic
def programme_save(
    *,
    actor,
    title,
    source_kind,
    funder_name,
    budget,
    starts_on,
    ends_on,
    agencies,
    funder_country=None,
    currency="EUR",
    description="",
    programme=None,
    request=None,
):
    if not is_planner(actor):
        raise PermissionDenied(_("Only liaison officers and supervisors manage programmes."))
    if programme is not None:
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        require_manager(actor, programme)
    agencies = list(agencies)
    if not agencies:
        raise ValidationError({"agencies": _("Choose the participating agencies.")})
    if source_kind == FundingSource.PARTNER_STATE and funder_country is None:
        raise ValidationError({"funder_country": _("Name the funding state.")})
    if source_kind != FundingSource.PARTNER_STATE:
        funder_country = None
    if (
        actor.agency_id not in {a.pk for a in agencies}
        and getattr(funder_country, "pk", None) != actor.agency.country_id
    ):
        raise ValidationError({"agencies": _("Your agency must take part, or your state fund the programme.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end must come after the start.")})
    if programme is not None:
        spent = programme.spending.aggregate(total=Sum("amount"))["total"] or 0
        if budget < spent:
            raise ValidationError(
                {"budget": _("%(spent)s is already spent; the budget cannot be lower.") % {"spent": spent}}
            )
    created = programme is None
    programme = programme or Programme(created_by=actor)
    programme.title, programme.description, programme.source_kind = title.strip(), description, source_kind
    programme.funder_name, programme.funder_country, programme.budget = funder_name.strip(), funder_country, budget
    programme.currency, programme.starts_on, programme.ends_on = currency.upper(), starts_on, ends_on
    programme.full_clean(exclude=["created_by"])
    programme.save()
    programme.agencies.set(agencies)
    _share(programme)
    audit.record("programme.saved", actor=actor, obj=programme, request=request, details={"new": created})
    return programme


@transaction.atomic
def spending_add(*, programme, actor, spent_on, amount, description, request=None):
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    require_manager(actor, programme)
    spent = programme.spending.aggregate(total=Sum("amount"))["total"] or 0
    if spent + amount > programme.budget:
        raise ValidationError(
            {
                "amount": _("This exceeds the budget: %(left)s %(cur)s is left.")
                % {"left": programme.budget - spent, "cur": programme.currency}
            }
        )
    item = Spending.objects.create(
        programme=programme, spent_on=spent_on, amount=amount, description=description.strip()
    )
    audit.record(
        "programme.spending_added", actor=actor, obj=programme, request=request, details={"amount": str(amount)}
    )
    return item


@transaction.atomic
def course_save(
    *, programme, actor, title, place, trainer_agency, starts_at, ends_at, trainees, course=None, request=None
):
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    require_manager(actor, programme)
    _check_times(starts_at, ends_at)
    if not (programme.starts_on <= timezone.localdate(starts_at) and timezone.localdate(ends_at) <= programme.ends_on):
        raise ValidationError({"starts_at": _("A course takes place within the programme's dates.")})
    members = set(programme.agencies.values_list("pk", flat=True))
    for trainee in trainees:
        if trainee.agency_id not in members:
            raise ValidationError(
                {"trainees": _("%(person)s is not from a participating agency.") % {"person": _person(trainee)}}
            )
    if course is not None and course.status not in EDITABLE:
        raise ValidationError(_("A completed or cancelled course can no longer change."))
    created = course is None
    course = course or Course(programme=programme, created_by=actor)
    course.title, course.place, course.trainer_agency = title.strip(), place.strip(), trainer_agency
    course.starts_at, course.ends_at = starts_at, ends_at
    course.full_clean(exclude=["created_by", "programme"])
    course.save()
    current = {t.user_id: t for t in course.trainees.all()}
    wanted = {t.pk for t in trainees}
    course.trainees.exclude(user_id__in=wanted).delete()
    Trainee.objects.bulk_create([Trainee(course=course, user=t) for t in trainees if t.pk not in current])
    if not created:
        _bump(course)
    audit.record(
        "course.saved", actor=actor, obj=course, request=request, details={"programme": programme.pk, "new": created}
    )
    return course


@transaction.atomic
def course_transition(*, course, to_status, actor, reason="", completed=(), request=None):
    """Like a patrol's lifecycle; on completion, who completed it is recorded."""
    require_manager(actor, course.programme)
    course = Course.objects.select_for_update().get(pk=course.pk)
    to_status = _check_transition(course, to_status, reason)
    course.status = to_status
    course.cancel_reason = reason.strip() if to_status == S.CANCELLED else ""
    course.save(update_fields=["status", "cancel_reason", "updated_at"])
    if to_status == S.COMPLETED:
        ids = {u.pk for u in completed}
        course.trainees.update(completed=False)
        course.trainees.filter(user_id__in=ids).update(completed=True)
    _bump(course)
    audit.record(f"course.{to_status}", actor=actor, obj=course, request=request)
    return course


@transaction.atomic
def indicator_save(*, programme, actor, name, baseline, target, unit="", request=None):
    require_manager(actor, programme)
    if baseline == target:
        raise ValidationError({"target": _("The target must differ from the baseline.")})
    indicator = Indicator.objects.create(
        programme=programme, name=name.strip(), unit=unit.strip(), baseline=baseline, target=target
    )
    audit.record(
        "programme.indicator_added", actor=actor, obj=programme, request=request, details={"indicator": indicator.pk}
    )
    return indicator


@transaction.atomic
def measurement_add(*, indicator, actor, measured_on, value, request=None):
    require_manager(actor, indicator.programme)
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("A measurement cannot be in the future.")})
    if indicator.measurements.filter(measured_on=measured_on).exists():
        raise ValidationError({"measured_on": _("A value was already recorded on that day.")})
    measurement = Measurement.objects.create(indicator=indicator, measured_on=measured_on, value=value)
    audit.record(
        "programme.measurement_added",
        actor=actor,
        obj=indicator.programme,
        request=request,
        details={"indicator": indicator.pk, "value": str(value)},
    )
    return measurement


# --- Calendar feed ----------------------------------------------------------------------------


def feed_token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_issue(*, user, request=None):
    """A new secret feed address for the user; the previous one stops working. Returns the token."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": feed_token_hash(token), "created_at": timezone.now(), "last_used_at": None}
    )
    audit.record("calendar_feed.issued", actor=user, obj=user, request=request)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user, request=None):
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        audit.record("calendar_feed.revoked", actor=user, obj=user, request=request)
    return bool(deleted)


def calendar_feed_user(token):
    """The person whose feed this token opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user__agency__country").filter(token_hash=feed_token_hash(token)).first()
    )
    if feed is None or not feed.user.is_active:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > datetime.timedelta(minutes=5):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user
