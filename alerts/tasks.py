"""Background work of alerts: the fan-out, one attempt per message, and the beat sweeper."""

from celery import shared_task

from alerts import delivery
from portal import heartbeat


@shared_task(name="alerts.tasks.send_alert", acks_late=True)
def send_alert(alert_id):
    """Fan a new alert out to its deliveries, one task each (safe to repeat: each is claimed)."""
    ids = delivery.pending(alert_id)
    for delivery_id in ids:
        deliver_alert.delay(delivery_id)
    return len(ids)


@shared_task(name="alerts.tasks.deliver_alert", acks_late=True)
def deliver_alert(delivery_id):
    """One attempt at one delivery; claimed on its row, so duplicates of this message do nothing."""
    return delivery.deliver(delivery_id)


@shared_task(name="alerts.tasks.sweep_alert_deliveries")
def sweep_alert_deliveries():
    """Beat: send what is due (retries, messages lost while the broker was down, rows a killed
    worker left half-sent). Its last run shows in /healthz under beat."""
    heartbeat.record("sweeper")
    ids = delivery.sweep()
    for delivery_id in ids:
        deliver_alert.delay(delivery_id)
    return len(ids)
