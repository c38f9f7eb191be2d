"""Pages of joint patrols, exercises, programmes and the calendar.

Every page starts from the gate (`training.selectors`): whoever does not take part gets 404.
Writes go through `training.services`, which check who acts.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from portal import audit
from portal.forms import add_errors
from training import forms, selectors, services
from training.charts import indicator_chart
from training.ical import calendar_document
from training.models import ActivityStatus, Asset, CorrectiveAction, Course, ExerciseParticipant, Indicator

TRANSITION_ACTIONS = {
    ActivityStatus.UNDER_WAY: gettext_lazy("Start"),
    ActivityStatus.COMPLETED: gettext_lazy("Mark completed"),
    ActivityStatus.CANCELLED: gettext_lazy("Cancel"),
}


def _form_page(request, form, *, title, cancel_url, action, success, template="training/form.html", extra=None):
    """Show `form`; when valid, run `action(cleaned_data)` (a service call returning the next URL)."""
    if request.method == "POST" and form.is_valid():
        try:
            next_url = action(form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(next_url)
    return render(request, template, {"form": form, "title": title, "cancel_url": cancel_url, **(extra or {})})


def _require_planner(user):
    if not services.is_planner(user):
        raise PermissionDenied(_("Only liaison officers and supervisors plan joint work."))


def _post(request):
    return request.POST if request.method == "POST" else None


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
            "can_plan": services.is_planner(request.user),
            **extra,
        },
    )


def _transitions(user, activity):
    if not services.can_manage(user, activity):
        return []
    allowed = services.TRANSITIONS[ActivityStatus(activity.status)]
    return [(status, label) for status, label in TRANSITION_ACTIONS.items() if status in allowed]


def _transition_page(request, activity, target, detail_url):
    # Only the steps a person can take have a page; "planned" is where things start.
    if target not in TRANSITION_ACTIONS:
        raise Http404
    target = ActivityStatus(target)
    services.require_manager(request.user, activity.programme if isinstance(activity, Course) else activity)
    form = forms.TransitionForm(_post(request))
    if target != ActivityStatus.CANCELLED:
        del form.fields["reason"]

    def action(data):
        if isinstance(activity, Course):
            services.course_transition(
                course=activity, to_status=target, actor=request.user, request=request, reason=data.get("reason", "")
            )
        else:
            services.activity_transition(
                activity=activity, to_status=target, actor=request.user, request=request, reason=data.get("reason", "")
            )
        return detail_url

    return _form_page(
        request,
        form,
        title=f"{TRANSITION_ACTIONS[target]}: {activity.title}",
        cancel_url=detail_url,
        action=action,
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
    _require_planner(request.user)
    if patrol is not None:
        services.require_manager(request.user, patrol)
    form = forms.PatrolForm(_post(request), user=request.user, patrol=patrol)

    def action(data):
        try:
            participants = form.participant_list()
        except ValidationError as exc:
            raise ValidationError({"officers": exc.messages}) from exc
        saved = services.patrol_save(
            actor=request.user, request=request, patrol=patrol, participants=participants, **form.patrol_fields()
        )
        return reverse("training:patrol_detail", args=[saved.pk])

    return _form_page(
        request,
        form,
        title=_("Change the joint patrol") if patrol else _("Plan a joint patrol"),
        cancel_url=reverse("training:patrol_detail", args=[patrol.pk]) if patrol else reverse("training:patrol_list"),
        action=action,
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
    manage = services.can_manage(request.user, patrol)
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
            "editable": manage and patrol.status in services.EDITABLE,
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
    patrol = selectors.patrol_get(request.user, pk)
    services.require_manager(request.user, patrol)
    form = forms.PatrolReportForm(_post(request), user=request.user, patrol=patrol)
    return _form_page(
        request,
        form,
        title=_("Patrol report: %(title)s") % {"title": patrol.title},
        cancel_url=reverse("training:patrol_detail", args=[patrol.pk]),
        action=lambda data: services.patrol_report_save(
            patrol=patrol, actor=request.user, request=request, **data
        ).patrol.get_absolute_url(),
        success=_("The patrol report was saved."),
    )


# --- Exercises --------------------------------------------------------------------------------


@login_required
def exercise_list(request):
    return _list_page(
        request, forms.ExerciseFilterForm(request.GET or None), selectors.exercise_search, "training/exercise_list.html"
    )


def _exercise_form_page(request, exercise=None):
    _require_planner(request.user)
    if exercise is not None:
        services.require_manager(request.user, exercise)
    form = forms.ExerciseForm(_post(request), user=request.user, exercise=exercise)
    return _form_page(
        request,
        form,
        title=_("Change the exercise") if exercise else _("Plan an exercise"),
        cancel_url=exercise.get_absolute_url() if exercise else reverse("training:exercise_list"),
        action=lambda data: services.exercise_save(
            actor=request.user, request=request, exercise=exercise, **form.exercise_fields()
        ).get_absolute_url(),
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
    manage = services.can_manage(request.user, exercise)
    after_action = getattr(exercise, "after_action", None)
    return render(
        request,
        "training/exercise_detail.html",
        {
            "exercise": exercise,
            "agencies": services.taking_part(exercise),
            "participants": exercise.participants.select_related("user__agency"),
            "objectives": exercise.objectives.prefetch_related("observations"),
            "injects": exercise.injects.select_related("recipient__user"),
            "assets": exercise.assets.select_related("agency"),
            "after_action": after_action,
            "actions": selectors.corrective_actions_for(request.user, exercise),
            # Incidents played in it, as far as the reader may see them.
            "incidents": exercise.incidents.visible_to(request.user).order_by("-occurred_at")[:50],
            "can_manage": manage,
            "editable": manage and exercise.status in services.EDITABLE,
            "can_file": selectors.exercises_running_for(request.user).filter(pk=exercise.pk).exists()
            and (request.user.is_officer or request.user.is_supervisor),
            "transitions": _transitions(request.user, exercise),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exercise_transition(request, pk, target):
    exercise = selectors.exercise_get(request.user, pk)
    return _transition_page(request, exercise, target, exercise.get_absolute_url())


def _exercise_subform(request, pk, form_class, *, title, success, service, form_kwargs=None, **service_kwargs):
    exercise = selectors.exercise_get(request.user, pk)
    services.require_manager(request.user, exercise)
    form = form_class(_post(request), **({"exercise": exercise} if form_kwargs is None else form_kwargs(exercise)))

    def action(data):
        service(exercise=exercise, actor=request.user, request=request, **data, **service_kwargs)
        return exercise.get_absolute_url()

    return _form_page(
        request,
        form,
        title=f"{title}: {exercise.title}",
        cancel_url=exercise.get_absolute_url(),
        action=action,
        success=success,
        extra={"exercise_banner": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_add(request, pk):
    return _exercise_subform(
        request,
        pk,
        forms.ParticipantForm,
        title=_("Add a participant"),
        success=_("The participant was added and told."),
        service=services.exercise_participant_add,
        form_kwargs=lambda exercise: {"agencies": services.taking_part(exercise)},
    )


@login_required
@require_POST
def participant_remove(request, pk, participant_pk):
    exercise = selectors.exercise_get(request.user, pk)
    participant = get_object_or_404(ExerciseParticipant, pk=participant_pk, exercise=exercise)
    try:
        services.exercise_participant_remove(participant=participant, actor=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The participant was removed."))
    return redirect(exercise.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def inject_add(request, pk):
    return _exercise_subform(
        request,
        pk,
        forms.InjectForm,
        title=_("Add an inject"),
        success=_("The inject was added."),
        service=services.inject_add,
    )


@login_required
@require_http_methods(["GET", "POST"])
def after_action(request, pk):
    def initial(exercise):
        report = getattr(exercise, "after_action", None)
        return {"initial": {"summary": report.summary, "lessons_learned": report.lessons_learned}} if report else {}

    return _exercise_subform(
        request,
        pk,
        forms.AfterActionForm,
        title=_("After-action report"),
        success=_("The after-action report was saved."),
        service=services.after_action_save,
        form_kwargs=initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_add(request, pk):
    exercise = selectors.exercise_get(request.user, pk)
    services.require_manager(request.user, exercise)
    form = forms.ObservationForm(_post(request), exercise=exercise)
    return _form_page(
        request,
        form,
        title=_("Add an observation: %(title)s") % {"title": exercise.title},
        cancel_url=exercise.get_absolute_url(),
        action=lambda data: (
            services.observation_add(actor=request.user, request=request, **data) and exercise.get_absolute_url()
        ),
        success=_("The observation was added."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_add(request, pk):
    return _exercise_subform(
        request,
        pk,
        forms.CorrectiveActionForm,
        title=_("Add a corrective action"),
        success=_("The corrective action was added."),
        service=services.corrective_action_add,
        form_kwargs=lambda exercise: {"user": request.user, "agencies": services.taking_part(exercise)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_update(request, pk, action_pk):
    exercise = selectors.exercise_get(request.user, pk)
    action_obj = get_object_or_404(CorrectiveAction, pk=action_pk, exercise=exercise)
    services.require_manager(request.user, exercise)
    form = forms.ActionStatusForm(_post(request), initial={"status": action_obj.status})
    return _form_page(
        request,
        form,
        title=_("Corrective action: %(action)s") % {"action": action_obj},
        cancel_url=exercise.get_absolute_url(),
        action=lambda data: (
            services.corrective_action_update(action=action_obj, actor=request.user, request=request, **data)
            and exercise.get_absolute_url()
        ),
        success=_("The corrective action was updated."),
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
    _require_planner(request.user)
    if programme is not None:
        services.require_manager(request.user, programme)
    form = forms.ProgrammeForm(_post(request), user=request.user, programme=programme)
    return _form_page(
        request,
        form,
        title=_("Change the programme") if programme else _("New capacity-building programme"),
        cancel_url=programme.get_absolute_url() if programme else reverse("training:programme_list"),
        action=lambda data: services.programme_save(
            actor=request.user, request=request, programme=programme, **data
        ).get_absolute_url(),
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
            "can_manage": services.can_manage(request.user, programme),
        },
    )


def _programme_subform(request, pk, form_class, *, title, success, service, form_kwargs=None, target=None):
    programme = selectors.programme_get(request.user, pk)
    services.require_manager(request.user, programme)
    obj = target(programme) if target else None
    form = form_class(_post(request), **(form_kwargs(programme, obj) if form_kwargs else {}))

    def action(data):
        kwargs = {"indicator": obj} if isinstance(obj, Indicator) else {"programme": programme}
        service(actor=request.user, request=request, **kwargs, **data)
        return programme.get_absolute_url()

    return _form_page(
        request,
        form,
        title=f"{title}: {programme.title}",
        cancel_url=programme.get_absolute_url(),
        action=action,
        success=success,
    )


@login_required
@require_http_methods(["GET", "POST"])
def spending_add(request, pk):
    return _programme_subform(
        request,
        pk,
        forms.SpendingForm,
        title=_("Record spending"),
        success=_("The spending was recorded."),
        service=services.spending_add,
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request, pk, course_pk=None):
    programme = selectors.programme_get(request.user, pk)
    services.require_manager(request.user, programme)
    course = get_object_or_404(Course, pk=course_pk, programme=programme) if course_pk else None
    form = forms.CourseForm(_post(request), programme=programme, course=course)
    return _form_page(
        request,
        form,
        title=(_("Change the course") if course else _("Add a course")) + f": {programme.title}",
        cancel_url=programme.get_absolute_url(),
        action=lambda data: (
            services.course_save(programme=programme, course=course, actor=request.user, request=request, **data)
            and programme.get_absolute_url()
        ),
        success=_("The course was saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_transition(request, pk, course_pk, target):
    programme = selectors.programme_get(request.user, pk)
    course = get_object_or_404(Course, pk=course_pk, programme=programme)
    if target == ActivityStatus.COMPLETED:
        services.require_manager(request.user, programme)
        form = forms.CourseCompletionForm(_post(request), course=course)
        return _form_page(
            request,
            form,
            title=_("Course completed: %(title)s") % {"title": course.title},
            cancel_url=programme.get_absolute_url(),
            action=lambda data: (
                services.course_transition(
                    course=course, to_status=target, actor=request.user, request=request, completed=data["completed"]
                )
                and programme.get_absolute_url()
            ),
            success=_("The course is completed; completion was recorded."),
        )
    course.programme = programme
    return _transition_page(request, course, target, programme.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def indicator_add(request, pk):
    return _programme_subform(
        request,
        pk,
        forms.IndicatorForm,
        title=_("Add an indicator"),
        success=_("The indicator was added."),
        service=lambda programme, **kw: services.indicator_save(programme=programme, **kw),
    )


@login_required
@require_http_methods(["GET", "POST"])
def measurement_add(request, pk, indicator_pk):
    return _programme_subform(
        request,
        pk,
        forms.MeasurementForm,
        title=_("Record a measured value"),
        success=_("The value was recorded."),
        service=services.measurement_add,
        target=lambda programme: get_object_or_404(Indicator, pk=indicator_pk, programme=programme),
    )


# --- Assets -----------------------------------------------------------------------------------


@login_required
def asset_list(request):
    assets = Asset.objects.filter(agency_id=request.user.agency_id) if request.user.agency_id else Asset.objects.none()
    return render(
        request,
        "training/asset_list.html",
        {
            "page": Paginator(assets, 50).get_page(request.GET.get("page")),
            "can_register": services.is_planner(request.user) or request.user.is_agency_admin,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request, pk=None):
    asset = get_object_or_404(Asset, pk=pk, agency_id=request.user.agency_id) if pk else None
    initial = {k: getattr(asset, k) for k in ("kind", "identifier", "name", "is_active")} if asset else None
    form = forms.AssetForm(_post(request), initial=initial)
    return _form_page(
        request,
        form,
        title=_("Change the asset") if asset else _("Register an asset"),
        cancel_url=reverse("training:asset_list"),
        action=lambda data: (
            services.asset_save(actor=request.user, request=request, asset=asset, **data)
            and reverse("training:asset_list")
        ),
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
            if services.calendar_feed_revoke(user=request.user, request=request):
                messages.success(request, _("The calendar address was revoked; it no longer works."))
            return redirect("training:calendar_feed")
        token = services.calendar_feed_issue(user=request.user, request=request)
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
    user = services.calendar_feed_user(token)
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
