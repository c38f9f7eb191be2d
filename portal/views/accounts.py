"""Sign-in pages: the second factor (enrolment with a QR code, and verification)."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import audit, services
from portal.forms import TokenForm


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "dashboard"


@never_cache
@login_required
def mfa_setup(request):
    """Enrol an authenticator app: scan the QR code (rendered here, never by a third party)."""
    if request.user.is_verified():
        return redirect("dashboard")
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("mfa_verify")
    device = services.mfa_pending_device(user=request.user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.mfa_confirm_enrolment(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, _("Two-factor sign-in is set up. Keep your authenticator app safe."))
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Check the time on your device and try again."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, omitsize=True, title=_("QR code for your authenticator app")
    )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/mfa_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret, "next": _next_url(request)},
    )


@never_cache
@login_required
def mfa_verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("mfa_setup")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.mfa_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Wait for the next code and try again."))
    return render(request, "registration/mfa_verify.html", {"form": form, "next": _next_url(request)})


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("password.changed", actor=self.request.user, obj=self.request.user, request=self.request)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("password.reset", actor=form.user, obj=form.user, request=self.request)
        return response
