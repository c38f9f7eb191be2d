"""Background tasks of the shared core."""

import socket

from celery import shared_task
from django.utils import timezone

from portal.models import Heartbeat


@shared_task(name="portal.tasks.record_heartbeat")
def record_heartbeat():
    """Written by a worker every 30 seconds (beat); /healthz reads how old it is."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"at": timezone.now(), "hostname": socket.gethostname()})
