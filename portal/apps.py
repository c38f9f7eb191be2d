"""Application configuration of the shared core and of the OTP-protected admin site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from portal import signals  # noqa: F401  (connects the receivers)


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.admin_site.PortalAdminSite"
