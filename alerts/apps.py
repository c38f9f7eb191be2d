from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from agreements.services import agreement_sharing_changed
        from alerts import delivery, selectors
        from borders.services import impact_level_raised
        from portal import registry

        registry.add_dashboard_panel(
            registry.DashboardPanel("alerts", "alerts/dashboard_panel.html", selectors.dashboard_panel, order=10)
        )
        registry.add_api_routes("alerts/", "alerts.api.urls")
        # Deliveries due and not attempted (a stopped alerts worker) make /healthz "degraded".
        registry.add_health_check("deliveries", delivery.overdue)

        impact_level_raised.connect(_level_raised, dispatch_uid="alerts.level_raised")
        agreement_sharing_changed.connect(_agreement_changed, dispatch_uid="alerts.agreement_changed")


def _level_raised(sender, change, **kwargs):
    # Inside the transaction of the rise: its alerts commit with it, or not at all (outbox).
    from alerts import services

    services.level_alerts_create(change=change)


def _agreement_changed(sender, agreement_id, **kwargs):
    # Inside the agreement's transaction: level alerts a party may no longer see are not sent.
    from alerts import services

    services.level_deliveries_end(agreement_id=agreement_id)
