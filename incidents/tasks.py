"""Background work of the sharing engine."""

from celery import shared_task

from incidents import alerts, sharing


@shared_task(name="incidents.tasks.revoke_lapsed_grants")
def revoke_lapsed_grants():
    """Beat, tidy-up only: revoke in the ledger the shares that ended in time and send their
    Cancels (reads already end them at the moment they end)."""
    return sharing.revoke_lapsed()


@shared_task(name="incidents.tasks.resync_for_agreement")
def resync_for_agreement(resync_id):
    """An agreement now allows more: share what its clauses allow (one outbox row, idempotent)."""
    return sharing.resync_run(resync_id)


@shared_task(name="incidents.tasks.sweep_sharing_resyncs")
def sweep_sharing_resyncs():
    """Beat: outbox rows of the sharing engine that no worker took."""
    return sharing.resync_sweep()


@shared_task(name="incidents.tasks.send_alert", acks_late=True)
def send_alert(alert_id):
    """Fan a new alert out to its deliveries, one task each (safe to repeat: each is claimed)."""
    return alerts.enqueue_deliveries(alert_id)


@shared_task(name="incidents.tasks.deliver_alert", acks_late=True)
def deliver_alert(delivery_id):
    """One attempt at one delivery; claimed on its row, so duplicates of this message do nothing."""
    return alerts.deliver(delivery_id)


@shared_task(name="incidents.tasks.sweep_alert_deliveries")
def sweep_alert_deliveries():
    """Beat: send what is due (retries, messages lost while the broker was down)."""
    return alerts.sweep()
