"""Two-factor sign-in is required before any page beyond the sign-in pages themselves; sessions
end after a period of inactivity."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

# Paths a signed-in but not yet verified person may reach. The API is not listed: it does
# its own check (unverified sessions are not authenticated there) and answers in JSON.
EXEMPT_PREFIXES = (
    "/static/",
    "/healthz",
    "/i18n/",
    "/api/",
    "/account/login/",
    "/account/logout/",
    "/account/password-reset/",
    "/account/reset/",
    "/account/mfa/",
)


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path_info.startswith(EXEMPT_PREFIXES):
            enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            target = reverse("mfa_verify" if enrolled else "mfa_setup")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class SessionIdleMiddleware:
    """Ends a session after SESSION_COOKIE_AGE seconds without a request (the idle timeout).

    Each request of a signed-in person pushes the session's expiry forward, but the session row
    is written at most once every SESSION_REFRESH_SECONDS: writing it on every request would cost
    three statements a request for a timeout measured in minutes. The session may thus end up
    to that many seconds before the full idle period."""

    KEY = "_portal_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or session.is_empty():
            return response
        now = int(timezone.now().timestamp())
        if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[self.KEY] = now  # marks the session modified: the middleware saves it
        return response
