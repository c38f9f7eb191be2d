"""Courses given under a capacity-building programme: planning one within the programme's dates
for trainees of its participating agencies, and its lifecycle, which records on completion who
completed it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from training.models import ActivityStatus, Course, Programme, Trainee
from training.permissions import require_manager
from training.services.bookings import check_times
from training.services.lifecycle import EDITABLE, check_transition
from training.services.notices import person
from training.services.publishing import bump


def _check_course(programme, starts_at, ends_at, trainees, course):
    check_times(starts_at, ends_at)
    if not (programme.starts_on <= timezone.localdate(starts_at) and timezone.localdate(ends_at) <= programme.ends_on):
        raise ValidationError({"starts_at": _("A course takes place within the programme's dates.")})
    members = set(programme.agencies.values_list("pk", flat=True))
    for trainee in trainees:
        if trainee.agency_id not in members:
            raise ValidationError(
                {"trainees": _("%(person)s is not from a participating agency.") % {"person": person(trainee)}}
            )
    if course is not None and course.status not in EDITABLE:
        raise ValidationError(_("A completed or cancelled course can no longer change."))


def _set_trainees(course, trainees):
    current = {t.user_id: t for t in course.trainees.all()}
    wanted = {t.pk for t in trainees}
    course.trainees.exclude(user_id__in=wanted).delete()
    Trainee.objects.bulk_create([Trainee(course=course, user=t) for t in trainees if t.pk not in current])


@transaction.atomic
def course_save(
    *, programme, actor, title, place, trainer_agency, starts_at, ends_at, trainees, course=None, request=None
):
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    require_manager(actor, programme)
    _check_course(programme, starts_at, ends_at, trainees, course)
    created = course is None
    course = course or Course(programme=programme, created_by=actor)
    course.title, course.place, course.trainer_agency = title.strip(), place.strip(), trainer_agency
    course.starts_at, course.ends_at = starts_at, ends_at
    course.full_clean(exclude=["created_by", "programme"])
    course.save()
    _set_trainees(course, trainees)
    if not created:
        bump(course)
    audit.record(
        "course.saved", actor=actor, obj=course, request=request, details={"programme": programme.pk, "new": created}
    )
    return course


@transaction.atomic
def course_transition(*, course, to_status, actor, reason="", completed=(), request=None):
    """Like a patrol's lifecycle; on completion, who completed it is recorded."""
    require_manager(actor, course.programme)
    course = Course.objects.select_for_update().get(pk=course.pk)
    to_status = check_transition(course, to_status, reason)
    course.status = to_status
    course.cancel_reason = reason.strip() if to_status == ActivityStatus.CANCELLED else ""
    course.save(update_fields=["status", "cancel_reason", "updated_at"])
    if to_status == ActivityStatus.COMPLETED:
        ids = {u.pk for u in completed}
        course.trainees.update(completed=False)
        course.trainees.filter(user_id__in=ids).update(completed=True)
    bump(course)
    audit.record(f"course.{to_status}", actor=actor, obj=course, request=request)
    return course
