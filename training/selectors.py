"""Reads of joint patrols, exercises and programmes. Every read starts from the gate."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, AgreementDocument, AgreementKind
from borders.models import BorderSector
from incidents.models import Incident
from training.models import ActivityStatus, Course, Exercise, Patrol, Programme


def _agreement_visible(user, field):
    """Whether the reader may see the agreement `field` points to: only then is it named."""
    return Exists(Agreement.objects.visible_to(user).filter(pk=OuterRef(field)))


def _sector_visible(user):
    """Whether the reader's country sees the patrol's border sector now: only then is it named
    (a participant keeps seeing the patrol after the agreement that showed it the sector ended)."""
    return Exists(BorderSector.objects.visible_to(user).filter(pk=OuterRef("sector_id")))


def patrols_visible_to(user):
    """Patrols the user may see; `agreement_visible` says whether the governing agreement may be
    named, `sector_visible` whether the border sector may."""
    return (
        Patrol.objects.visible_to(user)
        .select_related("sector")
        .annotate(agreement_visible=_agreement_visible(user, "agreement_id"), sector_visible=_sector_visible(user))
    )


def patrol_place(patrol):
    """The patrol's sector as the reader may know it: code and name when its country sees the
    sector, the name as reported when none is linked, nothing otherwise."""
    if patrol.sector_id:
        return f"{patrol.sector.code} {patrol.sector.name}" if getattr(patrol, "sector_visible", False) else ""
    return patrol.border_sector


def exercises_visible_to(user):
    return Exercise.objects.visible_to(user)


def programmes_visible_to(user):
    return Programme.objects.visible_to(user)


def courses_visible_to(user):
    """Courses are seen by whoever sees their programme."""
    return Course.objects.filter(programme__in=programmes_visible_to(user).values("pk"))


def patrol_get(user, pk):
    return (
        Patrol.objects.select_related("agreement", "commanding_agency", "sector")
        .annotate(agreement_visible=_agreement_visible(user, "agreement_id"), sector_visible=_sector_visible(user))
        .get_visible_or_404(user, pk=pk)
    )


def exercise_get(user, pk):
    return Exercise.objects.select_related("host_agency").get_visible_or_404(user, pk=pk)


def programme_get(user, pk):
    return Programme.objects.select_related("funder_country").get_visible_or_404(user, pk=pk)


def exercises_running_for(user):
    """Exercises under way that the user's agency hosts or takes part in (to file play incidents)."""
    agency_id = getattr(user, "agency_id", None)
    return (
        exercises_visible_to(user)
        .filter(status=ActivityStatus.UNDER_WAY)
        .filter(Q(host_agency_id=agency_id) | Q(agencies__id=agency_id))
        .distinct()
    )


def corrective_actions_for(user, exercise):
    """The exercise's corrective actions; `sop_visible` says whether the SOP they change may be named.

    A corrective action may change an SOP between the host and a country the reader's is not
    party to: the reader learns that an SOP is concerned, not which one.
    """
    return exercise.corrective_actions.select_related(
        "owner_agency", "sop_document__agreement", "closed_by_version"
    ).annotate(sop_visible=_agreement_visible(user, "sop_document__agreement_id"))


def sop_documents_for(user):
    """Documents of SOPs the user's country is party to: what corrective actions may change."""
    return AgreementDocument.objects.filter(
        agreement__in=Agreement.objects.visible_to(user).filter(kind=AgreementKind.SOP)
    ).select_related("agreement")


def report_incidents(user, report):
    """The incidents found on a patrol that the reader may see (the incidents' own gate)."""
    return Incident.objects.visible_to(user).filter(patrol_reports=report).select_related("country")


def _search(queryset, q, fields):
    if q:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": q})
        queryset = queryset.filter(condition)
    return queryset


def patrol_search(user, *, q="", status="", partner=None, since=None, until=None):
    patrols = patrols_visible_to(user)
    if q:
        # The agreement's reference is searched only where the reader may see the agreement.
        patrols = patrols.filter(
            Q(title__icontains=q)
            | Q(border_sector__icontains=q)
            | Q(sector__code__icontains=q, sector_visible=True)
            | Q(sector__name__icontains=q, sector_visible=True)
            | Q(agreement__reference__icontains=q, agreement_visible=True)
        )
    if status:
        patrols = patrols.filter(status=status)
    if partner is not None:
        patrols = patrols.filter(participants__agency__country=partner).distinct()
    if since:
        patrols = patrols.filter(ends_at__date__gte=since)
    if until:
        patrols = patrols.filter(starts_at__date__lte=until)
    return patrols.select_related("commanding_agency", "agreement")


