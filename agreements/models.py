"""Treaties, memoranda, SOPs and the data-sharing clauses that decide what partners see."""

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from portal.choices import SHAREABLE_TLP, TLP, IdentifierKind, IncidentCategory
from portal.gate import GatedQuerySet


class AgreementKind(models.TextChoices):
    TREATY = "treaty", _("Treaty")
    MOU = "mou", _("Memorandum of understanding")
    SOP = "sop", _("Standard operating procedure")
    PROTOCOL = "protocol", _("Protocol")
    EXCHANGE_OF_LETTERS = "letters", _("Exchange of letters")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NEGOTIATION = "negotiation", _("In negotiation")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


# Text and clauses can change only before signature; afterwards the agreement is amended.
CONTENT_EDITABLE = {AgreementStatus.DRAFT, AgreementStatus.NEGOTIATION}
FINAL_STATES = {AgreementStatus.EXPIRED, AgreementStatus.TERMINATED}


def end_of_day(day):
    """The first moment after `day` in the portal's time zone (aware)."""
    import datetime

    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def in_force_q(day, prefix=""):
    """Agreements in force on `day` by their status and their dates, as a filter; the same rule
    as `Agreement.in_force_on`, for querysets (`prefix` reaches the agreement through a relation)."""
    field = lambda name: f"{prefix}{name}"  # noqa: E731
    return models.Q(**{field("status"): AgreementStatus.IN_FORCE, field("effective_from__lte"): day}) & (
        models.Q(**{field("expires_on__isnull"): True})
        | models.Q(**{field("expires_on__gte"): day})
        | models.Q(**{field("auto_renewal"): True, field("renewal_months__gt"): 0})
    )


class Agreement(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    reference = models.CharField(
        _("reference number"), max_length=60, help_text=_("The number under which the parties registered it.")
    )
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AgreementStatus.choices, default="draft")
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, help_text=_("Empty when open-ended."))
    notice_period_days = models.PositiveIntegerField(
        _("notice period (days)"),
        null=True,
        blank=True,
        help_text=_("Days before expiry by which a party must give notice to end or renegotiate it."),
    )
    auto_renewal = models.BooleanField(_("renews automatically"), default=False)
    renewal_months = models.PositiveIntegerField(
        _("renewal term (months)"), null=True, blank=True, help_text=_("Length of each automatic renewal.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.UniqueConstraint(fields=["reference", "version"], name="agreement_reference_version_unique"),
        ]

    def __str__(self):
        suffix = f" v{self.version}" if self.version > 1 else ""
        return f"{self.reference}{suffix}: {self.title}"

    @property
    def is_content_editable(self):
        return self.status in CONTENT_EDITABLE

    def party_countries(self):
        return [party.country for party in self.parties.all()]

    @property
    def renews_itself(self):
        """An agreement in force that renews automatically does not end on its expiry date: the
        daily task only writes the next one down."""
        return self.auto_renewal and bool(self.renewal_months)

    def in_force_on(self, day):
        return (
            self.status == AgreementStatus.IN_FORCE
            and self.effective_from is not None
            and self.effective_from <= day
            and (self.expires_on is None or self.renews_itself or day <= self.expires_on)
        )

    def force_ends_at(self):
        """The moment this agreement stops being in force by its dates (the end of its expiry
        day in the portal's time zone), or None when nothing but a decision can end it."""
        if self.expires_on is None or self.renews_itself:
            return None
        return end_of_day(self.expires_on)

    @property
    def notice_deadline(self):
        if self.expires_on and self.notice_period_days:
            return self.expires_on - timedelta(days=self.notice_period_days)
        return None


class AgreementGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-foreign-key object permissions of agreements (granted to country groups)."""

    content_object = models.ForeignKey(Agreement, on_delete=models.CASCADE)


class AgreementParty(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    country = models.ForeignKey("portal.Country", verbose_name=_("country"), on_delete=models.PROTECT)
    agency = models.ForeignKey("portal.Agency", verbose_name=_("represented by"), on_delete=models.PROTECT)
    liaison_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible liaison officers"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["country__name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [models.UniqueConstraint(fields=["agreement", "country"], name="agreement_party_unique")]

    def __str__(self):
        return f"{self.country} ({self.agency.code})"


class AgreementEvent(models.Model):
    """One step of an agreement's timeline: a transition, an amendment or a renewal."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=AgreementStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AgreementStatus.choices, blank=True)
    kind = models.CharField(max_length=20, default="transition")
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.agreement_id}: {self.from_status} → {self.to_status}"


