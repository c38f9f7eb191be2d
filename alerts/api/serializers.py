"""What the alert feed's API gives and takes."""

from rest_framework import serializers

from alerts.models import AlertStatus, AlertType
from incidents.models import ShareEnd


class AlertOut(serializers.Serializer):
    """An alert of the pull feed. `incident` is the incident as the receiver may see it now; it
    is null in a Cancel and once the share has ended, and `reason` then says why."""

    id = serializers.IntegerField()
    cursor = serializers.IntegerField(help_text="The alert's place in the feed (commit order): what `after` takes.")
    identifier = serializers.UUIDField()
    sent = serializers.DateTimeField(source="sent_at")
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    msg_type = serializers.ChoiceField(choices=AlertType.choices)
    references = serializers.UUIDField(source="message.references", allow_null=True)
    reference = serializers.CharField(source="message.reference", help_text="The incident's reference.")
    acknowledged_at = serializers.DateTimeField(source="acknowledgement.at", default=None, allow_null=True)
    incident = serializers.DictField(
        source="message.incident",
        allow_null=True,
        help_text="The incident as the receiver may see it now (what its clause lets it see).",
    )
    reason = serializers.ChoiceField(
        source="message.reason",
        choices=ShareEnd.choices,
        allow_null=True,
        help_text="Why `incident` is null: the share ended, or the reason of a Cancel.",
    )


class AlertPageOut(serializers.Serializer):
    """A page of the pull feed, oldest first."""

    results = AlertOut(many=True)
    next_after = serializers.IntegerField(
        allow_null=True,
        help_text="Pass as `after` for the next page: the last `cursor` of this page, else the `after` given; "
        "null while the feed has given nothing.",
    )


class AlertFilterIn(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="Return alerts after this `cursor` (the last page's `next_after`)."
    )
    msg_type = serializers.ChoiceField(choices=AlertType.choices, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class AckOut(serializers.Serializer):
    identifier = serializers.UUIDField(source="alert.identifier")
    acknowledged_at = serializers.DateTimeField(source="at")
    acknowledged_by = serializers.CharField(source="by_label")
