"""Starting background work from a transaction: the database row is the truth, the message only
wakes a worker.

A task is named by its dotted path and imported when the message is sent, so a module that
writes rows never imports the module of tasks that read them (no import cycle), and a broker that
is down is no error: a beat sweeper takes the row later.
"""

import logging

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def send(task_path, *args, countdown=None):
    """Send the task now (to run in `countdown` seconds if given); False when the broker is
    unreachable (the sweeper will take the row)."""
    try:
        task = import_string(task_path)
        if countdown:
            task.apply_async(args, countdown=countdown)
        else:
            task.delay(*args)
    except Exception as exc:  # kombu raises many kinds when the broker is down; none may reach the caller
        logger.warning("could not start %s: %s", task_path, exc.__class__.__name__)
        return False
    return True


def enqueue_on_commit(task_path, *args):
    """Send the task once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: send(task_path, *args))
