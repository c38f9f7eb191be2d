from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from alerts import delivery, selectors
        from portal import registry

        registry.add_dashboard_panel(
            registry.DashboardPanel("alerts", "alerts/dashboard_panel.html", selectors.dashboard_panel, order=10)
        )
        registry.add_api_routes("alerts/", "alerts.api.urls")
        # Deliveries due and not attempted (a stopped alerts worker) make /healthz "degraded".
        registry.add_health_check("deliveries", delivery.overdue)