class ClauseMode(models.TextChoices):
    AUTOMATIC = "automatic", _("automatically")
    ON_REQUEST = "on_request", _("only on an officer's explicit request")


class DataSharingClause(models.Model):
    """What one party shares with another, in fields the sharing engine reads.

    `provider` empty means every party; `receiver` empty means every other party; `mutual`
    means the receiver shares the same with the provider.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="clauses")
    provider = models.ForeignKey(
        "portal.Country",
        verbose_name=_("providing party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiver = models.ForeignKey(
        "portal.Country",
        verbose_name=_("receiving party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mutual = models.BooleanField(_("mutual"), default=False, help_text=_("The receiver shares the same in return."))
    categories = models.JSONField(_("incident categories"), default=list)
    max_marking = models.CharField(_("highest marking shared"), max_length=20, choices=SHAREABLE_TLP)
    personal_data = models.BooleanField(_("personal data may be shared"), default=False)
    retention_days = models.PositiveIntegerField(_("retention (days)"))
    mode = models.CharField(_("sharing"), max_length=20, choices=ClauseMode.choices, default=ClauseMode.AUTOMATIC)
    purpose = models.TextField(_("purpose"))
    hit_no_hit_kinds = models.JSONField(
        _("hit/no-hit identifier kinds"),
        default=list,
        blank=True,
        help_text=_("Identifier kinds the receiver may check for a hit or no hit against the provider's incidents"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("data-sharing clause")
        verbose_name_plural = _("data-sharing clauses")

    def __str__(self):
        return f"{self.agreement.reference} clause {self.pk}"

    def allows_marking(self, marking):
        return marking != TLP.RED and TLP.rank(marking) <= TLP.rank(self.max_marking)

    def category_labels(self):
        return [IncidentCategory(c).label for c in self.categories if c in IncidentCategory.values]

    def hit_no_hit_labels(self):
        return [IdentifierKind(k).label for k in self.hit_no_hit_kinds if k in IdentifierKind.values]

    def directions(self, parties):
        """(provider, receiver) country pairs this clause covers, given the agreement's parties."""
        by_id = {country.pk: country for country in parties}
        if self.provider_id:
            by_id.setdefault(self.provider_id, self.provider)
        if self.receiver_id:
            by_id.setdefault(self.receiver_id, self.receiver)
        return {(by_id[provider], by_id[receiver]) for provider, receiver in self.direction_ids(list(by_id))}

    def direction_ids(self, party_ids):
        """`directions` by country id, for callers that hold only the parties' ids."""
        return direction_ids(self.provider_id, self.receiver_id, self.mutual, party_ids)


def direction_ids(provider_id, receiver_id, mutual, party_ids):
    """The (provider id, receiver id) pairs a clause of these columns covers between the parties
    `party_ids`: for readers of plain values rather than clauses."""
    providers = [provider_id] if provider_id else party_ids
    pairs = set()
    for provider in providers:
        receivers = [receiver_id] if receiver_id else [c for c in party_ids if c != provider]
        for receiver in receivers:
            if receiver != provider:
                pairs.add((provider, receiver))
                if mutual:
                    pairs.add((receiver, provider))
    return pairs


class DocumentKind(models.TextChoices):
    SIGNED = "signed", _("Signed text")
    DRAFT_TEXT = "draft", _("Draft text")
    ANNEX = "annex", _("Annex")
    CORRESPONDENCE = "correspondence", _("Correspondence")


class AgreementDocument(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self):
        return self.title

    @property
    def current(self):
        return self.versions.order_by("-number").first()


def _document_path(instance, filename):
    # The stored name never derives from the uploaded one.
    return f"agreements/{instance.document.agreement_id}/{uuid.uuid4().hex}{Path(filename).suffix}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(AgreementDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=_document_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]

    def __str__(self):
        return f"{self.document} v{self.number}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISCUSSION = "discussion", _("Under discussion")
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated")


class Dispute(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="disputes")
    raised_by_country = models.ForeignKey("portal.Country", on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject


class DisputeMessage(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.dispute_id}: {self.body[:40]}"


class ReminderSent(models.Model):
    """A warning already sent, so that each one goes out once however often the task runs."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind", "due_on"], name="reminder_once"),
        ]

    def __str__(self):
        return f"{self.agreement_id} {self.kind} {self.due_on}"
