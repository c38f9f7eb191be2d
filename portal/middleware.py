"""Two-factor sign-in is required before any page beyond the sign-in pages themselves."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
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
