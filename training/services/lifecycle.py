"""The lifecycle every patrol, exercise and course follows: planned → under way → completed, or
cancelled with a reason from either of the first two; only planned or under-way work changes.
Holds the moves of patrols and exercises (a course's move, which records completion, is in
`training.services.courses`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from training.models import ActivityStatus, Patrol
from training.permissions import require_manager
from training.services.notices import tell_officers
from training.services.publishing import bump

S = ActivityStatus
TRANSITIONS = {
    S.PLANNED: {S.UNDER_WAY, S.CANCELLED},
    S.UNDER_WAY: {S.COMPLETED, S.CANCELLED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}
EDITABLE = {S.PLANNED, S.UNDER_WAY}


def lock_for_change(activity, actor, refusal):
    """The activity, locked for the change, once the actor may manage it and it may still change;
    `refusal` is what is said when it is completed or cancelled."""
    activity = type(activity).objects.select_for_update().get(pk=activity.pk)
    require_manager(actor, activity)
    if activity.status not in EDITABLE:
        raise ValidationError(refusal)
    return activity


def check_transition(activity, to_status, reason):
    """Whether `activity` may move to `to_status` (a cancellation needs a reason); returns the target status."""
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
    to_status = check_transition(activity, to_status, reason)
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
    bump(activity)
    kind = type(activity).__name__.lower()
    audit.record(
        f"{kind}.{to_status}", actor=actor, obj=activity, request=request, details={"from": old, "reason": reason}
    )
    if to_status == S.CANCELLED:
        tell_officers(activity, actor, _("Cancelled: %(title)s"))
    return activity