def exercise_search(user, *, q="", status="", scenario="", since=None, until=None):
    exercises = _search(exercises_visible_to(user), q, ["title", "description", "location"])
    if status:
        exercises = exercises.filter(status=status)
    if scenario:
        exercises = exercises.filter(scenario=scenario)
    if since:
        exercises = exercises.filter(ends_at__date__gte=since)
    if until:
        exercises = exercises.filter(starts_at__date__lte=until)
    return exercises.select_related("host_agency")


def programme_search(user, *, q="", source_kind=""):
    programmes = _search(programmes_visible_to(user), q, ["title", "description", "funder_name"])
    if source_kind:
        programmes = programmes.filter(source_kind=source_kind)
    return programmes.select_related("funder_country")


# --- Calendar ---------------------------------------------------------------------------------


@dataclass
class CalendarItem:
    kind: str  # patrol, exercise or course
    uid: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    status: str
    status_label: str
    sequence: int
    updated_at: datetime.datetime
    created_at: datetime.datetime
    url: str
    location: str
    description: str

    @property
    def is_cancelled(self):
        return self.status == ActivityStatus.CANCELLED


def calendar_items(user, *, start=None, end=None, mine=False):
    """Patrols, exercises and courses the user may see, overlapping [start, end) when given.

    `mine` keeps only those the user takes part in (officer, participant, trainee).
    """

    def window(queryset):
        if start is not None:
            queryset = queryset.filter(ends_at__gt=start)
        if end is not None:
            queryset = queryset.filter(starts_at__lt=end)
        return queryset

    patrols = window(patrols_visible_to(user)).select_related("agreement")
    exercises = window(exercises_visible_to(user))
    courses = window(courses_visible_to(user)).select_related("programme")
    if mine:
        patrols = patrols.filter(participants__officers=user).distinct()
        exercises = exercises.filter(participants__user=user).distinct()
        courses = courses.filter(trainees__user=user).distinct()
    items = [
        CalendarItem(
            "patrol",
            f"patrol-{p.uid}",
            p.title,
            p.starts_at,
            p.ends_at,
            p.status,
            p.get_status_display(),
            p.sequence,
            p.updated_at,
            p.created_at,
            reverse("training:patrol_detail", args=[p.pk]),
            patrol_place(p),
            f"{p.agreement.reference} · {patrol_place(p)}" if p.agreement_visible else patrol_place(p),
        )
        for p in patrols
    ]
    items += [
        CalendarItem(
            "exercise",
            f"exercise-{e.uid}",
            e.title,
            e.starts_at,
            e.ends_at,
            e.status,
            e.get_status_display(),
            e.sequence,
            e.updated_at,
            e.created_at,
            reverse("training:exercise_detail", args=[e.pk]),
            e.location,
            e.get_scenario_display(),
        )
        for e in exercises
    ]
    items += [
        CalendarItem(
            "course",
            f"course-{c.uid}",
            c.title,
            c.starts_at,
            c.ends_at,
            c.status,
            c.get_status_display(),
            c.sequence,
            c.updated_at,
            c.created_at,
            reverse("training:programme_detail", args=[c.programme_id]) + f"#course-{c.pk}",
            c.place,
            c.programme.title,
        )
        for c in courses
    ]
    return sorted(items, key=lambda item: (item.starts_at, item.title))


def month_grid(year, month, items):
    """Weeks (Monday first) of (day, items that day) covering the month."""
    first = datetime.date(year, month, 1)
    start = first - datetime.timedelta(days=first.weekday())
    weeks = []
    day = start
    while True:
        week = []
        for _i in range(7):
            week.append((day, _on_day(day, items)))
            day += datetime.timedelta(days=1)
        weeks.append(week)
        if day.month != month and day > first:
            break
    return weeks


def week_days(monday, items):
    return [
        (monday + datetime.timedelta(days=i), _on_day(monday + datetime.timedelta(days=i), items)) for i in range(7)
    ]


def _on_day(day, items):
    tz = timezone.get_current_timezone()
    day_start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    day_end = day_start + datetime.timedelta(days=1)
    return [item for item in items if item.starts_at < day_end and item.ends_at > day_start]
