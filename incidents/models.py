"""Incidents filed by border officers and the grants that share them with partner countries."""

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from incidents.gate import seen_by
from portal.choices import TLP, IdentifierKind, IncidentCategory
from portal.gate import GatedQuerySet, principal_country_id
from portal.models import ChoiceLabels


class IncidentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VALIDATED = "validated", _("Validated")
    SHARED = "shared", _("Shared")
    CLOSED = "closed", _("Closed")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class SourceReliability(models.TextChoices):
    A = "A", _("A: completely reliable")
    B = "B", _("B: usually reliable")
    C = "C", _("C: fairly reliable")
    D = "D", _("D: not usually reliable")
    E = "E", _("E: unreliable")
    F = "F", _("F: reliability cannot be judged")


class InformationCredibility(models.TextChoices):
    ONE = "1", _("1: confirmed by other sources")
    TWO = "2", _("2: probably true")
    THREE = "3", _("3: possibly true")
    FOUR = "4", _("4: doubtful")
    FIVE = "5", _("5: improbable")
    SIX = "6", _("6: truth cannot be judged")


# The fields a partner without a personal-data clause never receives.
PERSONAL_FIELDS = ("person_name", "person_birth_date", "person_nationality", "person_document_number")


class IncidentQuerySet(GatedQuerySet):
    # The order of every list: newest first, by the visibility index's copy of `occurred_at`, so
    # that PostgreSQL walks the index `visibility_list` and stops after one page, however large
    # the table and however deep the page.
    LIST_ORDER = ("-listed_at", "-id")

    def visible_to(self, principal, at=None):
        """The gate for incidents: read through the visibility index, which the sharing engine
        keeps in step with the grants (and their guardian permissions) in the same transaction.

        A join on the index row of the principal's country (unique per incident, so no
        duplicates), rather than EXISTS: lists can then be read in the index's order. Each
        incident is annotated with its personal-data window, and with `listed_at`, the index's
        copy of `occurred_at` that keyset pagination filters and orders on."""
        country_id = principal_country_id(principal)
        if country_id is None:
            return self.none()
        return seen_by(self, country_id, at or timezone.now())


