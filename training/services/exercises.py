"""Exercises: planning one or changing it (host and agencies taking part, objectives in order,
assets booked), the people taking part in it, and the injects they receive during play.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from portal import audit
from portal.services import notify
from training.models import Exercise, ExerciseParticipant, Inject, Objective
from training.permissions import require_manager, require_planner, taking_part
from training.services.bookings import check_bookings, check_times
from training.services.lifecycle import lock_for_change
from training.services.notices import person, when
from training.services.publishing import bump, share

# --- Checks of a plan, in the order a planner is told about them -------------------------------


def _agencies_taking_part(actor, host_agency, agencies):
    """{pk: agency} of the host and the others; the planner's own agency must be among them."""
    agencies = {a.pk: a for a in [host_agency, *agencies]}
    if actor.agency_id not in agencies:
        raise ValidationError({"agencies": _("Your own agency must host or take part in the exercise.")})
    return agencies


def _clean_objectives(objectives):
    objectives = [text.strip() for text in objectives if text.strip()]
    if not objectives:
        raise ValidationError({"objectives": _("Give at least one objective.")})
    return objectives


def _check_assets(assets, agencies):
    for asset in assets:
        if asset.agency_id not in agencies or not asset.is_active:
            raise ValidationError(
                {
                    "assets": _("%(asset)s is not an asset in service of an agency taking part.")
                    % {"asset": asset.identifier}
                }
            )


def _people_staying(exercise, agencies):
    """The people already taking part; none may lose their agency from the exercise."""
    people = [p.user for p in exercise.participants.select_related("user")] if exercise else []
    strangers = [p for p in people if p.agency_id not in agencies]
    if strangers:
        raise ValidationError(
            {
                "agencies": _("%(person)s takes part; keep their agency or remove them first.")
                % {"person": person(strangers[0])}
            }
        )
    return people


# --- Writes -----------------------------------------------------------------------------------


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
    require_planner(actor, _("Only liaison officers and supervisors plan exercises."))
    if exercise is not None:
        exercise = lock_for_change(exercise, actor, _("A completed or cancelled exercise can no longer change."))
    check_times(starts_at, ends_at)
    agencies = _agencies_taking_part(actor, host_agency, agencies)
    objectives = _clean_objectives(objectives)
    assets = list(assets)
    _check_assets(assets, agencies)
    people = _people_staying(exercise, agencies)
    check_bookings(starts_at=starts_at, ends_at=ends_at, officers=people, assets=assets, actor=actor, exercise=exercise)
    created = exercise is None
    exercise = exercise or Exercise(created_by=actor)
    exercise.title, exercise.scenario, exercise.description = title.strip(), scenario, description
    exercise.host_agency, exercise.starts_at, exercise.ends_at = host_agency, starts_at, ends_at
    exercise.location = location
    exercise.full_clean(exclude=["created_by"])
    exercise.save()
    exercise.agencies.set([a for pk, a in agencies.items() if pk != host_agency.pk])
    exercise.assets.set(assets)
    _set_objectives(exercise, objectives)
    if not created:
        bump(exercise)
    share(exercise)
    audit.record("exercise.planned" if created else "exercise.changed", actor=actor, obj=exercise, request=request)
    return exercise


@transaction.atomic
def exercise_participant_add(*, exercise, user, role, actor, request=None):
    exercise = lock_for_change(exercise, actor, _("A completed or cancelled exercise can no longer change."))
    if user.agency_id not in {a.pk for a in taking_part(exercise)} or not user.is_active:
        raise ValidationError(
            {"user": _("%(person)s is not a member of an agency taking part.") % {"person": person(user)}}
        )
    if exercise.participants.filter(user=user).exists():
        raise ValidationError({"user": _("%(person)s already takes part.") % {"person": person(user)}})
    check_bookings(
        starts_at=exercise.starts_at,
        ends_at=exercise.ends_at,
        officers=[user],
        assets=[],
        actor=actor,
        exercise=exercise,
    )
    participant = ExerciseParticipant.objects.create(exercise=exercise, user=user, role=role)
    bump(exercise)
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
        body=when(exercise.starts_at, exercise.ends_at),
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
    bump(exercise)
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
                % {"when": when(exercise.starts_at, exercise.ends_at)}
            }
        )
    if not description.strip():
        raise ValidationError({"description": _("Describe the inject.")})
    inject = Inject.objects.create(exercise=exercise, at=at, description=description.strip(), recipient=recipient)
    audit.record("exercise.inject_added", actor=actor, obj=exercise, request=request, details={"inject": inject.pk})
    return inject
