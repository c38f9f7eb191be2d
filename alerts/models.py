"""Alerts to partner countries: the outbox of messages, the agencies' subscriptions, and the
delivery ledger (one row per alert and subscription; the row is the truth, the broker only wakes a
worker)."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Severity


class AlertType(models.TextChoices):
    ALERT = "Alert", "Alert"
    UPDATE = "Update", "Update"
    CANCEL = "Cancel", "Cancel"


class AlertKind(models.TextChoices):
    """What an alert is about: an incident shared with the receiver, a rise in the impact level
    of a border sector the receiver sees, or a request for information its country is a party to."""

    INCIDENT = "incident", _("Incident")
    SECTOR_LEVEL = "sector_level", _("Sector impact level raised")
    REQUEST = "request", _("Request for information")


class RequestEvent(models.TextChoices):
    """What happened to a request for information, for the alert that tells a party of it."""

    RECEIVED = "received", _("Request for information received")
    ANSWERED = "answered", _("Request for information answered")
    EXTENDED = "extended", _("Time limit of a request for information extended")
    DEADLINE_APPROACHING = "deadline_approaching", _("Answer to a request for information due soon")
    WITHDRAWN = "withdrawn", _("Request for information withdrawn")


class AlertStatus(models.TextChoices):
    ACTUAL = "Actual", "Actual"
    EXERCISE = "Exercise", "Exercise"
    TEST = "Test", "Test"


class Alert(models.Model):
    """A message to a partner country (the outbox row), about one of three things (`kind`):

    - an incident shared with it: created in the same transaction as the grant (or revocation)
      that causes it; its payload is the incident as that country may see it, personal data
      withheld where the clause says so;
    - a rise in the impact level of a border sector it sees (`sector`, `level_change`): created in
      the transaction of the rise; its payload is the change and the sector as they were then.
      Its content is served only while the receiver still sees the sector (`alerts.levels`);
    - a request for information its country is a party to (`info_request`, `request_event`):
      created in the transaction of the service that sends, answers, extends or withdraws it, or
      of the reminder that its answer is due soon; its payload (built by `exchange`) is the
      request's reference, subject, urgency and time limit and the kind of answer, never the
      answer's text. It is served only while the receiver may still read the request through the
      requests' gate (`alerts.info_requests`).
    """

    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    sector = models.ForeignKey(
        "borders.BorderSector", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    level_change = models.ForeignKey(
        "borders.ImpactLevelChange", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    info_request = models.ForeignKey(
        "exchange.InformationRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    request_event = models.CharField(max_length=30, blank=True, choices=RequestEvent.choices)
    country = models.ForeignKey("portal.Country", on_delete=models.PROTECT, related_name="+")
    msg_type = models.CharField(max_length=10, choices=AlertType.choices, default=AlertType.ALERT)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.ACTUAL)
    references = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.CharField(max_length=200, blank=True)
    # The pull feed's cursor, in the order alerts became visible (commit order), not of their
    # ids: given by `alerts.feed.sequence` once the alert's transaction has committed.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        db_table = "incidents_alert"  # the tables keep the name they were created with
        ordering = ["id"]
        indexes = [
            models.Index(fields=["country", "id"]),
            models.Index(fields=["country", "seq"], name="alert_feed_order"),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="alert_unsequenced"),
        ]
        constraints = [
            # An alert is about an incident, a sector's level or a request: one of them, never two
            # nor none; the event of a request alert is given with it and only with it.
            models.CheckConstraint(
                condition=(models.Q(incident__isnull=False, sector__isnull=True, info_request__isnull=True))
                | (models.Q(incident__isnull=True, sector__isnull=False, info_request__isnull=True))
                | (models.Q(incident__isnull=True, sector__isnull=True, info_request__isnull=False)),
                name="alert_about_one_thing",
            ),
            models.CheckConstraint(
                condition=models.Q(info_request__isnull=True, request_event="")
                | (models.Q(info_request__isnull=False) & ~models.Q(request_event="")),
                name="alert_request_event_with_request",
            ),
        ]

    def __str__(self):
        return f"{self.msg_type} {self.identifier} → {self.country_id}"

    @property
    def cursor(self):
        """The feed cursor. Every alert the feed serves or a webhook carries has one (the feed
        reads only numbered alerts, a delivery numbers its alert first); none is an error."""
        if self.seq is None:
            raise ValueError(f"alert {self.pk} has no feed number yet")
        return self.seq

    @property
    def kind(self):
        if self.info_request_id:
            return AlertKind.REQUEST
        return AlertKind.SECTOR_LEVEL if self.sector_id else AlertKind.INCIDENT

    @property
    def is_sector_level(self):
        return self.sector_id is not None

    @property
    def is_request(self):
        return self.info_request_id is not None

    @property
    def event_key(self):
        """What names its event type (`alerts.delivery.EVENT_TYPES`): the kind and the message type,
        or for a request the kind and what happened to it."""
        return (self.kind, self.request_event if self.is_request else self.msg_type)

    @property
    def about(self):
        """The incident, sector or request the alert is about (what the audit log names)."""
        if self.is_request:
            return self.info_request
        return self.sector if self.is_sector_level else self.incident

    @property
    def is_cancel(self):
        """A Cancel carries no incident content, ever: only references and a reason code."""
        return self.msg_type == AlertType.CANCEL


class AlertAcknowledgement(models.Model):
    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="acknowledgement")
    agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT, related_name="+")
    by_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "incidents_alertacknowledgement"  # the tables keep the name they were created with

    def __str__(self):
        return f"{self.alert_id} acknowledged by {self.by_label}"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("E-mail")


class Subscription(models.Model):
    """How an agency wants alerts pushed to it: a webhook or e-mail, with filters."""

    agency = models.ForeignKey("portal.Agency", on_delete=models.CASCADE, related_name="subscriptions")
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    secrets = models.JSONField(default=list, blank=True, help_text="Signing secrets, newest first (whsec_…).")
    emails = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    min_severity = models.CharField(
        _("minimum severity"), max_length=10, choices=Severity.choices, default=Severity.LOW
    )
    sectors = models.JSONField(default=list, blank=True)
    bbox = models.JSONField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "incidents_subscription"  # the tables keep the name they were created with
        ordering = ["agency", "name"]

    def __str__(self):
        return f"{self.agency_id}: {self.name}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Failed for good")
    CANCELLED = "cancelled", _("Cancelled")


class CancelReason(models.TextChoices):
    """Why a delivery was not sent (kept in the ledger's error column)."""

    SHARE_ENDED = "share_ended", _("the share ended before it was sent")
    SECTOR_UNSEEN = "sector_unseen", _("no agreement in force let the country see the sector when it was to be sent")
    REQUEST_UNSEEN = (
        "request_unseen",
        _("the receiving agency could no longer read the request for information when it was to be sent"),
    )
    SWITCHED_OFF = "switched_off", _("the subscription was switched off")
    GONE = "gone", _("the endpoint answered 410 Gone and the subscription was switched off")


class AlertDelivery(models.Model):
    """One alert to one subscription: the row is the truth, the broker only wakes a worker."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a message was last handed to the broker for this row; the sweeper sends another only
    # when none is waiting (or one was given up as lost, ALERTS_REQUEUE_AFTER).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "incidents_alertdelivery"  # the tables keep the name they were created with
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [models.UniqueConstraint(fields=["alert", "subscription"], name="one_delivery_per_target")]

    def __str__(self):
        return f"{self.alert_id} → {self.subscription_id} ({self.state})"

    @property
    def problem(self):
        """What went wrong, in the reader's language where it is one of the portal's reasons."""
        if self.last_error in CancelReason.values:
            return CancelReason(self.last_error).label
        return self.last_error

    @property
    def message_id(self):
        """The `webhook-id`: the same for every attempt, so receivers can drop repeats."""
        return f"msg_{self.alert.identifier.hex}_{self.subscription_id}"
