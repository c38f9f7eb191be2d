"""Joint patrols, exercises and capacity-building programmes.

Patrols, exercises and programmes are shared objects: the countries taking part (and the host
or funder) receive guardian view permissions through `portal.gate`, and every read starts from
`visible_to`. Courses, reports and the rest are read through their parent.
"""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from portal.gate import GatedQuerySet


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDER_WAY = "under_way", _("Under way")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# Activities that occupy their officers and assets (a cancelled one frees them).
OCCUPYING = (ActivityStatus.PLANNED, ActivityStatus.UNDER_WAY, ActivityStatus.COMPLETED)


class AssetKind(models.TextChoices):
    VESSEL = "vessel", _("Vessel")
    VEHICLE = "vehicle", _("Vehicle")
    AIRCRAFT = "aircraft", _("Aircraft")
    DRONE = "drone", _("Drone")
    DOG_TEAM = "dog_team", _("Dog team")
    OTHER = "other", _("Other")


class Asset(models.Model):
    """A vessel, vehicle, aircraft, drone or dog team of one agency, registered once."""

    agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="assets"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AssetKind.choices)
    identifier = models.CharField(
        _("identifier"), max_length=60, help_text=_("Registration, hull number or call sign; unique in the agency.")
    )
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("in service"), default=True)

    class Meta:
        ordering = ["agency__code", "kind", "identifier"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [models.UniqueConstraint(fields=["agency", "identifier"], name="asset_identifier_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.identifier} ({self.name}, {self.agency.code})"


class Scheduled(models.Model):
    """What the calendar shows: a stable UID, times, a status and a SEQUENCE raised on change."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_cancelled(self):
        return self.status == ActivityStatus.CANCELLED


# --- Joint patrols --------------------------------------------------------------------------------


class Patrol(Scheduled):
    title = models.CharField(_("title"), max_length=200)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        verbose_name=_("governing agreement"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    sector = models.ForeignKey(
        "borders.BorderSector",
        verbose_name=_("border sector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    # As typed before sectors were objects; kept and shown until a sector of that name exists.
    border_sector = models.CharField(_("border sector (as reported)"), max_length=120, blank=True)
    route = models.JSONField(
        _("route or area"), null=True, blank=True, help_text=_("A GeoJSON LineString (route) or Polygon (area).")
    )
    commanding_agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("commanding agency"), on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("orders and notes"), blank=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("joint patrol")
        verbose_name_plural = _("joint patrols")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="patrol_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("training:patrol_detail", args=[self.pk])


class PatrolGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Patrol, on_delete=models.CASCADE)


class PatrolParticipant(models.Model):
    """One agency on a patrol, with the officers and assets it commits."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="participants")
    agency = models.ForeignKey("portal.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("officers"), blank=True, related_name="+"
    )
    assets = models.ManyToManyField(Asset, verbose_name=_("assets"), blank=True, related_name="+")

    class Meta:
        ordering = ["agency__code"]
        constraints = [models.UniqueConstraint(fields=["patrol", "agency"], name="patrol_participant_unique")]

    def __str__(self):
        return f"{self.patrol_id}: {self.agency.code}"


class PatrolReport(models.Model):
    patrol = models.OneToOneField(Patrol, on_delete=models.CASCADE, related_name="report")
    summary = models.TextField(_("summary"))
    hours = models.DecimalField(_("hours on patrol"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)])
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=8, decimal_places=1, validators=[MinValueValidator(0)]
    )
    observations = models.TextField(_("observations"), blank=True)
    incidents = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("incidents found"), blank=True, related_name="patrol_reports"
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Report of {self.patrol}"


# --- Exercises ------------------------------------------------------------------------------------


class ScenarioType(models.TextChoices):
    MIGRANT_CRISIS = "migrant_crisis", _("Migrant crisis")
    PORT_SECURITY = "port_security", _("Port security breach")
    SMUGGLING = "smuggling", _("Smuggling attempt")
    SEARCH_RESCUE = "search_rescue", _("Search and rescue")
    DOCUMENT_FRAUD = "document_fraud", _("Document fraud wave")
    OTHER = "other", _("Other")


class Exercise(Scheduled):
    title = models.CharField(_("title"), max_length=200)
    scenario = models.CharField(_("scenario type"), max_length=30, choices=ScenarioType.choices)
    description = models.TextField(_("scenario"), blank=True)
    host_agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("host agency"), on_delete=models.PROTECT, related_name="+"
    )
    agencies = models.ManyToManyField(
        "portal.Agency", verbose_name=_("participating agencies"), related_name="+", blank=True
    )
    assets = models.ManyToManyField(Asset, verbose_name=_("assets"), blank=True, related_name="+")
    location = models.CharField(_("place"), max_length=200, blank=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="exercise_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("training:exercise_detail", args=[self.pk])


class ExerciseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Exercise, on_delete=models.CASCADE)


