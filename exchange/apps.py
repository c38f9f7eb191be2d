from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Information exchange")

    def ready(self):
        from alerts import info_requests
        from exchange import selectors
        from exchange.request_alerts import Gate
        from portal import registry

        registry.add_dashboard_panel(
            registry.DashboardPanel("requests", "exchange/dashboard_panel.html", selectors.dashboard_panel, order=25)
        )
        # Hit/no-hit checks by partner systems: POST /api/v1/exchange/hits/; their requests for
        # information: /api/v1/exchange/requests/.
        registry.add_api_routes("exchange/hits/", "exchange.api.urls.hit_patterns")
        registry.add_api_routes("exchange/requests/", "exchange.api.urls.request_patterns")
        # The alerts app may not import this one: it asks the requests' gate through this hook
        # whether the reader of a request alert may still read the request.
        info_requests.register(Gate())
