from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from agreements.services import agreement_status_changed

        agreement_status_changed.connect(_agreement_changed, dispatch_uid="incidents.agreement_changed")


def _agreement_changed(sender, agreement_id, old, new, **kwargs):
    # Sent on commit; the task re-runs the engine for the incidents concerned.
    from incidents.tasks import resync_for_agreement

    resync_for_agreement.delay(agreement_id)