class Incident(ChoiceLabels, models.Model):
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="incidents"
    )
    country = models.ForeignKey("portal.Country", verbose_name=_("country"), on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the agency's own system filed it through the API."),
    )
    reported_via = models.CharField(_("filed through"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT)
    category = models.CharField(_("category"), max_length=30, choices=IncidentCategory.choices)
    occurred_at = models.DateTimeField(_("when it happened"))
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    sector = models.ForeignKey(
        "borders.BorderSector",
        verbose_name=_("border sector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    crossing = models.ForeignKey(
        "borders.CrossingPoint",
        verbose_name=_("nearest crossing point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    # As typed before sectors were objects, or a name no sector of the country has (yet): kept
    # and shown as reported until a sector or crossing point of that code or name exists.
    border_sector = models.CharField(_("border sector (as reported)"), max_length=100, blank=True)
    crossing_point = models.CharField(_("crossing point (as reported)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    people_involved = models.PositiveIntegerField(_("number of people involved"), default=0)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    source_reliability = models.CharField(
        _("source reliability"), max_length=1, choices=SourceReliability.choices, default=SourceReliability.F
    )
    information_credibility = models.CharField(
        _("information credibility"),
        max_length=1,
        choices=InformationCredibility.choices,
        default=InformationCredibility.SIX,
    )
    marking = models.CharField(_("handling marking"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    has_personal_data = models.BooleanField(_("contains personal data"), default=False)
    person_name = models.CharField(_("name of the person"), max_length=200, blank=True)
    person_birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    person_nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    person_document_number = models.CharField(_("travel document number"), max_length=50, blank=True)
    handled_by = models.ForeignKey(
        "portal.Agency",
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The agency that took the incident over; empty while the reporter handles it."),
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    exercise = models.ForeignKey(
        "training.Exercise",
        verbose_name=_("filed in exercise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        help_text=_("Incidents filed in an exercise are marked EXERCISE wherever they appear."),
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self):
        return self.reference

    @property
    def is_exercise(self):
        return self.exercise_id is not None

    def _get_agency_code(self):
        return self.__dict__.get("agency_code") or self.agency.code

    def _set_agency_code(self, value):
        self.__dict__["agency_code"] = value

    # The reporting agency's code: lists annotate it (`F("agency__code")`) rather than build a
    # whole agency per row; a single incident reads it from its agency.
    agency_code = property(_get_agency_code, _set_agency_code)

    @property
    def may_gain_shares(self):
        """Validated (or already shared) and not TLP:RED: clauses may share it with more partners."""
        return self.status in {IncidentStatus.VALIDATED, IncidentStatus.SHARED} and self.marking != TLP.RED

    @property
    def keeps_shares(self):
        """What it takes to keep a share: a closed incident stays with partners until their
        retention ends, but a draft (or one re-marked TLP:RED) is shared with nobody."""
        return (
            self.status in {IncidentStatus.VALIDATED, IncidentStatus.SHARED, IncidentStatus.CLOSED}
            and self.marking != TLP.RED
        )


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    """Who may see which incident: django-guardian's direct-foreign-key permission of a country's
    group (`view_incident`), and at once the visibility index every read goes through.

    One row per (country, incident): the owner's row never expires; a partner's row lasts as
    long as its longest active grant, each grant counted until its retention ends or its
    agreement's expiry date passes, whichever comes first. `personal_data_until` is the same
    window for the grants that allow personal data. The gate compares both with the time of
    the read (`incidents.access`), so an end in time needs no task to take effect; `occurred_at`
    is the incident's time, copied so that lists are read in the index's order. Only the sharing
    engine writes these rows, from the `ShareGrant` ledger, in the transaction of the change.
    """

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="visibility")
    country = models.ForeignKey("portal.Country", on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    personal_data = models.BooleanField(default=False)
    personal_data_until = models.DateTimeField(null=True, blank=True)
    is_owner = models.BooleanField(default=False)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        constraints = [models.UniqueConstraint(fields=["country", "content_object"], name="visibility_unique")]
        indexes = [
            models.Index(fields=["country", "-occurred_at", "-content_object"], name="visibility_list"),
            # Live pages find the latest window of their country that has ended (`incidents.live`).
            models.Index(fields=["country", "expires_at"], name="visibility_window_end"),
        ]

    def __str__(self):
        return f"{self.country_id} sees {self.content_object_id}"


# The visibility index is the permission table; the name says what reads use it for.
IncidentVisibility = IncidentGroupObjectPermission


class IncidentCounter(models.Model):
    """The last reference number used by an agency in a year; locked while numbering."""

    agency = models.ForeignKey("portal.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="incident_counter_unique")]

    def __str__(self):
        return f"{self.agency_id}/{self.year}: {self.last}"


class ShareEnd(models.TextChoices):
    """Why a country stopped seeing an incident (the code partners receive in a Cancel)."""

    RETENTION_ENDED = "retention_ended", _("The retention period set by the clause ended.")
    AGREEMENT_ENDED = "agreement_ended", _("The agreement is no longer in force.")
    NOT_SHAREABLE = "not_shareable", _("The incident is no longer covered by a clause (marking, category or state).")


class ShareGrant(models.Model):
    """The ledger of sharing: which country got an incident, under which clause, until when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="grants")
    country = models.ForeignKey("portal.Country", on_delete=models.PROTECT, related_name="+")
    clause = models.ForeignKey("agreements.DataSharingClause", on_delete=models.PROTECT, related_name="grants")
    personal_data = models.BooleanField(default=False)
    on_request = models.BooleanField(default=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    end_reason = models.CharField(max_length=20, choices=ShareEnd.choices, blank=True)
    # The grant's end as last computed (its retention, or its agreement's end by date if
    # sooner). Once passed, the grant has ended for good, even if the agreement's dates are
    # moved later afterwards: only a new share (with its own Alert) shows the incident again.
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [
            models.Index(fields=["revoked_at", "expires_at"]),
            models.Index(fields=["incident", "country"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "country", "clause"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_grant_per_clause",
            )
        ]

    def __str__(self):
        return f"{self.incident_id} → {self.country_id} ({self.clause_id})"

    def is_active(self, at=None):
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at


class SharingResync(models.Model):
    """Outbox of the sharing engine: an agreement whose change may open new shares (an
    agreement entering force, a later expiry date). Narrowing never waits for this row: it is
    done in the transaction of the change. A task started at commit works the row off; the
    beat sweeper takes any the broker never delivered."""

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["done_at", "requested_at"])]

    def __str__(self):
        return f"resync of agreement {self.agreement_id}"


class IncidentComment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_label = models.CharField(max_length=200, blank=True)
    # The commenting country: a partner's comment is seen by the owner and by that country only.
    # Empty for comments written before the country was recorded: the owner alone sees those.
    country = models.ForeignKey("portal.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.incident_id}: {self.body[:40]}"


def _attachment_path(instance, filename):
    # The stored name never derives from the uploaded one.
    return f"incidents/{instance.incident_id}/{uuid.uuid4().hex}{Path(filename).suffix}"


class IncidentAttachment(models.Model):
    """A photo or document of an incident. Photos are stored re-encoded, without metadata."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_photo = models.BooleanField(default=False)
    personal_data = models.BooleanField(
        _("shows or names a person"),
        default=True,
        help_text=_("Partners whose clause withholds personal data do not receive this file."),
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class HandoverStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Not answered in time")


HANDOVER_HOURS = 24


class Handover(models.Model):
    """A request that a neighbouring country's agency takes over the handling of an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="handovers")
    from_agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("to agency"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    status = models.CharField(max_length=20, choices=HandoverStatus.choices, default=HandoverStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(status="pending"), name="one_pending_handover"),
        ]

    def __str__(self):
        return f"{self.incident_id} → {self.to_agency_id}"

    def time_left(self, now=None):
        return max(self.deadline - (now or timezone.now()), timedelta(0))


class IncidentChange(models.Model):
    """A change of what one country sees of one incident: shared with it, updated, no longer
    shared, or edited by its owner. The log that live pages poll (`incidents.live`), written in
    the transaction of the change and numbered per country in commit order once it committed.
    A row says only that this incident changed for this country; what a page then shows of it is
    read through the gate at the moment of the poll."""

    country = models.ForeignKey("portal.Country", on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    # The country's own numbering, in the order the changes committed (`incidents.live.sequence`).
    seq = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "seq"], name="incident_change_order")]
        indexes = [
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="incident_change_unnumbered"),
            models.Index(fields=["changed_at"], name="incident_change_age"),
        ]

    def __str__(self):
        return f"{self.incident_id} changed for {self.country_id} (#{self.seq})"


class LiveSeen(models.Model):
    """How far a person has seen their country's changes: later ones are marked new on the
    dashboard, the incident list and the map, on every device they use."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    country = models.ForeignKey("portal.Country", on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField(default=0)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id} saw {self.country_id} up to #{self.seq}"


class IncidentIdentifier(models.Model):
    """A typed identifier an incident carries (a plate, a VIN, a document, a vessel, a phone), in
    its canonical form (`incidents.identifiers`); plates and documents with their country. The
    kinds of a person (document, phone) are personal data, shown only where the incident's
    personal data may be seen. Written only by `incidents.services`, with its digest."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(_("identifier"), max_length=20)
    country = models.ForeignKey(
        "portal.Country", verbose_name=_("country"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "value", "id"]
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        constraints = [
            # Plates and documents are read with their country, the other kinds without one.
            models.UniqueConstraint(
                fields=["incident", "kind", "value", "country"],
                condition=Q(country__isnull=False),
                name="incident_identifier_unique",
            ),
            models.UniqueConstraint(
                fields=["incident", "kind", "value"],
                condition=Q(country__isnull=True),
                name="incident_identifier_unique_no_country",
            ),
        ]

    def __str__(self):
        return f"{self.incident_id}: {self.kind}"


class IdentifierDigest(models.Model):
    """The hit/no-hit index: one keyed hash (HMAC-SHA256, hex) per identifier of an incident,
    never the identifier itself, with the incident's owner country copied for the search.

    A search computes the digest of what it looks for and finds the rows of that kind and digest
    (`identifier_digest_lookup`); whether the searching country may learn of a hit, and what the
    hit reveals, is decided at the time of the search. The rows are written in the transaction
    that sets the incident's identifiers. They hold their meaning only under the key they were
    computed with (`EXCHANGE_HASH_KEY`): a new key needs every digest computed again."""

    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    digest = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    country = models.ForeignKey("portal.Country", on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["kind", "digest"], name="identifier_digest_lookup")]
        constraints = [models.UniqueConstraint(fields=["incident", "kind", "digest"], name="identifier_digest_unique")]

    def __str__(self):
        return f"{self.kind} digest of {self.incident_id}"
