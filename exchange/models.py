"""Information exchange on request between countries (Directive (EU) 2023/977) and hit/no-hit
checks of identifiers (Prüm II, Regulation (EU) 2024/982).

- A country names one Single Point of Contact (`SinglePointOfContact`): the agency (or desk)
  that receives requests and routes them to the agency that holds the information.
- A request for information (`InformationRequest`) goes from an agency of one country to the
  SPOC of another, with the identifiers sought, linked incidents and its legal basis. Its time
  limit follows from urgency and direct accessibility (`time_limit`); the receiver may ask for
  more time (`RequestExtension`); it is closed by one answer (`RequestAnswer`: full, partial or
  a refusal on a listed ground), with attachments.
- A hit/no-hit check (`HitCheck`) is the audited record of one search: who, when, for what
  purpose, which kind, and the keyed digest of what was looked for (never the value); its hits
  (`Hit`) name the holder's incident, which the holder's SPOC sees and the searcher learns only
  as a reference.

Written only by `exchange.services`; read only through `exchange.selectors`, which let the two
countries of a request (and no third) see it.
"""

import datetime
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.choices import IdentifierKind


class SinglePointOfContact(models.Model):
    """The SPOC of a country: the one agency (or one of its desks) that receives requests."""

    country = models.OneToOneField(
        "portal.Country", verbose_name=_("country"), primary_key=True, on_delete=models.PROTECT, related_name="spoc"
    )
    agency = models.ForeignKey("portal.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    desk = models.CharField(
        _("desk"), max_length=200, blank=True, help_text=_("The desk of the agency that answers, if not all of it.")
    )
    languages = models.JSONField(
        _("working languages"), default=list, help_text=_("Language codes, such as en, lt, pl.")
    )
    always_open = models.BooleanField(_("staffed around the clock"), default=True)
    hours = models.CharField(
        _("working hours"), max_length=200, blank=True, help_text=_("When it is not staffed around the clock.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("single point of contact")
        verbose_name_plural = _("single points of contact")

    def __str__(self):
        return f"{self.country_id}: {self.agency.code}{' / ' + self.desk if self.desk else ''}"


class LegalBasis(models.TextChoices):
    AGREEMENT = "agreement", _("An agreement in force between the two countries")
    DIRECTIVE = "directive", _("Directive (EU) 2023/977")


class RequestStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    PARTIAL = "partial", _("Partly answered")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def open(cls):
        """States in which the receiver still owes an answer (a partial answer owes the rest)."""
        return {cls.SENT, cls.PARTIAL}


class AnswerKind(models.TextChoices):
    FULL = "full", _("Full answer")
    PARTIAL = "partial", _("Partial answer")
    REFUSAL = "refusal", _("Refusal")


class RefusalGround(models.TextChoices):
    """The grounds on which a request may be refused, Directive (EU) 2023/977, Article 6(1)."""

    NOT_AVAILABLE = "not_available", _("(a) The information is not available to the SPOC or the competent authorities")
    REQUIREMENTS = "requirements", _("(b) The request does not meet the requirements of Article 4")
    JUDICIAL_REFUSED = "judicial_refused", _("(c) The judicial authorisation required by national law was refused")
    PERSONAL_DATA = "personal_data", _("(d) The information is personal data outside the categories of Article 10(b)")
    INACCURATE = "inaccurate", _("(e) The information is inaccurate, incomplete or no longer up to date")
    NATIONAL_SECURITY = "national_security", _("(f)(i) It would harm essential interests of national security")
    INVESTIGATION = (
        "investigation",
        _("(f)(ii) It would jeopardise an ongoing investigation or the safety of an individual"),
    )
    LEGAL_PERSON = "legal_person", _("(f)(iii) It would unduly harm protected important interests of a legal person")
    MINOR_OFFENCE = (
        "minor_offence",
        _("(g)(i) The offence is punishable by one year of imprisonment or less in the requested country"),
    )
    NOT_AN_OFFENCE = "not_an_offence", _("(g)(ii) The matter is not a criminal offence in the requested country")
    NO_CONSENT = (
        "no_consent",
        _("(h) The information came from another state, which has not consented to its provision"),
    )


# Directive (EU) 2023/977, Article 5(1): the time limits of an answer.
LIMIT_URGENT_DIRECT = datetime.timedelta(hours=8)
LIMIT_URGENT_INDIRECT = datetime.timedelta(days=3)
LIMIT_OTHER = datetime.timedelta(days=7)


def time_limit(*, urgent, directly_accessible):
    """The time the receiver has to answer: 8 hours for an urgent request for information directly
    accessible to it, 3 days for an urgent one it must obtain from other authorities, 7 days for
    every other request."""
    if urgent:
        return LIMIT_URGENT_DIRECT if directly_accessible else LIMIT_URGENT_INDIRECT
    return LIMIT_OTHER


class InformationRequest(models.Model):
    """A request for information from an agency of one country to the SPOC of another."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    requesting_country = models.ForeignKey(
        "portal.Country", verbose_name=_("requesting country"), on_delete=models.PROTECT, related_name="+"
    )
    requesting_agency = models.ForeignKey(
        "portal.Agency", verbose_name=_("requesting agency"), on_delete=models.PROTECT, related_name="+"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requester_label = models.CharField(max_length=200, help_text=_("The person or partner system that sent it."))
    requested_country = models.ForeignKey(
        "portal.Country", verbose_name=_("requested country"), on_delete=models.PROTECT, related_name="+"
    )
    # The receiving country's SPOC agency, until the SPOC routes it to the agency that holds it.
    routed_to = models.ForeignKey(
        "portal.Agency", verbose_name=_("handled by"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    sought = models.TextField(_("information sought"))
    purpose = models.TextField(_("purpose"), help_text=_("Why the information is needed (Article 4(3))."))
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    directly_accessible = models.BooleanField(
        _("directly accessible to the receiver"),
        default=True,
        help_text=_("Held in the receiver's own databases, rather than to be obtained from other authorities."),
    )
    linked_incidents = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("linked incidents"), blank=True, related_name="+"
    )
    hit = models.ForeignKey(
        "exchange.Hit",
        verbose_name=_("from a hit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SENT)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")
        indexes = [
            models.Index(fields=["requesting_country", "-sent_at"], name="rfi_sent_by_country"),
            models.Index(fields=["requested_country", "-sent_at"], name="rfi_received_by_country"),
            models.Index(fields=["due_at"], condition=Q(status__in=["sent", "partial"]), name="rfi_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requesting_country=models.F("requested_country")), name="rfi_between_two_countries"
            ),
            models.CheckConstraint(
                condition=Q(legal_basis="directive", agreement__isnull=True)
                | Q(legal_basis="agreement", agreement__isnull=False),
                name="rfi_agreement_when_basis",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def time_limit(self):
        return time_limit(urgent=self.urgent, directly_accessible=self.directly_accessible)

    def is_open(self):
        return self.status in RequestStatus.open()

    def overdue(self, now=None):
        return self.is_open() and (now or timezone.now()) > self.due_at


class RequestIdentifier(models.Model):
    """An identifier a request asks about, in its canonical form (`incidents.identifiers`)."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(_("identifier"), max_length=20)
    country = models.ForeignKey(
        "portal.Country", verbose_name=_("country"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "value", "id"]

    def __str__(self):
        return f"{self.kind} {self.value}"


class RequestExtension(models.Model):
    """The receiver asked for more time: the new limit, and why (kept, never edited)."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="extensions")
    previous_due_at = models.DateTimeField()
    due_at = models.DateTimeField(_("new time limit"))
    reason = models.TextField(_("reason"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    asked_by_label = models.CharField(max_length=200)
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self):
        return f"{self.request_id}: until {self.due_at:%Y-%m-%d %H:%M}"


class RequestAnswer(models.Model):
    """An answer to a request: full, partial (with what follows and when) or a refusal on one of
    the directive's grounds. A partial answer may be followed by more answers; a full answer or
    a refusal closes the request."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(_("answer"), max_length=20, choices=AnswerKind.choices)
    text = models.TextField(_("information provided"), blank=True)
    follows = models.TextField(_("what follows"), blank=True)
    follows_by = models.DateTimeField(_("follows by"), null=True, blank=True)
    refusal_ground = models.CharField(_("ground for refusal"), max_length=30, choices=RefusalGround.choices, blank=True)
    refusal_text = models.TextField(_("explanation"), blank=True)
    # Personal data: only written where a clause between the two countries allows it, and shown
    # only while one still does (`exchange.selectors`).
    personal_data = models.TextField(_("personal data"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    answered_by_label = models.CharField(max_length=200)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="refusal", refusal_ground__gt="") | (~Q(kind="refusal") & Q(refusal_ground="")),
                name="rfi_answer_refusal_has_ground",
            ),
        ]

    def __str__(self):
        return f"{self.request_id}: {self.kind}"


def _answer_file_path(instance, filename):
    # The stored name never derives from the uploaded one.
    return f"exchange/{instance.answer.request_id}/{uuid.uuid4().hex}{Path(filename).suffix}"


class AnswerAttachment(models.Model):
    answer = models.ForeignKey(RequestAnswer, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_answer_file_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    personal_data = models.BooleanField(_("shows or names a person"), default=False)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class HitCheck(models.Model):
    """One hit/no-hit search, as audited: who searched (a person or a partner system), from which
    country, when, for what stated purpose, for which kind; the keyed digest of the identifier,
    never its value; and which countries were checked (those whose clauses allowed it then)."""

    searching_country = models.ForeignKey("portal.Country", on_delete=models.PROTECT, related_name="+")
    searching_agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT, related_name="+")
    searcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    searcher_label = models.CharField(max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=IdentifierKind.choices)
    digest = models.CharField(max_length=64)
    purpose = models.TextField(_("purpose"))
    checked_countries = models.JSONField(default=list)
    searched_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-searched_at", "-id"]
        indexes = [models.Index(fields=["searching_country", "-searched_at"], name="hitcheck_by_country")]

    def __str__(self):
        return f"{self.searching_country_id} {self.kind} at {self.searched_at:%Y-%m-%d %H:%M}"


class Hit(models.Model):
    """A hit of a check on a country's incident: the holder's SPOC sees it and the incident; the
    searcher sees only the holder's country and the incident's reference."""

    search = models.ForeignKey(HitCheck, on_delete=models.CASCADE, related_name="hits")
    holder_country = models.ForeignKey("portal.Country", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(max_length=40)

    class Meta:
        ordering = ["holder_country_id", "reference"]
        indexes = [models.Index(fields=["holder_country", "-id"], name="hit_by_holder")]
        constraints = [models.UniqueConstraint(fields=["search", "incident"], name="hit_once_per_incident")]

    def __str__(self):
        return f"{self.reference} ({self.holder_country_id})"
