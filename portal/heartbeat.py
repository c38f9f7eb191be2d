"""Signs of life of the background processes, read by /healthz.

Each worker writes one per queue it consumes (`worker:<queue>`) on its own timer, and beat one on
its own ticks (`beat`), so a stopped beat is reported as beat and never as a worker. Tasks that
only beat starts (the alerts sweeper) write theirs when they run (`sweeper`).
"""

import logging
import socket

from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def record(name, now=None):
    """Write `name`'s sign of life; a database that is down is logged, never raised."""
    from portal.models import Heartbeat

    try:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # a timer thread's connection outlives restarts
        Heartbeat.objects.update_or_create(
            name=name[:50], defaults={"at": now or timezone.now(), "hostname": socket.gethostname()[:200]}
        )
    except Exception as exc:  # a heartbeat that cannot be written is what /healthz reports
        logger.warning("could not record the heartbeat of %s: %s", name, exc.__class__.__name__)


def age(name, max_age, now=None):
    """{ok, last, age_seconds} of one heartbeat, ok when younger than `max_age` seconds."""
    from portal.models import Heartbeat

    beat = Heartbeat.objects.filter(name=name).first()
    if beat is None:
        return {"ok": False, "last": None}
    seconds = ((now or timezone.now()) - beat.at).total_seconds()
    return {"ok": seconds <= max_age, "last": beat.at.isoformat(), "age_seconds": round(seconds, 1)}
