"""The Django admin site, reachable only by staff whose session passed two-factor sign-in."""

from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    site_header = _("Joint Operations Portal administration")
    site_title = _("Portal administration")

    def login(self, request, extra_context=None):
        # One sign-in page for everyone: password, then the second factor.
        return redirect_to_login(request.get_full_path())
