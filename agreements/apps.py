from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Agreements")

    def ready(self):
        from agreements import selectors
        from portal import registry

        registry.add_dashboard_panel(
            registry.DashboardPanel(
                "agreements", "agreements/dashboard_panel.html", selectors.dashboard_panel, order=30
            )
        )
        registry.add_api_routes("agreements/", "agreements.api.urls")
