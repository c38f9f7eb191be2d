"""The Celery application; its settings come from Django's (CELERY_* names)."""

import os
import time
from pathlib import Path

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
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


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker's sign of life for each queue it consumes, on the worker's own timer: it does not
    wait for beat, so a stopped beat is never reported as a stopped worker."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        from django.conf import settings

        self.beat(worker)
        self.timer_ref = worker.timer.call_repeatedly(settings.WORKER_HEARTBEAT_INTERVAL, self.beat, (worker,))

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()

    @staticmethod
    def beat(worker):
        from portal.heartbeat import record

        for queue in worker.app.amqp.queues.consume_from or worker.app.amqp.queues:
            record(f"worker:{queue}")


app.steps["worker"].add(WorkerHeartbeat)


class BeatScheduler(PersistentScheduler):
    """Beat's scheduler, recording beat's own sign of life as it ticks (at most every 15 s)."""

    def tick(self, *args, **kwargs):
        from django.conf import settings

        from portal.heartbeat import record

        now = time.monotonic()
        if now - getattr(self, "_last_heartbeat", -1e9) >= settings.CELERY_BEAT_MAX_LOOP_INTERVAL:
            self._last_heartbeat = now
            record("beat")
        return super().tick(*args, **kwargs)
