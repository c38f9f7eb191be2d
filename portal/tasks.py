"""Background tasks of the shared core."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal import audit, services
from portal.models import Notification, User


@shared_task(name="portal.tasks.integrate_audit_log")
def integrate_audit_log():
    """Chain the audit entries recorded since the last run (every few seconds, from beat)."""
    return audit.integrate()


# E-mail is retried with backoff for about half a day while the mail server is unreachable.
MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_backoff_max": 3600, "max_retries": 12}


@shared_task(name="portal.tasks.send_invitation", **MAIL_RETRY)
def send_invitation(user_id, domain, use_https):
    """Send a new user the link to set a password; retried while the mail server is down."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and not user.has_usable_password():
        services.user_send_invitation(user=user, domain=domain, use_https=use_https)


@shared_task(name="portal.tasks.email_notification", **MAIL_RETRY)
def email_notification(notification_id):
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is not None:
        services.notification_send_email(notification=notification)


@shared_task(name="portal.tasks.sweep_unsent_notifications")
def sweep_unsent_notifications():
    """Re-enqueue e-mails of notifications never sent (broker down at commit, lost message)."""
    now = timezone.now()
    stale = Notification.objects.filter(
        emailed_at__isnull=True,
        created_at__lt=now - timedelta(minutes=5),
        created_at__gt=now - timedelta(days=3),
    ).exclude(user__email="")
    for notification_id in stale.values_list("pk", flat=True)[:500]:
        email_notification.delay(notification_id)