class Objective(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="objectives")
    text = models.CharField(_("objective"), max_length=300)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class ParticipantRole(models.TextChoices):
    PLAYER = "player", _("Player")
    CONTROLLER = "controller", _("Controller")
    EVALUATOR = "evaluator", _("Evaluator")
    OBSERVER = "observer", _("Observer")


class ExerciseParticipant(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=ParticipantRole.choices)

    class Meta:
        ordering = ["role", "user__username"]
        constraints = [models.UniqueConstraint(fields=["exercise", "user"], name="exercise_participant_unique")]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username} ({self.get_role_display()})"


class Inject(models.Model):
    """One step of the exercise's master events list, delivered to one participant."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    at = models.DateTimeField(_("time"))
    description = models.TextField(_("description"))
    recipient = models.ForeignKey(
        ExerciseParticipant, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="injects"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.description[:40]}"


class AfterActionReport(models.Model):
    exercise = models.OneToOneField(Exercise, on_delete=models.CASCADE, related_name="after_action")
    summary = models.TextField(_("summary"))
    lessons_learned = models.TextField(_("lessons learned"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"After-action report of {self.exercise}"


class ObservationKind(models.TextChoices):
    STRENGTH = "strength", _("Strength")
    IMPROVEMENT = "improvement", _("Area for improvement")


class Observation(models.Model):
    objective = models.ForeignKey(
        Objective, verbose_name=_("objective"), on_delete=models.CASCADE, related_name="observations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ObservationKind.choices)
    text = models.TextField(_("observation"))

    class Meta:
        ordering = ["objective__position", "id"]

    def __str__(self):
        return self.text[:60]


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class CorrectiveAction(models.Model):
    """An action an exercise calls for, tracked to closure.

    One that changes an SOP points to that SOP's document, and is closed by the next version of
    that document uploaded in the agreements app (the lessons-learned loop).
    """

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="corrective_actions")
    description = models.TextField(_("action"))
    owner_agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("owner agency"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    sop_document = models.ForeignKey(
        "agreements.AgreementDocument",
        verbose_name=_("SOP document it changes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
    )
    closed_by_version = models.ForeignKey(
        "agreements.DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField(_("how it was closed"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")

    def __str__(self):
        return self.description[:60]

    @property
    def is_overdue(self):
        return self.status != ActionStatus.CLOSED and self.due_on < timezone.localdate()


# --- Capacity building ----------------------------------------------------------------------------


class FundingSource(models.TextChoices):
    PARTNER_STATE = "partner_state", _("Partner state")
    INTERNATIONAL = "international", _("International organisation")
    EU_FUND = "eu_fund", _("EU fund")
    UN_FUND = "un_fund", _("UN fund")


class Programme(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source_kind = models.CharField(_("funding source"), max_length=20, choices=FundingSource.choices)
    funder_name = models.CharField(_("funded by"), max_length=200)
    funder_country = models.ForeignKey(
        "portal.Country",
        verbose_name=_("funding state"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a partner state: the state, which then sees the programme."),
    )
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    agencies = models.ManyToManyField("portal.Agency", verbose_name=_("participating agencies"), related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("capacity-building programme")
        verbose_name_plural = _("capacity-building programmes")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("training:programme_detail", args=[self.pk])


class ProgrammeGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Programme, on_delete=models.CASCADE)


class Spending(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="spending")
    spent_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    description = models.CharField(_("what for"), max_length=200)

    class Meta:
        ordering = ["spent_on", "id"]

    def __str__(self):
        return f"{self.spent_on}: {self.amount} ({self.description})"


class Course(Scheduled):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="courses")
    title = models.CharField(_("title"), max_length=200)
    place = models.CharField(_("place"), max_length=200)
    trainer_agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("trainer agency"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="course_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title


class Trainee(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="trainees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("trainee"), on_delete=models.PROTECT, related_name="+"
    )
    completed = models.BooleanField(_("completed"), default=False)

    class Meta:
        ordering = ["user__username"]
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="trainee_unique")]

    def __str__(self):
        return f"{self.user} in {self.course}"


class Indicator(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class Measurement(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["measured_on", "id"]
        constraints = [models.UniqueConstraint(fields=["indicator", "measured_on"], name="measurement_unique")]

    def __str__(self):
        return f"{self.measured_on}: {self.value}"


# --- Calendar feed --------------------------------------------------------------------------------


class CalendarFeed(models.Model):
    """A person's secret iCalendar address; only a hash of the token is kept."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"
