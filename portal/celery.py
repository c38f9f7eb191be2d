"""The Celery application; its settings come from Django's (CELERY_* names)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender, **kwargs):
    # The embedded broker stores messages in folders that must exist before the first send.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@task_prerun.connect
def _usable_database_connections(task=None, **kwargs):
    """Each task starts as a web request does: a connection that failed (the database restarted)
    or outlived CONN_MAX_AGE is closed and opened afresh, and the health check runs when it is on.

    Workers keep their connections between tasks (CELERY_DB_REUSE_MAX); without this, a
    connection broken by a database restart would fail every task of its thread until recycled.
    Eager tasks and tasks inside a transaction (the tests) are left alone."""
    from django.db import connections

    if task is None or getattr(task.request, "is_eager", False):
        return
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
