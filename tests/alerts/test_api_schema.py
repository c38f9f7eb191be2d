"""The OpenAPI schema documents every push as a webhook (one per event type), and what the portal
really pushes, headers and body, is what it documents."""

import re

import pytest

from agreements import services as agreement_services
from alerts import delivery as alert_delivery
from alerts.delivery import EVENT_TYPES
from alerts.models import AlertDelivery
from incidents import services as incident_services
from tests.openapi import assert_pushed_as_documented, openapi_schema, webhook_request_schema

SIGNATURE_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature"}


def send_waiting():
    """One attempt at every delivery not sent yet, each at its own time."""
    for delivery in AlertDelivery.objects.filter(state="pending").order_by("pk"):
        assert alert_delivery.deliver(delivery.pk, now=delivery.next_attempt_at) == "delivered"


def test_the_schema_has_one_webhook_per_event_type():
    webhooks = openapi_schema()["webhooks"]
    assert set(webhooks) == set(EVENT_TYPES.values())
    components = openapi_schema()["components"]["schemas"]
    for name in EVENT_TYPES.values():
        operation = webhooks[name]["post"]
        ref = webhook_request_schema(name)["$ref"]
        envelope = components[ref.rsplit("/", 1)[-1]]
        assert set(envelope["properties"]) == {"type", "timestamp", "data"}
        assert envelope["properties"]["type"]["enum"] == [name]
        assert envelope["properties"]["data"]["allOf"] == [{"$ref": "#/components/schemas/AlertOut"}]
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert set(headers) == SIGNATURE_HEADERS and all(h["required"] for h in headers.values())
        responses = operation["responses"]
        assert set(responses) == {"2XX", "3XX", "410", "429", "5XX", "default"}
        assert "Retry-After" in responses["429"]["headers"] and "Retry-After" in responses["5XX"]["headers"]
        assert "switched off" in responses["410"]["description"]
        assert "never followed" in responses["3XX"]["description"]


def test_what_is_pushed_for_each_event_type_is_as_documented(
    lt_pl_in_force, make_incident, subscription, receiver, supervisor, owner_liaison
):
    """An Alert, an Update and the Cancel of a suspended agreement, pushed to a partner's server:
    each body satisfies its webhook's schema, and carries the documented headers."""
    incident = make_incident("validated")
    send_waiting()
    incident_services.incident_update(incident=incident, actor=supervisor, severity="critical")
    send_waiting()
    agreement_services.agreement_transition(
        agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
    )
    send_waiting()
    # The incident event types; a raised sector level is pushed in tests/alerts/test_level_alerts.py.
    incident_types = [name for name in EVENT_TYPES.values() if name.startswith("incident.")]
    assert [body["type"] for _id, body in receiver.received] == incident_types
    for (_id, body), (headers, _raw) in zip(receiver.received, receiver.raw, strict=True):
        assert_pushed_as_documented(body["type"], body)
        sent = {name.lower(): value for name, value in headers.items()}
        documented = {p["name"]: p for p in openapi_schema()["webhooks"][body["type"]]["post"]["parameters"]}
        assert set(documented) <= set(sent)
        assert re.search(documented["webhook-timestamp"]["schema"]["pattern"], sent["webhook-timestamp"])
    alert, update, cancel = (body for _id, body in receiver.received)
    assert alert["data"]["incident"] and update["data"]["references"] == alert["data"]["identifier"]
    assert cancel["data"]["incident"] is None and cancel["data"]["reason"] and cancel["data"]["references"]
    assert receiver.bad_signatures == 0


def test_a_pushed_body_that_strays_from_its_webhook_is_caught(lt_pl_in_force, make_incident, subscription, receiver):
    """The check is strict: a property left out or one too many, in the envelope or in `data`,
    and the type of another webhook, all fail."""
    make_incident("validated")
    send_waiting()
    ((_id, body),) = receiver.received
    assert_pushed_as_documented("incident.alert", body)
    strays = {
        "no timestamp": {key: value for key, value in body.items() if key != "timestamp"},
        "one property too many": {**body, "signature": "v1,abc"},
        "data without its cursor": {**body, "data": {k: v for k, v in body["data"].items() if k != "cursor"}},
        "a timestamp that is no date": {**body, "timestamp": "yesterday"},
    }
    for what, stray in strays.items():
        with pytest.raises(AssertionError, match="disagrees with the schema"):
            assert_pushed_as_documented("incident.alert", stray)
            pytest.fail(what)
    with pytest.raises(AssertionError, match=re.escape("incident.alert")):
        assert_pushed_as_documented("incident.cancel", body)
