"""The alerts the portal pushes to webhook subscriptions, as the OpenAPI schema's `webhooks` (3.1).

One webhook per event type of `alerts.delivery.EVENT_TYPES`, so a new type is documented by
itself. Each is the POST `alerts.delivery` sends: the Standard Webhooks envelope of `event()`
as its body, the headers of `_post()`, and what the portal makes of each answer (`_record()`).
drf-spectacular writes no request parameters for webhooks, so `document_webhook_headers` (a
postprocessing hook) adds the three signature headers.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from alerts.api.serializers import AlertOut
from alerts.delivery import EVENT_TYPES
from alerts.info_requests import EVENT_NAMES
from alerts.models import AlertKind, AlertType, RequestEvent

INCIDENT, SECTOR, REQUEST = AlertKind.INCIDENT, AlertKind.SECTOR_LEVEL, AlertKind.REQUEST
# What every request event says of what it carries and when it is served.
_REQUEST = (
    " `data.kind` is `request`, `data.incident` and `data.sector` are null, `data.reference` is the request's "
    "reference and `data.request` holds its id, reference, subject, countries, status, urgency, when it was sent "
    "and when the answer is due, as they stood at the event; never the text of the request or of an answer (read "
    "the request at `data.request.url`, scope `requests:read`, where personal data is given only while a clause "
    "allows it). It goes to every active subscription of the agencies of the country that handle the request (the "
    "country's single point of contact, and the agency it routed the request to); a subscription's filters are of "
    "incidents and sectors and do not apply. Nothing is pushed, and the pull feed gives nothing of it, once the "
    "agency (for the feed: the reader) may no longer read the request."
)
WHAT = {
    (
        INCIDENT,
        AlertType.ALERT,
    ): "An incident is shared with the subscriber's country: a new share, or a share again after "
    "one ended (`data.references` is then the identifier of the country's previous alert of it). "
    "`data.incident` is the incident as that country may see it.",
    (INCIDENT, AlertType.UPDATE): "An incident shared with the subscriber's country changed. `data.references` is the "
    "identifier of the country's previous alert of it; `data.incident` is the incident as it may see it now.",
    (
        INCIDENT,
        AlertType.CANCEL,
    ): "The subscriber's country no longer sees an incident it was alerted of. `data.incident` "
    "is null, `data.reason` says why, `data.reference` names the incident and `data.references` is the "
    "identifier of the alert it cancels.",
    (SECTOR, AlertType.ALERT): "The impact level of a border sector that the subscriber's country sees (its owner "
    "is a party with it to an agreement in force) was raised. `data.kind` is `sector_level`, `data.incident` is "
    "null and `data.sector` holds the sector's code, name and country, the previous and the new level, the "
    "reason, when it was set, its geometry and bounding box, and its page on the portal. `data.reference` is "
    "the sector's code. A lowering of a level is not pushed. The owner's country receives none. A subscription's "
    "`sectors` (codes) and map area (overlapping the sector's bounding box) apply, and its minimum severity is "
    "compared with the new level; its categories, which are of incidents, do not. Nothing is pushed once no "
    "agreement in force lets the subscriber's country see the sector, and the pull feed no longer gives it.",
    (REQUEST, RequestEvent.RECEIVED): "The subscriber's country received a request for information from another "
    "country's agency: its single point of contact owes an answer by `data.request.due_at`." + _REQUEST,
    (REQUEST, RequestEvent.ANSWERED): "A request for information the subscriber's agency sent (or its country's "
    "single point of contact was copied on) was answered: `data.request.answer_kind` is `full`, `partial` (with "
    "`follows_by`, when the rest follows) or `refusal`." + _REQUEST,
    (REQUEST, RequestEvent.EXTENDED): "The requested country asked for more time to answer a request for "
    "information of the subscriber's country: `data.request.due_at` is the new time limit and "
    "`previous_due_at` the one before." + _REQUEST,
    (REQUEST, RequestEvent.DEADLINE_APPROACHING): "The answer to a request for information the subscriber's "
    "country received is due soon: a quarter of the legal time limit is left (2 hours of 8, 18 hours of 3 days, "
    "42 hours of 7 days). Sent once per time limit; an extension starts it again." + _REQUEST,
    (REQUEST, RequestEvent.WITHDRAWN): "The requesting country withdrew a request for information the subscriber's "
    "country received: no answer is owed any more. `data.msg_type` is `Cancel` and `data.references` the "
    "identifier of the country's previous alert of the request. The earlier alerts stay readable, as the request "
    "does." + _REQUEST,
}

LABELS: dict[tuple[str, str], str] = {
    (INCIDENT, AlertType.ALERT): AlertType.ALERT.label,
    (INCIDENT, AlertType.UPDATE): AlertType.UPDATE.label,
    (INCIDENT, AlertType.CANCEL): AlertType.CANCEL.label,
    (SECTOR, AlertType.ALERT): "Border sector impact level raised",
    **{(REQUEST, event): name for event, name in EVENT_NAMES.items()},
}

# Request headers of every push (`alerts.delivery._post`), as OpenAPI parameter objects.
HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The message's id: the same at every attempt of one alert to one subscription, so a "
        "receiver drops repeats by it (delivery is at least once).",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": "When this attempt was signed, in whole seconds since the Unix epoch. Refuse a message "
        "whose timestamp is far from your clock (Standard Webhooks' libraries allow five minutes).",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<webhook-id>.<webhook-timestamp>."
        "<body>`, one per secret of the subscription (two while a secret is rotated). Verify with any "
        "Standard Webhooks library and the subscription's secret.",
    },
]


def _name(event_type):
    """The component name of an event type's envelope: "incident.alert" gives IncidentAlertEventOut."""
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split(".")) + "EventOut"


