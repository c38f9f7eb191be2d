"""Repeated sign-in failures lock the account; an agency administrator can unlock it."""

from django.urls import reverse

from tests.conftest import PASSWORD
from tests.helpers import audit_log


def fail_until_locked(client, username, settings):
    response = None
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": username, "password": "not-the-password"})
    return response


def test_account_locks_after_repeated_failures_with_clear_message(client, officer, settings):
    response = fail_until_locked(client, officer.username, settings)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in locked" in body
    assert "agency administrator" in body
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 429
    assert audit_log().filter(action="login.locked_out", object_id=str(officer.pk)).exists()


def test_lockout_is_per_account(client, officer, agency_admin, settings):
    fail_until_locked(client, officer.username, settings)
    response = client.post(reverse("login"), {"username": agency_admin.username, "password": PASSWORD})
    assert response.status_code == 302


def test_agency_admin_sees_lock_and_unlocks(client, officer, agency_admin, settings, verified_client):
    fail_until_locked(client, officer.username, settings)
    admin_client = verified_client(agency_admin)
    listing = admin_client.get(reverse("agency_user_list")).content.decode()
    assert "Locked out" in listing

    confirm = admin_client.get(reverse("agency_user_action", args=[officer.pk, "unlock"]))
    assert confirm.status_code == 200
    assert "Unlock sign-in for this user?" in confirm.content.decode()
    response = admin_client.post(reverse("agency_user_action", args=[officer.pk, "unlock"]))
    assert response.status_code == 302
    assert audit_log().filter(action="login.unlocked", actor=agency_admin).exists()

    admin_client.logout()
    response = client.post(reverse("login"), {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 302


def test_admin_of_another_agency_cannot_unlock(client, officer, foreign_admin, settings, verified_client):
    fail_until_locked(client, officer.username, settings)
    other = verified_client(foreign_admin)
    assert other.post(reverse("agency_user_action", args=[officer.pk, "unlock"])).status_code == 404
    other.logout()
    response = client.post(reverse("login"), {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 429
