"""Lessons learned from an exercise: the after-action report, observations against its
objectives, and corrective actions, including the loop that closes an action changing an SOP
when a new version of that SOP's document is uploaded (`close_actions_for_new_version`,
connected to `document_version_added` in `TrainingConfig.ready`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Agreement
from portal import audit
from portal.models import User
from portal.services import notify
from training.models import ActionStatus, ActivityStatus, AfterActionReport, CorrectiveAction, Exercise, Observation
from training.permissions import require_manager, taking_part
from training.selectors import sop_documents_for


@transaction.atomic
def after_action_save(*, exercise, actor, summary, lessons_learned, request=None):
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    require_manager(actor, exercise)
    if exercise.status != ActivityStatus.COMPLETED:
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


def _refuse_closing_by_hand(action, actor):
    """An action that changes an SOP closes only with the SOP's new version.

    The document is named only to an actor whose country is party to the SOP.
    """
    if Agreement.objects.visible_to(actor).filter(pk=action.sop_document.agreement_id).exists():
        raise ValidationError(
            _("This action changes the SOP document “%(doc)s”: it closes when a new version is uploaded there.")
            % {"doc": action.sop_document.title}
        )
    raise ValidationError(
        _("This action changes an SOP of another party: it closes when a new version is uploaded there.")
    )


@transaction.atomic
def corrective_action_update(*, action, actor, status, closing_note="", request=None):
    """Move an action along; one that changes an SOP closes only with the SOP's new version."""
    action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    require_manager(actor, action.exercise)
    if action.status == ActionStatus.CLOSED:
        raise ValidationError(_("This action is closed."))
    if status == ActionStatus.CLOSED:
        if action.sop_document_id:
            _refuse_closing_by_hand(action, actor)
        if not closing_note.strip():
            raise ValidationError({"closing_note": _("Say how the action was carried out.")})
        action.closed_at, action.closed_by, action.closing_note = timezone.now(), actor, closing_note.strip()
    action.status = status
    action.save()
    audit.record("exercise.action_updated", actor=actor, obj=action, request=request, details={"status": status})
    return action


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
