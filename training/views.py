"""Pages of joint patrols, exercises, programmes and the calendar.

Every page starts from the gate (`training.selectors`): whoever does not take part gets 404.
Who may act is asked of `training.permissions`; writes go through the `training.services`
modules, which check again. Form pages are built by `training.views_helpers.form_page`.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from portal import audit
from portal.views.helpers import perform
from training import forms, permissions, selectors
from training.charts import indicator_chart
from training.ical import calendar_document
from training.models import ActivityStatus, Asset, CorrectiveAction, Course, ExerciseParticipant, Indicator
from training.services import assets, courses, exercises, lessons, patrols, programmes
from training.services.calendar import calendar_feed_issue, calendar_feed_revoke, calendar_feed_user
from training.services.lifecycle import EDITABLE, TRANSITIONS, activity_transition
from training.views_helpers import form_page, posted

TRANSITION_ACTIONS = {
    ActivityStatus.UNDER_WAY: gettext_lazy("Start"),
    ActivityStatus.COMPLETED: gettext_lazy("Mark completed"),
    ActivityStatus.CANCELLED: gettext_lazy("Cancel"),
}


def _require_may_plan(user, plan=None):
    """Planners open the planning pages; an existing plan is changed only by its managers."""
    permissions.require_planner(user)
    if plan is not None:
        permissions.require_manager(user, plan)


def _managed(user, get, pk):
    """The patrol, exercise or programme `get(user, pk)` reads, once the user may manage it."""
    obj = get(user, pk)
    permissions.require_manager(user, obj)
    return obj


def _part_page(request, parent, form, *, title, success, save, extra=None):
    """A form page for a part of an exercise or programme (a participant, an inject, spending...):
    back to the exercise or programme afterwards."""
    return form_page(
        request,
        form,
        title=title,
        cancel_url=parent.get_absolute_url(),
        save=save,
        next_url=parent.get_absolute_url(),
        success=success,
        extra=extra,
    )


def _list_page(request, filter_form, search, template, **extra):
    data = filter_form.cleaned_data if filter_form.is_valid() else {}
    page = Paginator(search(request.user, **{k: v for k, v in data.items() if v not in (None, "")}), 25).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "filters": filter_form,
            "page": page,
            "query": query.urlencode(),
            "can_plan": permissions.is_planner(request.user),
            **extra,
        },
    )


def _transitions(user, activity):
    if not permissions.can_manage(user, activity):
        return []
    allowed = TRANSITIONS[ActivityStatus(activity.status)]
    return [(status, label) for status, label in TRANSITION_ACTIONS.items() if status in allowed]


def _transition_page(request, activity, target, detail_url):
    # Only the steps a person can take have a page; "planned" is where things start.
    if target not in TRANSITION_ACTIONS:
        raise Http404
    target = ActivityStatus(target)
    permissions.require_manager(request.user, activity.programme if isinstance(activity, Course) else activity)
    form = forms.TransitionForm(posted(request))
    if target != ActivityStatus.CANCELLED:
        del form.fields["reason"]

    def save(data):
        if isinstance(activity, Course):
            return courses.course_transition(
                course=activity, to_status=target, actor=request.user, request=request, reason=data.get("reason", "")
            )
        return activity_transition(
            activity=activity, to_status=target, actor=request.user, request=request, reason=data.get("reason", "")
        )

    return form_page(
        request,
        form,
        title=f"{TRANSITION_ACTIONS[target]}: {activity.title}",
        cancel_url=detail_url,
        save=save,
        next_url=detail_url,
        success=_("%(title)s is now %(status)s.") % {"title": activity.title, "status": target.label.lower()},
        extra={"danger": target == ActivityStatus.CANCELLED, "button": TRANSITION_ACTIONS[target]},
    )


# --- Joint patrols ----------------------------------------------------------------------------


@login_required
def patrol_list(request):
    return _list_page(
        request, forms.PatrolFilterForm(request.GET or None), selectors.patrol_search, "training/patrol_list.html"
    )


def _patrol_form_page(request, patrol=None):
    _require_may_plan(request.user, patrol)
    form = forms.PatrolForm(posted(request), user=request.user, patrol=patrol)

    def save(data):
        try:
            participants = form.participant_list()
        except ValidationError as exc:
            raise ValidationError({"officers": exc.messages}) from exc
        return patrols.patrol_save(
            actor=request.user, request=request, patrol=patrol, participants=participants, **form.patrol_fields()
        )

    return form_page(
        request,
        form,
        title=_("Change the joint patrol") if patrol else _("Plan a joint patrol"),
        cancel_url=reverse("training:patrol_detail", args=[patrol.pk]) if patrol else reverse("training:patrol_list"),
        save=save,
        next_url=lambda saved: reverse("training:patrol_detail", args=[saved.pk]),
        success=_("The joint patrol was saved; the officers were told."),
        template="training/patrol_form.html",
        extra={"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION},
    )


@login_required
@require_http_methods(["GET", "POST"])
def patrol_create(request):
    return _patrol_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def patrol_edit(request, pk):
    return _patrol_form_page(request, selectors.patrol_get(request.user, pk))


@login_required
def patrol_detail(request, pk):
    patrol = selectors.patrol_get(request.user, pk)
    report = getattr(patrol, "report", None)
    manage = permissions.can_manage(request.user, patrol)
    found = list(selectors.report_incidents(request.user, report)) if report else []
    return render(
        request,
        "training/patrol_detail.html",
        {
            "patrol": patrol,
            "participants": patrol.participants.select_related("agency__country").prefetch_related(
                "officers", "assets"
            ),
            "report": report,
            "report_incidents": found,
            "exercise_on_page": any(incident.is_exercise for incident in found),
            "can_manage": manage,
            "editable": manage and patrol.status in EDITABLE,
            "transitions": _transitions(request.user, patrol),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def patrol_transition(request, pk, target):
    patrol = selectors.patrol_get(request.user, pk)
    return _transition_page(request, patrol, target, reverse("training:patrol_detail", args=[patrol.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def patrol_report(request, pk):
    patrol = _managed(request.user, selectors.patrol_get, pk)
    return form_page(
        request,
        forms.PatrolReportForm(posted(request), user=request.user, patrol=patrol),
        title=_("Patrol report: %(title)s") % {"title": patrol.title},
        cancel_url=reverse("training:patrol_detail", args=[patrol.pk]),
        save=lambda data: patrols.patrol_report_save(patrol=patrol, actor=request.user, request=request, **data),
        next_url=lambda report: report.patrol.get_absolute_url(),
        success=_("The patrol report was saved."),
    )


# --- Exercises --------------------------------------------------------------------------------


@login_required
def exercise_list(request):
    return _list_page(
        request, forms.ExerciseFilterForm(request.GET or None), selectors.exercise_search, "training/exercise_list.html"
    )


def _exercise_form_page(request, exercise=None):
    _require_may_plan(request.user, exercise)
    form = forms.ExerciseForm(posted(request), user=request.user, exercise=exercise)
    return form_page(
        request,
        form,
        title=_("Change the exercise") if exercise else _("Plan an exercise"),
        cancel_url=exercise.get_absolute_url() if exercise else reverse("training:exercise_list"),
        save=lambda data: exercises.exercise_save(
            actor=request.user, request=request, exercise=exercise, **form.exercise_fields()
        ),
        next_url=lambda saved: saved.get_absolute_url(),
        success=_("The exercise was saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def exercise_create(request):
    return _exercise_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def exercise_edit(request, pk):
    return _exercise_form_page(request, selectors.exercise_get(request.user, pk))


@login_required
def exercise_detail(request, pk):
    exercise = selectors.exercise_get(request.user, pk)
    manage = permissions.can_manage(request.user, exercise)
    after_action = getattr(exercise, "after_action", None)
    return render(
        request,
        "training/exercise_detail.html",
        {
            "exercise": exercise,
            "agencies": permissions.taking_part(exercise),
            "participants": exercise.participants.select_related("user__agency"),
            "objectives": exercise.objectives.prefetch_related("observations"),
            "injects": exercise.injects.select_related("recipient__user"),
            "assets": exercise.assets.select_related("agency"),
            "after_action": after_action,
            "actions": selectors.corrective_actions_for(request.user, exercise),
            # Incidents played in it, as far as the reader may see them.
            "incidents": exercise.incidents.visible_to(request.user).order_by("-occurred_at")[:50],
            "can_manage": manage,
            "editable": manage and exercise.status in EDITABLE,
            "can_file": permissions.may_file_in(request.user, exercise),
            "transitions": _transitions(request.user, exercise),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exercise_transition(request, pk, target):
    exercise = selectors.exercise_get(request.user, pk)
    return _transition_page(request, exercise, target, exercise.get_absolute_url())


def _exercise_part_page(request, exercise, form, *, title, success, service):
    """A part of an exercise its managers fill in: `service(exercise=..., **cleaned_data)` saves it."""
    return _part_page(
        request,
        exercise,
        form,
        title=f"{title}: {exercise.title}",
        success=success,
        save=lambda data: service(exercise=exercise, actor=request.user, request=request, **data),
        extra={"exercise_banner": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_add(request, pk):
    exercise = _managed(request.user, selectors.exercise_get, pk)
    return _exercise_part_page(
        request,
        exercise,
        forms.ParticipantForm(posted(request), agencies=permissions.taking_part(exercise)),
        title=_("Add a participant"),
        success=_("The participant was added and told."),
        service=exercises.exercise_participant_add,
    )


@login_required
@require_POST
def participant_remove(request, pk, participant_pk):
    exercise = selectors.exercise_get(request.user, pk)
    participant = get_object_or_404(ExerciseParticipant, pk=participant_pk, exercise=exercise)
    perform(
        request,
        _("The participant was removed."),
        exercises.exercise_participant_remove,
        participant=participant,
        actor=request.user,
        request=request,
    )
    return redirect(exercise.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def inject_add(request, pk):
    exercise = _managed(request.user, selectors.exercise_get, pk)
    return _exercise_part_page(
        request,
        exercise,
        forms.InjectForm(posted(request), exercise=exercise),
        title=_("Add an inject"),
        success=_("The inject was added."),
        service=exercises.inject_add,
    )


@login_required
@require_http_methods(["GET", "POST"])
def after_action(request, pk):
    exercise = _managed(request.user, selectors.exercise_get, pk)
    report = getattr(exercise, "after_action", None)
    initial = {"summary": report.summary, "lessons_learned": report.lessons_learned} if report else None
    return _exercise_part_page(
        request,
        exercise,
        forms.AfterActionForm(posted(request), initial=initial),
        title=_("After-action report"),
        success=_("The after-action report was saved."),
        service=lessons.after_action_save,
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_add(request, pk):
    exercise = _managed(request.user, selectors.exercise_get, pk)
    return _part_page(
        request,
        exercise,
        forms.ObservationForm(posted(request), exercise=exercise),
        title=_("Add an observation: %(title)s") % {"title": exercise.title},
        success=_("The observation was added."),
        save=lambda data: lessons.observation_add(actor=request.user, request=request, **data),
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_add(request, pk):
    exercise = _managed(request.user, selectors.exercise_get, pk)
    return _exercise_part_page(
        request,
        exercise,
        forms.CorrectiveActionForm(posted(request), user=request.user, agencies=permissions.taking_part(exercise)),
        title=_("Add a corrective action"),
        success=_("The corrective action was added."),
        service=lessons.corrective_action_add,
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_update(request, pk, action_pk):
    exercise = selectors.exercise_get(request.user, pk)
    action = get_object_or_404(CorrectiveAction, pk=action_pk, exercise=exercise)
    permissions.require_manager(request.user, exercise)
    return _part_page(
        request,
        exercise,
        forms.ActionStatusForm(posted(request), initial={"status": action.status}),
        title=_("Corrective action: %(action)s") % {"action": action},
        success=_("The corrective action was updated."),
        save=lambda data: lessons.corrective_action_update(action=action, actor=request.user, request=request, **data),
    )


# --- Programmes -------------------------------------------------------------------------------


@login_required
def programme_list(request):
    return _list_page(
        request,
        forms.ProgrammeFilterForm(request.GET or None),
        selectors.programme_search,
        "training/programme_list.html",
    )


def _programme_form_page(request, programme=None):
    _require_may_plan(request.user, programme)
    return form_page(
        request,
        forms.ProgrammeForm(posted(request), user=request.user, programme=programme),
        title=_("Change the programme") if programme else _("New capacity-building programme"),
        cancel_url=programme.get_absolute_url() if programme else reverse("training:programme_list"),
        save=lambda data: programmes.programme_save(actor=request.user, request=request, programme=programme, **data),
        next_url=lambda saved: saved.get_absolute_url(),
        success=_("The programme was saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request):
    return _programme_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, pk):
    return _programme_form_page(request, selectors.programme_get(request.user, pk))


@login_required
def programme_detail(request, pk):
    programme = selectors.programme_get(request.user, pk)
    spending = list(programme.spending.all())
    spent = sum((s.amount for s in spending), start=0)
    indicators = [
        (indicator, indicator_chart(indicator, list(indicator.measurements.all())))
        for indicator in programme.indicators.all()
    ]
    return render(
        request,
        "training/programme_detail.html",
        {
            "programme": programme,
            "agencies": programme.agencies.select_related("country"),
            "spending": spending,
            "spent": spent,
            "remaining": programme.budget - spent,
            "courses": programme.courses.select_related("trainer_agency").prefetch_related("trainees__user__agency"),
            "indicators": indicators,
            "can_manage": permissions.can_manage(request.user, programme),
        },
    )


def _programme_part_page(request, programme, form, *, title, success, save):
    return _part_page(request, programme, form, title=f"{title}: {programme.title}", success=success, save=save)


@login_required
@require_http_methods(["GET", "POST"])
def spending_add(request, pk):
    programme = _managed(request.user, selectors.programme_get, pk)
    return _programme_part_page(
        request,
        programme,
        forms.SpendingForm(posted(request)),
        title=_("Record spending"),
        success=_("The spending was recorded."),
        save=lambda data: programmes.spending_add(programme=programme, actor=request.user, request=request, **data),
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request, pk, course_pk=None):
    programme = _managed(request.user, selectors.programme_get, pk)
    course = get_object_or_404(Course, pk=course_pk, programme=programme) if course_pk else None
    return _programme_part_page(
        request,
        programme,
        forms.CourseForm(posted(request), programme=programme, course=course),
        title=_("Change the course") if course else _("Add a course"),
        success=_("The course was saved."),
        save=lambda data: courses.course_save(
            programme=programme, course=course, actor=request.user, request=request, **data
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_transition(request, pk, course_pk, target):
    programme = selectors.programme_get(request.user, pk)
    course = get_object_or_404(Course, pk=course_pk, programme=programme)
    if target != ActivityStatus.COMPLETED:
        course.programme = programme
        return _transition_page(request, course, target, programme.get_absolute_url())
    permissions.require_manager(request.user, programme)
    return _part_page(
        request,
        programme,
        forms.CourseCompletionForm(posted(request), course=course),
        title=_("Course completed: %(title)s") % {"title": course.title},
        success=_("The course is completed; completion was recorded."),
        save=lambda data: courses.course_transition(
            course=course, to_status=target, actor=request.user, request=request, completed=data["completed"]
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_add(request, pk):
    programme = _managed(request.user, selectors.programme_get, pk)
    return _programme_part_page(
        request,
        programme,
        forms.IndicatorForm(posted(request)),
        title=_("Add an indicator"),
        success=_("The indicator was added."),
        save=lambda data: programmes.indicator_save(programme=programme, actor=request.user, request=request, **data),
    )


@login_required
@require_http_methods(["GET", "POST"])
def measurement_add(request, pk, indicator_pk):
    programme = _managed(request.user, selectors.programme_get, pk)
    indicator = get_object_or_404(Indicator, pk=indicator_pk, programme=programme)
    return _programme_part_page(
        request,
        programme,
        forms.MeasurementForm(posted(request)),
        title=_("Record a measured value"),
        success=_("The value was recorded."),
        save=lambda data: programmes.measurement_add(indicator=indicator, actor=request.user, request=request, **data),
    )


# --- Assets -----------------------------------------------------------------------------------


@login_required
def asset_list(request):
    mine = Asset.objects.filter(agency_id=request.user.agency_id) if request.user.agency_id else Asset.objects.none()
    return render(
        request,
        "training/asset_list.html",
        {
            "page": Paginator(mine, 50).get_page(request.GET.get("page")),
            "can_register": permissions.may_register_assets(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request, pk=None):
    asset = get_object_or_404(Asset, pk=pk, agency_id=request.user.agency_id) if pk else None
    initial = {k: getattr(asset, k) for k in ("kind", "identifier", "name", "is_active")} if asset else None
    return form_page(
        request,
        forms.AssetForm(posted(request), initial=initial),
        title=_("Change the asset") if asset else _("Register an asset"),
        cancel_url=reverse("training:asset_list"),
        save=lambda data: assets.asset_save(actor=request.user, request=request, asset=asset, **data),
        next_url=reverse("training:asset_list"),
        success=_("The asset was saved."),
    )


# --- Calendar ---------------------------------------------------------------------------------


def _parse_day(text):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        return timezone.localdate()


@login_required
def calendar(request):
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _parse_day(request.GET.get("date"))
    mine = request.GET.get("mine") == "1"
    tz = timezone.get_current_timezone()
    if view == "month":
        first = day.replace(day=1)
        grid_start = first - datetime.timedelta(days=first.weekday())
        grid_end = grid_start + datetime.timedelta(weeks=6)
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
    else:
        grid_start = day - datetime.timedelta(days=day.weekday())
        grid_end = grid_start + datetime.timedelta(days=7)
        previous, following = grid_start - datetime.timedelta(days=7), grid_start + datetime.timedelta(days=7)
    items = selectors.calendar_items(
        request.user,
        start=datetime.datetime.combine(grid_start, datetime.time.min, tzinfo=tz),
        end=datetime.datetime.combine(grid_end, datetime.time.min, tzinfo=tz),
        mine=mine,
    )
    context = {
        "view": view,
        "day": day,
        "mine": mine,
        "previous": previous,
        "following": following,
        "today": timezone.localdate(),
        "items": items,
    }
    if view == "month":
        context["weeks"] = selectors.month_grid(first.year, first.month, items)
        context["month"] = first
    else:
        context["days"] = selectors.week_days(grid_start, items)
    return render(request, "training/calendar.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed(request):
    """The person's secret iCalendar address: issue (or replace) it, or revoke it."""
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if calendar_feed_revoke(user=request.user, request=request):
                messages.success(request, _("The calendar address was revoked; it no longer works."))
            return redirect("training:calendar_feed")
        token = calendar_feed_issue(user=request.user, request=request)
        messages.success(request, _("A new calendar address was made; any earlier one no longer works."))
    feed = getattr(request.user, "calendar_feed", None) if token is None else None
    return render(
        request,
        "training/calendar_feed.html",
        {
            "feed_url": request.build_absolute_uri(reverse("training:ical", args=[token])) if token else None,
            "feed": feed,
        },
    )


def ical(request, token):
    """The feed itself: no session, the secret in the address is the credential."""
    user = calendar_feed_user(token)
    if user is None:
        raise Http404
    items = selectors.calendar_items(
        user, start=timezone.now() - datetime.timedelta(days=settings.CALENDAR_FEED_PAST_DAYS)
    )
    body = calendar_document(
        items,
        name=_("Joint operations: %(name)s") % {"name": user.get_full_name() or user.username},
        base_url=request.build_absolute_uri("/").rstrip("/"),
    )
    audit.record("calendar_feed.read", actor=user, obj=user, request=request, details={"events": len(items)})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="joint-operations.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
