"""The portal's OTP middleware (`portal.backends.PortalOTPMiddleware`) decides who is verified
exactly as django-otp's does, without a query when the session names the person's confirmed
authenticator; and the private django-otp methods it overrides are pinned, so that an upgrade
changing them fails here."""

import hashlib
import inspect
import textwrap

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware
from django_otp.middleware import OTPMiddleware

from portal.backends import PortalModelBackend, PortalOTPMiddleware
from tests.factories import TOTPDeviceFactory, UserFactory

# Digests of the django-otp code (1.7.5) PortalOTPMiddleware overrides or reproduces. A digest that
# no longer matches means django-otp changed that code: read the new code, make the portal's
# middleware agree with it (the behavioural tests below compare the two), then record the digest.
OTP_CODE = {
    "OTPMiddleware.__call__": "d592d44a20c1e8e5",
    "OTPMiddleware._install_lazy_accessors": "59b7a441ffb8fc28",
    "OTPMiddleware._init_user_fields": "5f271958f952bc87",
    "OTPMiddleware._normalize_persistent_id": "cd4668dd50595133",
    "OTPMiddleware._finalize_device": "42cede7222ab9419",
    "OTPMiddleware._verify_user_sync": "465056d51d431f8f",
    "OTPMiddleware._device_from_persistent_id": "2c3b98b15fd496d2",
    "is_verified": "7bdf78ac3823f728",
}


def _code_digest(name):
    obj = eval(name, vars(otp_middleware))  # noqa: S307  (names of the table above)
    return hashlib.sha256(textwrap.dedent(inspect.getsource(obj)).encode()).hexdigest()[:16]


def test_the_django_otp_code_the_middleware_relies_on_is_unchanged():
    changed = {name: _code_digest(name) for name, digest in OTP_CODE.items() if _code_digest(name) != digest}
    assert not changed, (
        f"django-otp changed {sorted(changed)}: check PortalOTPMiddleware against the new code, "
        f"then record the new digests {changed}"
    )


def test_the_overridden_methods_still_exist_with_their_signatures():
    assert issubclass(PortalOTPMiddleware, OTPMiddleware)
    assert list(inspect.signature(OTPMiddleware._verify_user_sync).parameters) == ["self", "request", "user"]
    assert list(inspect.signature(PortalOTPMiddleware._verify_user_sync).parameters) == ["self", "request", "user"]
    assert isinstance(inspect.getattr_static(OTPMiddleware, "_init_user_fields"), staticmethod)
    assert list(inspect.signature(OTPMiddleware._init_user_fields).parameters) == ["user"]
    assert list(inspect.signature(OTPMiddleware._finalize_device).parameters) == ["request", "user", "device"]
    # The lazy `request.user` is resolved through the method the portal overrides.
    assert "self._verify_user_sync" in inspect.getsource(OTPMiddleware._install_lazy_accessors)


def _request(user, device_id):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    if device_id is not None:
        request.session[DEVICE_ID_SESSION_KEY] = device_id
    request.user = user
    return request


def _through(middleware_class, request):
    seen = {}

    def get_response(passed):
        seen["user"] = passed.user
        return "response"

    assert middleware_class(get_response)(request) == "response"
    return seen["user"]


def _outcome(user, request):
    device = user.otp_device
    return {
        "verified": user.is_verified(),
        "device": None if device is None else (device.__class__.__name__, device.pk),
        "session_device": request.session.get(DEVICE_ID_SESSION_KEY),
    }


CASES = ["first_confirmed", "second_confirmed", "unconfirmed_since", "deleted", "someone_elses", "none", "legacy_id"]


@pytest.mark.parametrize("case", CASES)
def test_the_portals_middleware_and_django_otps_agree(officer, case):
    first = TOTPDeviceFactory(user=officer, confirmed=True)
    second = TOTPDeviceFactory(user=officer, confirmed=True)
    other = TOTPDeviceFactory(user=UserFactory(username="someone.else", agency=officer.agency), confirmed=True)
    named = {
        "first_confirmed": first.persistent_id,
        "second_confirmed": second.persistent_id,
        "unconfirmed_since": first.persistent_id,
        "deleted": first.persistent_id,
        "someone_elses": other.persistent_id,
        "none": None,
        "legacy_id": f"django_otp.plugins.otp_totp.models.TOTPDevice/{first.pk}",
    }[case]
    if case == "unconfirmed_since":
        type(first).objects.filter(pk=first.pk).update(confirmed=False)
    if case == "deleted":
        first.delete()

    outcomes = []
    for middleware_class in (PortalOTPMiddleware, OTPMiddleware):
        request = _request(PortalModelBackend().get_user(officer.pk), named)
        user = _through(middleware_class, request)
        outcomes.append(_outcome(user, request))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["verified"] == (case in {"first_confirmed", "second_confirmed", "legacy_id"})


def test_a_session_verified_with_the_confirmed_authenticator_costs_no_query(officer):
    device = TOTPDeviceFactory(user=officer, confirmed=True)
    request = _request(PortalModelBackend().get_user(officer.pk), device.persistent_id)
    with CaptureQueriesContext(connection) as queries:
        user = _through(PortalOTPMiddleware, request)
        assert user.is_verified()
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert user.otp_device.pk == device.pk  # loaded when asked for
    assert len(queries) == 1
    # django-otp's own path reads the device to decide.
    request = _request(PortalModelBackend().get_user(officer.pk), device.persistent_id)
    with CaptureQueriesContext(connection) as queries:
        assert _through(OTPMiddleware, request).is_verified()
    assert len(queries) == 1


def test_an_anonymous_caller_is_not_verified(db):
    for middleware_class in (PortalOTPMiddleware, OTPMiddleware):
        request = _request(AnonymousUser(), None)
        user = _through(middleware_class, request)
        assert user.is_verified() is False and user.otp_device is None


def test_the_portal_uses_its_middleware():
    from django.conf import settings

    assert "portal.backends.PortalOTPMiddleware" in settings.MIDDLEWARE
    assert "django_otp.middleware.OTPMiddleware" not in settings.MIDDLEWARE
