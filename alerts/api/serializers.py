"""What the alert feed's API gives and takes."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import AlertKind, AlertStatus, AlertType, RequestEvent
from borders.models import ImpactLevel
from incidents.models import ShareEnd

_LEVEL = {"type": "string", "enum": list(ImpactLevel.values)}
_POSITION = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3}
_LINE = {"type": "array", "items": _POSITION, "minItems": 2}
_RING = {"type": "array", "items": _POSITION, "minItems": 4}

# The `sector` of a level alert: the change and the sector as they were at the rise.
SECTOR_LEVEL_SCHEMA = {
    "type": "object",
    "description": "For `kind` `sector_level`: the rise in the sector's impact level and the sector as it was "
    "then; null for an incident alert. Levels in rising order: low, medium, high, critical (EUROSUR).",
    "properties": {
        "code": {"type": "string", "description": "The sector's code, unique within its country."},
        "name": {"type": "string"},
        "country": {"type": "string", "description": "The owning country (ISO 3166-1 alpha-2)."},
        "previous_level": _LEVEL,
        "level": {**_LEVEL, "description": "The new impact level, higher than `previous_level`."},
        "reason": {"type": "string", "description": "Why the level was raised, as its supervisor wrote it."},
        "set_at": {"type": "string", "format": "date-time"},
        "geometry": {
            "type": "object",
            "description": "The sector's GeoJSON geometry (WGS 84, [longitude, latitude]).",
            "properties": {
                "type": {"type": "string", "enum": ["LineString", "MultiLineString", "Polygon", "MultiPolygon"]},
                "coordinates": {
                    "oneOf": [
                        _LINE,
                        {"type": "array", "items": _LINE},
                        {"type": "array", "items": {"type": "array", "items": _RING}},
                    ]
                },
            },
        },
        "bbox": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 4,
            "maxItems": 4,
            "description": "west, south, east, north of the geometry, in decimal degrees.",
        },
        "url": {"type": "string", "format": "uri", "description": "The sector's page on the portal."},
    },
}


@extend_schema_field(SECTOR_LEVEL_SCHEMA)
class SectorLevelField(serializers.JSONField):
    """The sector content of a level alert (a stored JSON object, documented field by field)."""


_MOMENT = {"type": "string", "format": "date-time"}
_COUNTRY = {"type": "string", "description": "ISO 3166-1 alpha-2."}

# The `request` of a request alert: the request as it stood at the event (built by `exchange`).
REQUEST_SCHEMA = {
    "type": "object",
    "description": "For `kind` `request`: a request for information the receiver's country is a party to, as it "
    "stood at the event; null for the other kinds. It never holds the text of an answer or of a request: read the "
    "request at `url` (scope `requests:read`) for that, where personal data is given only while a clause allows it.",
    "properties": {
        "id": {"type": "integer", "description": "The request's id in `/api/v1/exchange/requests/`."},
        "reference": {
            "type": "string",
            "description": "The request's reference: RFI-<requesting country>-<year>-<number>.",
        },
        "event": {
            "type": "string",
            "enum": list(RequestEvent.values),
            "description": "What happened: `received` (to the requested country), `answered` and `extended` (to "
            "the requesting country), `deadline_approaching` and `withdrawn` (to the requested country).",
        },
        "subject": {"type": "string"},
        "requesting_country": _COUNTRY,
        "requested_country": _COUNTRY,
        "status": {
            "type": "string",
            "enum": ["sent", "answered", "partial", "refused", "withdrawn"],
            "description": "The request's status after the event.",
        },
        "urgent": {"type": "boolean"},
        "sent_at": _MOMENT,
        "due_at": {**_MOMENT, "description": "When the answer is due (after the event: the new limit once extended)."},
        "previous_due_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "For `extended`: the time limit before the extension; null otherwise.",
        },
        "answer_kind": {
            "type": ["string", "null"],
            "enum": ["full", "partial", "refusal", None],
            "description": "For `answered`: the kind of answer; null otherwise.",
        },
        "follows_by": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "For a partial answer: by when the rest follows; null otherwise.",
        },
        "url": {"type": "string", "format": "uri", "description": "The request in the API."},
    },
}


@extend_schema_field(REQUEST_SCHEMA)
class RequestAlertField(serializers.JSONField):
    """The request content of a request alert (a stored JSON object, documented field by field)."""


class AlertOut(serializers.Serializer):
    """An alert of the pull feed. `kind` says what it is about. For an incident, `incident` is
    the incident as the receiver may see it now; it is null in a Cancel and once the share has
    ended, and `reason` then says why. For a rise in a border sector's impact level, `sector`
    holds the rise; such an alert is served only while the receiver sees the sector. For a
    request for information, `request` says what happened to it; such an alert is served only
    while the reader may read the request."""

    id = serializers.IntegerField()
    cursor = serializers.IntegerField(help_text="The alert's place in the feed (commit order): what `after` takes.")
    identifier = serializers.UUIDField()
    kind = serializers.ChoiceField(
        source="message.kind",
        choices=AlertKind.choices,
        help_text="`incident`: `incident` is set (or null with a `reason`); `sector_level`: a rise in a border "
        "sector's impact level, `sector` is set and `incident` null; `request`: an event of a request for "
        "information, `request` is set and `incident` and `sector` null.",
    )
    sent = serializers.DateTimeField(source="sent_at")
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    msg_type = serializers.ChoiceField(choices=AlertType.choices)
    references = serializers.UUIDField(source="message.references", allow_null=True)
    reference = serializers.CharField(
        source="message.reference", help_text="The incident's reference, the sector's code or the request's reference."
    )
    acknowledged_at = serializers.DateTimeField(source="acknowledgement.at", default=None, allow_null=True)
    incident = serializers.DictField(
        source="message.incident",
        allow_null=True,
        help_text="The incident as the receiver may see it now (what its clause lets it see); null for a "
        "sector's level and a request.",
    )
    sector = SectorLevelField(source="message.sector", allow_null=True)
    request = RequestAlertField(source="message.request", allow_null=True)
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
    kind = serializers.ChoiceField(
        choices=AlertKind.choices,
        required=False,
        help_text="Only alerts of incidents, only of sectors' levels, or only of requests for information.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class AckOut(serializers.Serializer):
    identifier = serializers.UUIDField(source="alert.identifier")
    acknowledged_at = serializers.DateTimeField(source="at")
    acknowledged_by = serializers.CharField(source="by_label")
