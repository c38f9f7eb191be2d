from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self):
        from agreements.services import document_version_added
        from borders.services import reported_places_changed
        from incidents import exercises
        from portal import registry
        from training.selectors import exercises_running_for
        from training.services.lessons import close_actions_for_new_version
        from training.services.patrols import link_reported_sectors

        registry.add_api_routes("patrols/", "training.api.urls.patrol_patterns")
        registry.add_api_routes("exercises/", "training.api.urls.exercise_patterns")
        registry.add_api_routes("programmes/", "training.api.urls.programme_patterns")

        # Incidents are filed in the exercises under way that the agency takes part in.
        exercises.connect(exercises_running_for)

        # A new version of an SOP document closes the corrective actions waiting for it.
        document_version_added.connect(
            close_actions_for_new_version, dispatch_uid="training.close_actions_for_new_version"
        )
        # A sector created or renamed links the patrols whose sector was typed with its name.
        reported_places_changed.connect(link_reported_sectors, dispatch_uid="training.link_reported_sectors")
