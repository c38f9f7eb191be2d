"""Background work of requests for information."""

from celery import shared_task

from exchange import services


@shared_task(name="exchange.tasks.sweep_deadlines")
def sweep_deadlines():
    """Beat, tidy-up only: reminders as time limits near, escalations once they pass (each once;
    the clocks on the pages are computed at the read)."""
    reminded, escalated = services.requests_sweep_deadlines()
    return {"reminded": reminded, "escalated": escalated}
