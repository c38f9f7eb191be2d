"""Agency administrators manage their own agency's users in the portal, and no one else's."""

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import User
from tests.factories import TOTPDeviceFactory, UserFactory
from tests.helpers import audit_log


@pytest.fixture
def admin_client(verified_client, agency_admin):
    return verified_client(agency_admin)


def test_list_shows_only_own_agency(admin_client, officer, foreign_admin):
    body = admin_client.get(reverse("agency_user_list")).content.decode()
    assert officer.username in body
    assert foreign_admin.username not in body


def test_list_search_filter_and_pagination(admin_client, owner_agency):
    for i in range(30):
        UserFactory(username=f"guard{i:02d}", agency=owner_agency, is_supervisor=(i % 3 == 0))
    page1 = admin_client.get(reverse("agency_user_list"))
    assert page1.context["page"].paginator.count == 31  # 30 guards and the administrator
    assert len(page1.context["page"].object_list) == 25
    found = admin_client.get(reverse("agency_user_list"), {"q": "guard07"})
    assert [u.username for u in found.context["page"]] == ["guard07"]
    supervisors = admin_client.get(reverse("agency_user_list"), {"role": "supervisor"})
    assert supervisors.context["page"].paginator.count == 10
    empty = admin_client.get(reverse("agency_user_list"), {"q": "nobody-here"})
    assert "No user matches" in empty.content.decode()


def test_create_user_invites_by_email(admin_client, owner_agency, agency_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("agency_user_create"),
            {
                "username": "lt.new",
                "first_name": "Rasa",
                "last_name": "K",
                "email": "rasa@example.org",
                "roles": ["officer", "analyst"],
            },
        )
    assert response.status_code == 302
    user = User.objects.get(username="lt.new")
    assert user.agency == owner_agency
    assert user.roles == ["officer", "analyst"]
    assert not user.has_usable_password()
    assert user.groups.filter(name="country:LT").exists()
    assert len(mail.outbox) == 1
    assert "lt.new" in mail.outbox[0].body and "/account/reset/" in mail.outbox[0].body
    assert audit_log().get(action="user.created").actor == agency_admin


def test_create_user_rejects_bad_input(admin_client, officer):
    response = admin_client.post(
        reverse("agency_user_create"),
        {
            "username": officer.username.upper(),
            "first_name": "",
            "last_name": "K",
            "email": "not-an-email",
            "roles": [],
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"username", "first_name", "email", "roles"}
    assert User.objects.count() == 2


def test_edit_roles_is_audited(admin_client, officer):
    response = admin_client.post(
        reverse("agency_user_detail", args=[officer.pk]),
        {"first_name": "Ona", "last_name": "Test", "email": officer.email, "roles": ["officer", "supervisor"]},
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.is_supervisor
    entry = audit_log().get(action="user.updated")
    assert entry.details["changed"]["roles"] == {"from": ["officer"], "to": ["officer", "supervisor"]}


def test_deactivation_needs_confirmation(admin_client, officer):
    url = reverse("agency_user_action", args=[officer.pk, "deactivate"])
    assert "Deactivate this user?" in admin_client.get(url).content.decode()
    officer.refresh_from_db()
    assert officer.is_active
    admin_client.post(url)
    officer.refresh_from_db()
    assert not officer.is_active


def test_admin_cannot_deactivate_self(admin_client, agency_admin):
    response = admin_client.post(reverse("agency_user_action", args=[agency_admin.pk, "deactivate"]), follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    agency_admin.refresh_from_db()
    assert agency_admin.is_active


def test_reset_mfa_removes_devices(admin_client, officer):
    TOTPDeviceFactory(user=officer)
    admin_client.post(reverse("agency_user_action", args=[officer.pk, "reset-mfa"]))
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert audit_log().filter(action="mfa.reset", object_id=str(officer.pk)).exists()


@pytest.mark.parametrize("action", ["deactivate", "unlock", "reset-mfa"])
def test_foreign_admin_gets_404_on_every_user_page(verified_client, foreign_admin, officer, action):
    client = verified_client(foreign_admin)
    assert client.get(reverse("agency_user_detail", args=[officer.pk])).status_code == 404
    assert client.post(reverse("agency_user_action", args=[officer.pk, action])).status_code == 404
    officer.refresh_from_db()
    assert officer.is_active


def test_officer_gets_403_and_the_denial_is_audited(verified_client, officer):
    client = verified_client(officer)
    assert client.get(reverse("agency_user_list")).status_code == 403
    assert audit_log().filter(action="permission.denied", actor=officer).exists()
