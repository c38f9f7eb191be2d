from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Information exchange")

    def ready(self):
        from exchange import selectors
        from portal import registry

        registry.add_dashboard_panel(
            registry.DashboardPanel("requests", "exchange/dashboard_panel.html", selectors.dashboard_panel, order=25)
        )
        # Hit/no-hit checks by partner systems: POST /api/v1/exchange/hits/.
        registry.add_api_routes("exchange/hits/", "exchange.api.urls")
