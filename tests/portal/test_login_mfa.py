"""Signing in: password, then a TOTP second factor that is required before any data."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, current_code
from tests.factories import TOTPDeviceFactory
from tests.helpers import audit_log


def sign_in(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, data)


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_device_must_enrol_before_reaching_the_dashboard(client, officer):
    response = sign_in(client, officer.username)
    assert response.status_code == 302
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_setup"))

    page = client.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body, "the QR code is rendered inline by the portal"
    assert "chart.googleapis" not in body and "http://" not in body.split("<svg", 1)[0].split("<body", 1)[1]

    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    response = client.post(page.request["PATH_INFO"], {"token": current_code(device), "next": "/"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("dashboard")).status_code == 200
    assert audit_log().filter(action="mfa.enrolled", actor=officer).exists()


def test_wrong_enrolment_code_is_refused_and_changes_nothing(client, officer):
    sign_in(client, officer.username)
    client.get(reverse("mfa_setup"))
    device = TOTPDevice.objects.get(user=officer)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_setup"), {"token": wrong})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("dashboard")).status_code == 302


def test_enrolled_user_gives_code_after_password(client, officer):
    device = TOTPDeviceFactory(user=officer)
    sign_in(client, officer.username)
    response = client.get(reverse("dashboard"))
    assert response.url.startswith(reverse("mfa_verify"))

    response = client.post(reverse("mfa_verify"), {"token": "000000" if current_code(device) != "000000" else "111111"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode() or "errorlist" in response.content.decode()
    assert audit_log().filter(action="mfa.failed", actor=officer).exists()

    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(reverse("mfa_verify"), {"token": current_code(device), "next": "/agency/users/"})
    assert response.status_code == 302
    assert response.url == "/agency/users/"
    assert client.get(reverse("dashboard")).status_code == 200


def test_code_field_rejects_non_digits(client, officer):
    TOTPDeviceFactory(user=officer)
    sign_in(client, officer.username)
    response = client.post(reverse("mfa_verify"), {"token": "abcdef"})
    assert "six digits" in response.content.decode()


def test_unverified_session_is_not_authenticated_on_the_api(client, officer):
    TOTPDeviceFactory(user=officer)
    sign_in(client, officer.username)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_admin_site_requires_second_factor(client, officer, verified_client):
    officer.is_staff = officer.is_superuser = True
    officer.save()
    sign_in(client, officer.username)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert not response.url.startswith("/admin/")
    verified_client(officer)
    assert client.get("/admin/").status_code == 200


def test_logout_ends_the_session(verified_client, officer):
    client = verified_client(officer)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302
    assert audit_log().filter(action="logout", actor=officer).exists()


def test_successful_and_failed_sign_ins_are_audited(client, officer):
    sign_in(client, officer.username, password="wrong-password-1")
    sign_in(client, officer.username)
    failed = audit_log().get(action="login.failed")
    assert failed.details == {"username": officer.username}
    assert "wrong-password" not in str(failed.details)
    assert audit_log().filter(action="login.password_ok", actor=officer).exists()


def test_password_reset_by_email(client, officer):
    response = client.post(reverse("password_reset"), {"email": officer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/account/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "A-new-Passphrase-77", "new_password2": "A-new-Passphrase-77"})
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password("A-new-Passphrase-77")
    assert audit_log().filter(action="password.reset", actor=officer).exists()


def test_password_reset_for_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_password_change_requires_verified_session(verified_client, officer):
    client = verified_client(officer)
    response = client.post(
        reverse("password_change"),
        {"old_password": "Correct-Horse-42!", "new_password1": "Another-Passphrase-9", "new_password2": "x"},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    officer.refresh_from_db()
    assert officer.check_password("Correct-Horse-42!")


def test_sessions_expire_after_inactivity_and_activity_keeps_them(client, officer, settings, clock):
    from django.contrib.sessions.models import Session

    from tests.conftest import make_verified

    settings.SESSION_COOKIE_AGE, settings.SESSION_REFRESH_SECONDS = 600, 60
    make_verified(client, officer)
    assert client.get("/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    expiry = Session.objects.get(pk=key).expire_date

    clock.advance(seconds=30)  # within the refresh interval: the row is not rewritten
    assert client.get("/").status_code == 200
    assert Session.objects.get(pk=key).expire_date == expiry

    for _step in range(3):  # active for 15 minutes, longer than the idle timeout
        clock.advance(minutes=5)
        assert client.get("/").status_code == 200
    assert Session.objects.get(pk=key).expire_date > expiry + datetime.timedelta(minutes=14)

    clock.advance(minutes=11)  # idle for longer than the timeout
    response = client.get("/")
    assert response.status_code == 302 and reverse("login") in response.url


@pytest.mark.parametrize("path", ["/", "/agency/users/", "/agency/api-keys/"])
def test_data_pages_redirect_unverified_users(client, officer, path):
    TOTPDeviceFactory(user=officer)
    sign_in(client, officer.username)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_verify"))


def test_password_change_is_audited(verified_client, officer):
    client = verified_client(officer)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Another-Passphrase-9", "new_password2": "Another-Passphrase-9"},
    )
    assert response.status_code == 302
    assert audit_log().filter(action="password.changed", actor=officer).exists()


def test_a_removed_or_unconfirmed_authenticator_ends_the_verified_session(client, officer):
    from tests.conftest import make_verified

    make_verified(client, officer)
    assert client.get("/").status_code == 200
    device = officer.totpdevice_set.get()
    device.confirmed = False
    device.save()
    response = client.get("/")
    assert response.status_code == 302 and reverse("mfa_setup") in response.url
    make_verified(client, officer)
    officer.totpdevice_set.all().delete()
    response = client.get("/")
    assert response.status_code == 302 and reverse("mfa_setup") in response.url


def test_the_session_store_reads_only_live_sessions_by_their_key(db, clock):
    from django.contrib.sessions.models import Session

    from portal.sessions import SessionStore

    store = SessionStore()
    store["agency"] = "LT-SBGS"
    store.set_expiry(600)
    store.save()
    key = store.session_key

    assert SessionStore(key).load() == {"agency": "LT-SBGS", "_session_expiry": 600}
    for forged in ("x" * 32, "abcdefgh\x00ijkl", "abcdefgh'; --", "ä" * 32):
        unknown = SessionStore(forged)
        assert unknown.load() == {} and unknown.session_key is None

    clock.advance(seconds=601)
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    assert Session.objects.filter(pk=key).exists()  # still there until clearsessions; never honoured
