"""Agency administrators manage alert subscriptions and see each endpoint's health."""

import pytest
from django.urls import reverse

from alerts.models import AlertDelivery, Subscription
from tests.helpers import audit_log


@pytest.fixture
def pl_admin(partner_agency):
    from tests.factories import UserFactory

    return UserFactory(username="pl.admin2", agency=partner_agency, is_officer=False, is_agency_admin=True)


def form(**overrides):
    return {
        "name": "Gateway",
        "channel": "webhook",
        "url": "http://127.0.0.1:9/hook",
        "emails": "",
        "min_severity": "low",
        "sectors": "",
        "bbox": "",
        "is_active": "on",
        **overrides,
    }


def test_admin_adds_a_webhook_with_a_secret(verified_client, pl_admin):
    client = verified_client(pl_admin)
    response = client.post(reverse("subscription_create"), form(categories=["smuggling_goods"]))
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.agency == pl_admin.agency and subscription.secrets[0].startswith("whsec_")
    assert audit_log().filter(action="subscription.created").exists()
    detail = client.get(response.url).content.decode()
    assert subscription.secrets[0] in detail


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": ""}, "url"),
        ({"url": "not a url"}, "url"),
        ({"channel": "email", "url": "", "emails": "duty@, x"}, "emails"),
        ({"channel": "email", "url": "", "emails": ""}, "emails"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"sectors": ",".join(f"S{i}" for i in range(60))}, "sectors"),
    ],
)
def test_bad_subscriptions_are_refused_with_clear_errors(verified_client, pl_admin, overrides, field):
    response = verified_client(pl_admin).post(reverse("subscription_create"), form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Subscription.objects.count() == 0


def test_private_endpoints_refused_in_production_settings(verified_client, pl_admin, settings):
    settings.ALERTS_ALLOW_PRIVATE_ENDPOINTS = False
    response = verified_client(pl_admin).post(reverse("subscription_create"), form(url="http://10.0.0.7/hook"))
    assert "private or loopback" in str(response.context["form"].errors)


def test_other_agencies_cannot_see_or_change_it(verified_client, pl_admin, agency_admin, officer):
    subscription = Subscription.objects.create(
        agency=pl_admin.agency, name="PL", channel="email", emails=["d@x.example"]
    )
    lt_admin = verified_client(agency_admin)
    assert lt_admin.get(reverse("subscription_detail", args=[subscription.pk])).status_code == 404
    assert lt_admin.post(reverse("subscription_edit", args=[subscription.pk]), form()).status_code == 404
    assert "PL" not in lt_admin.get(reverse("subscription_list")).content.decode().split("<main")[1]
    assert verified_client(officer).get(reverse("subscription_list")).status_code == 403


def test_dead_letter_is_shown_and_redelivered(
    lt_pl_in_force, make_incident, verified_client, pl_admin, django_capture_on_commit_callbacks
):
    subscription = Subscription.objects.create(
        agency=pl_admin.agency, name="Duty", channel="email", emails=["duty@sg.example"]
    )
    make_incident("validated")
    delivery = AlertDelivery.objects.get()
    AlertDelivery.objects.filter(pk=delivery.pk).update(state="dead", attempts=11, last_error="HTTP 500")
    client = verified_client(pl_admin)
    listing = client.get(reverse("subscription_list")).content.decode()
    assert "HTTP 500" in listing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("delivery_redeliver", args=[subscription.pk, delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_secret_rotation_keeps_the_previous_secret(verified_client, pl_admin):
    client = verified_client(pl_admin)
    client.post(reverse("subscription_create"), form())
    subscription = Subscription.objects.get()
    old = subscription.secrets[0]
    client.post(reverse("subscription_rotate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secrets[1] == old and subscription.secrets[0] != old and len(subscription.secrets) == 2


def test_the_subscription_service_takes_named_fields_only_and_keeps_what_it_is_not_given(pl_admin, partner_agency):
    from django.core.exceptions import PermissionDenied

    from alerts import services as alert_services
    from tests.factories import AgencyFactory, UserFactory

    saved = alert_services.subscription_save(
        agency=partner_agency, actor=pl_admin, name="Desk", channel="email", emails=["desk@pl.example"]
    )
    with pytest.raises(TypeError):
        alert_services.subscription_save(agency=partner_agency, actor=pl_admin, subscription=saved, agency_id=1)
    alert_services.subscription_save(agency=partner_agency, actor=pl_admin, subscription=saved, min_severity="high")
    saved.refresh_from_db()
    assert (saved.name, saved.emails, saved.min_severity) == ("Desk", ["desk@pl.example"], "high")
    other = AgencyFactory(code="PL-OTHER", name="Other Polish agency", country=partner_agency.country)
    stranger = UserFactory(username="pl.other.admin", agency=other, is_officer=False, is_agency_admin=True)
    with pytest.raises(PermissionDenied):
        alert_services.subscription_save(agency=other, actor=stranger, subscription=saved, name="Taken over")
