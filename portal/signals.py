"""Reactions to framework events: country groups follow agencies; sign-in events are audited."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from portal import audit, services
from portal.models import Agency, User


@receiver(post_save, sender=User, dispatch_uid="portal.user_country_group")
def _user_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.user_sync_country_group(user=instance)


@receiver(post_save, sender=Agency, dispatch_uid="portal.agency_country_group")
def _agency_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw or created:
        return
    for user in instance.users.all():
        services.user_sync_country_group(user=user)


@receiver(user_logged_in, dispatch_uid="portal.audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit.record("login.password_ok", actor=user, obj=user, request=request)


@receiver(user_logged_out, dispatch_uid="portal.audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("logout", actor=user, obj=user, request=request)


def _record_sign_in_refusal(action, username, request):
    """Audit a refused sign-in, attached to the account (and agency) the username names."""
    username = str(username or "")[:150]
    user = User.objects.filter(username=username).select_related("agency").first()
    audit.record(
        action,
        obj=user,
        request=request,
        agency=user.agency if user else None,
        actor_label=f"anonymous:{username}",
        details={"username": username},
    )


@receiver(user_login_failed, dispatch_uid="portal.audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    _record_sign_in_refusal("login.failed", credentials.get("username"), request)


@receiver(user_locked_out, dispatch_uid="portal.audit_lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    _record_sign_in_refusal("login.locked_out", username, request)
