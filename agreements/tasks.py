"""Background work of agreements."""

from celery import shared_task

from agreements import services


@shared_task(name="agreements.tasks.run_daily")
def run_daily():
    """Expiry and notice warnings, renewals and expiries (beat, daily; safe to run twice)."""
    return services.agreements_run_daily()
