"""Background work of the sharing engine."""

from celery import shared_task

from incidents import alerts, sharing


@shared_task(name="incidents.tasks.revoke_lapsed_grants")
def revoke_lapsed_grants():
    """Beat: end shares whose retention ran out or whose agreement left force (idempotent)."""
    return sharing.revoke_lapsed()


@shared_task(name="incidents.tasks.resync_for_agreement")
def resync_for_agreement(agreement_id):
    """An agreement changed state: share or revoke the incidents of its parties accordingly."""
    count = 0
    for incident in sharing.incidents_affected_by_agreement(agreement_id).distinct():
        sharing.sync_incident(incident)
        count += 1
    return count


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
