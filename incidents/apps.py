from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from agreements.services import agreement_sharing_changed
        from borders.services import reported_places_changed
        from incidents import desk, selectors, services
        from portal import registry

        registry.add_dashboard_panel(
            registry.DashboardPanel("incidents", "incidents/dashboard_panel.html", selectors.dashboard_panel, order=20)
        )
        registry.add_dashboard_panel(registry.DashboardPanel("desk", "incidents/desk_panel.html", desk.counts, order=5))
        registry.add_api_routes("incidents/", "incidents.api.urls")

        agreement_sharing_changed.connect(_agreement_changed, dispatch_uid="incidents.agreement_changed")
        reported_places_changed.connect(services.link_reported_places, dispatch_uid="incidents.link_reported_places")


def _agreement_changed(sender, agreement_id, **kwargs):
    # Inside the agreement's transaction: what the change ends, ends before it commits.
    from incidents import sharing

    sharing.agreement_changed(agreement_id)
