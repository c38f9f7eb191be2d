"""Requests carrying characters the database cannot store are refused; two-factor sign-in is
required before any page beyond the sign-in pages themselves; sessions end after a period of
inactivity."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.api.exceptions import json_error

# PostgreSQL text refuses U+0000, and UTF-8 has no encoding for lone surrogates.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(request):
    if UNSTORABLE.search(request.path_info):
        return True
    return any(
        UNSTORABLE.search(key) or any(UNSTORABLE.search(value) for value in values)
        for key, values in request.GET.lists()
    )


class UnstorableInputMiddleware:
    """Answers 400 to a request whose path or query string holds a NUL (or a lone surrogate).

    Such a value, used in a filter, is an error of the database driver (a 500 on PostgreSQL)
    wherever it reaches a query; refusing it here, before sessions, authentication or any view,
    covers every route at once and changes nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _unstorable(request):
            return self.get_response(request)
        # Before LocaleMiddleware: the language is read from the request here.
        with translation.override(translation.get_language_from_request(request)):
            message = _("The address contains a character that is not allowed (such as a NUL byte).")
            if request.path_info.startswith("/api/"):
                return json_error(400, "invalid_characters", message)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


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
    to that many seconds before the full idle period.

    A request a page makes by itself (a live page's poll) sets `request.session_passive`: it is
    not activity, so a dashboard left open still ends its session when nobody uses it."""

    KEY = "_portal_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or session.is_empty():
            return response
        if getattr(request, "session_passive", False):
            return response
        now = int(timezone.now().timestamp())
        if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[self.KEY] = now  # marks the session modified: the middleware saves it
        return response
