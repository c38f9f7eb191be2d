"""The training app's wiring: its receivers are connected by `TrainingConfig.ready()`, once."""

import weakref

from django.apps import apps

from agreements.services import document_version_added
from training.services.lessons import close_actions_for_new_version

UID = "training.close_actions_for_new_version"


def _connected():
    """The receivers connected under the training app's dispatch_uid."""
    found = []
    for (dispatch_uid, _sender), receiver, *_rest in document_version_added.receivers:
        if dispatch_uid == UID:
            found.append(receiver() if isinstance(receiver, weakref.ReferenceType) else receiver)
    return found


def test_the_lessons_learned_loop_is_connected_by_the_app_config():
    assert _connected() == [close_actions_for_new_version]


def test_running_ready_again_does_not_connect_twice():
    apps.get_app_config("training").ready()
    assert _connected() == [close_actions_for_new_version]
