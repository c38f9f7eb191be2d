from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BordersConfig(AppConfig):
    name = "borders"
    verbose_name = _("Border sectors")

    def ready(self):
        from portal import registry

        registry.add_api_routes("borders/", "borders.api.urls")