def envelope(key):
    """The serializer of one event type's body: what `alerts.delivery.event()` gives."""
    event_type = EVENT_TYPES[key]
    return type(
        _name(event_type),
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "__doc__": f"The body of an `{event_type}` push: the Standard Webhooks envelope of one alert.",
            "type": serializers.ChoiceField(choices=[(event_type, LABELS[key])], help_text="The event type."),
            "timestamp": serializers.DateTimeField(
                help_text="When the event was built for this attempt (RFC 3339, UTC, ending in `Z`)."
            ),
            "data": AlertOut(
                help_text="The alert: exactly the item the pull feed (`GET /api/v1/alerts/`) gives for it."
            ),
        },
    )


ENVELOPES = {key: envelope(key) for key in EVENT_TYPES}

_FAILED = (
    "A failed attempt, retried with exponential backoff and jitter ({retries} retries over about three days, "
    "then given up)."
)


def answers():
    """What the portal does with the subscriber's answer (`alerts.delivery._record`)."""
    failed = _FAILED.format(retries=len(settings.ALERTS_RETRY_SCHEDULE))
    retry_after = OpenApiParameter(
        "Retry-After",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="Seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`): the retry waits at least "
        "that long, up to the longest step of the retry schedule.",
        response=[429, "5XX"],
    )
    responses = {
        "2XX": OpenApiResponse(description="Delivered. The answer's body is not read."),
        "3XX": OpenApiResponse(description=f"{failed} The redirect is never followed."),
        410: OpenApiResponse(
            description="The endpoint is gone: the subscription is switched off and its waiting deliveries are "
            "cancelled. An agency administrator switches it on again."
        ),
        429: OpenApiResponse(description=f"{failed} `Retry-After` is honoured."),
        "5XX": OpenApiResponse(description=f"{failed} `Retry-After` is honoured."),
        "default": OpenApiResponse(
            description=f"Any other answer, a malformed one, a refused connection or no complete answer within "
            f"{settings.ALERTS_DEADLINE} seconds: {failed[0].lower()}{failed[1:]}"
        ),
    }
    return responses, [retry_after]


def webhook(key):
    event_type = EVENT_TYPES[key]
    responses, parameters = answers()
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            operation_id=event_type.replace(".", "_"),
            summary=f"{LABELS[key]} pushed to a webhook subscription",
            description=f"{WHAT[key]}\n\nThe portal POSTs the event as JSON to the subscription's URL, signed "
            "by the Standard Webhooks scheme. Answer with a 2xx once it is stored; process it afterwards.",
            tags=["webhooks"],
            request=ENVELOPES[key],
            parameters=parameters,
            responses=responses,
        ),
    )


WEBHOOKS = [webhook(key) for key in EVENT_TYPES]


def document_webhook_headers(result, generator, request, public):
    """Add the signature headers to every push of `WEBHOOKS` (drf-spectacular writes no request
    parameters for webhooks)."""
    for name in (str(hook.name) for hook in WEBHOOKS):
        for operation in result.get("webhooks", {}).get(name, {}).values():
            operation["parameters"] = [dict(header) for header in HEADERS]
    return result
