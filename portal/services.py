"""Writes of the shared core: users, country groups, MFA devices and API keys.

Each service is atomic and writes its audit entry; views, commands and admin call these.
"""

import datetime

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import audit
from portal.models import ROLE_FIELDS, AgencyAPIKey, Country, Notification, User, validate_scopes
from portal.outbox import enqueue_on_commit

# --- Country groups ---------------------------------------------------------------------------


def country_group(country):
    """The permission group of a country, created the first time it is needed."""
    if country.group_id:
        return country.group
    with transaction.atomic():
        country = Country.objects.select_for_update().get(pk=country.pk)
        if country.group_id is None:
            country.group, _created = Group.objects.get_or_create(name=country.group_name)
            country.save(update_fields=["group"])
    return country.group


def user_sync_country_group(*, user):
    """Keep the user in exactly one country group: the one of its agency's country."""
    wanted = country_group(user.agency.country) if user.agency_id else None
    current = set(user.groups.filter(country__isnull=False))
    stale = [g for g in current if g != wanted]
    if stale:
        user.groups.remove(*stale)
    if wanted is not None and wanted not in current:
        user.groups.add(wanted)


# --- Users ------------------------------------------------------------------------------------


def _apply_roles(user, roles):
    for role, field in ROLE_FIELDS.items():
        setattr(user, field, role in roles)


class _InvitationForm(PasswordResetForm):
    """Django's reset e-mail, addressed to one new user (whose password is still unusable)."""

    def __init__(self, user):
        super().__init__({"email": user.email})
        self.invited = user

    def get_users(self, email):
        return [self.invited]


def user_send_invitation(*, user, domain, use_https):
    """E-mail a new user the link to choose a password (run by a task, retried on failure)."""
    form = _InvitationForm(user)
    if form.is_valid():
        form.save(
            domain_override=domain,
            use_https=use_https,
            subject_template_name="registration/invitation_subject.txt",
            email_template_name="registration/invitation_email.txt",
        )


@transaction.atomic
def user_create(*, agency, username, email, first_name, last_name, roles, actor, request=None):
    """Create a user of `agency`; the person sets a password through a link sent by e-mail."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("A user with that username already exists.")})
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, agency=agency)
    _apply_roles(user, roles)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    audit.record(
        "user.created", actor=actor, obj=user, request=request, agency=agency, details={"roles": sorted(roles)}
    )
    # With the broker down the invitation is not sent; the person can still ask for a password
    # reset link on the sign-in page.
    enqueue_on_commit(
        "portal.tasks.send_invitation",
        user.pk,
        request.get_host() if request else settings.PORTAL_DOMAIN,
        request.is_secure() if request else True,
    )
    return user


@transaction.atomic
def user_update(*, user, email, first_name, last_name, roles, actor, request=None):
    before = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": sorted(user.roles),
    }
    user.email, user.first_name, user.last_name = email, first_name, last_name
    _apply_roles(user, roles)
    user.full_clean()
    user.save()
    after = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": sorted(user.roles),
    }
    changed = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
    if changed:
        audit.record(
            "user.updated", actor=actor, obj=user, request=request, agency=user.agency, details={"changed": changed}
        )
    return user


@transaction.atomic
def user_set_active(*, user, active, actor, request=None):
    if user == actor and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        "user.activated" if active else "user.deactivated", actor=actor, obj=user, request=request, agency=user.agency
    )
    return user


@transaction.atomic
def user_set_agency(*, user, agency, actor, request=None):
    """Move a user to another agency (or none); their country group, hence what they see, follows."""
    before = User.objects.select_related("agency").get(pk=user.pk).agency
    if (before.pk if before else None) == (agency.pk if agency else None):
        return user
    user.agency = agency
    user.save(update_fields=["agency"])
    user_sync_country_group(user=user)
    audit.record(
        "user.agency_changed",
        actor=actor,
        obj=user,
        request=request,
        agency=agency or before,
        details={"from": before.code if before else None, "to": agency.code if agency else None},
    )
    return user


@transaction.atomic
def user_unlock(*, user, actor, request=None):
    """Lift a sign-in lockout caused by repeated failures."""
    cleared = axes_reset(username=user.username)
    audit.record(
        "login.unlocked",
        actor=actor,
        obj=user,
        request=request,
        agency=user.agency,
        details={"attempts_cleared": cleared},
    )
    return cleared


# --- Multi-factor authentication --------------------------------------------------------------


def mfa_pending_device(*, user):
    """The unconfirmed TOTP device used during enrolment, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


@transaction.atomic
def mfa_confirm_enrolment(*, request, device, token):
    """Confirm a new device with a code it produced, and mark the session as verified."""
    user = request.user
    if not device.verify_token(token):
        audit.record("mfa.enrolment_failed", actor=user, obj=user, request=request)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    otp_login(request, device)
    audit.record("mfa.enrolled", actor=user, obj=user, request=request, details={"device": device.name})
    return True


def mfa_verify(*, request, token):
    """Check a code against the user's confirmed devices; on success the session is verified."""
    user = request.user
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            otp_login(request, device)
            audit.record("mfa.verified", actor=user, obj=user, request=request)
            return True
    audit.record("mfa.failed", actor=user, obj=user, request=request)
    return False


@transaction.atomic
def mfa_reset(*, user, actor, request=None):
    """Remove a user's devices (lost phone): they enrol again at their next sign-in."""
    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit.record(
        "mfa.reset", actor=actor, obj=user, request=request, agency=user.agency, details={"devices_removed": removed}
    )
    return removed


# --- API keys ---------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(*, agency, name, scopes, expires_at, actor, request=None, actor_label=None):
    """Issue a key for a partner system of `agency`. Returns (key record, the key itself)."""
    scopes = sorted(set(scopes))
    validate_scopes(scopes)
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name.")})
    if expires_at is not None:
        if isinstance(expires_at, datetime.date) and not isinstance(expires_at, datetime.datetime):
            expires_at = datetime.datetime.combine(expires_at, datetime.time.max, tzinfo=datetime.UTC)
        if expires_at <= timezone.now():
            raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    key_obj, raw_key = AgencyAPIKey.objects.create_key(
        name=name.strip(),
        agency=agency,
        scopes=scopes,
        expiry_date=expires_at,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        "api_key.created",
        actor=actor,
        obj=key_obj,
        request=request,
        agency=agency,
        actor_label=actor_label,
        details={
            "prefix": key_obj.prefix,
            "scopes": scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key_obj, raw_key


@transaction.atomic
def api_key_revoke(*, api_key, actor, request=None, actor_label=None):
    api_key = AgencyAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked:
        return api_key
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = actor if getattr(actor, "pk", None) else None
    api_key.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    audit.record(
        "api_key.revoked",
        actor=actor,
        obj=api_key,
        request=request,
        agency=api_key.agency,
        actor_label=actor_label,
        details={"prefix": api_key.prefix},
    )
    return api_key


def api_key_mark_used(*, api_key, min_interval=datetime.timedelta(minutes=1)):
    """Note when a key was last used, at most once a minute so reads stay cheap."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > min_interval:
        AgencyAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


# --- Notifications ----------------------------------------------------------------------------


def notify(*, users, title, body="", url=""):
    """Leave a notification for each user; the e-mail copy is sent by a retried task."""
    created = []
    for user in {u.pk: u for u in users if u.is_active}.values():
        notification = Notification.objects.create(user=user, title=title[:200], body=body, url=url)
        # The sweeper e-mails what no worker took (`portal.tasks.sweep_unsent_notifications`).
        enqueue_on_commit("portal.tasks.email_notification", notification.pk)
        created.append(notification)
    return created


def notification_send_email(*, notification):
    """E-mail one notification, once: a retried task that already sent it does nothing."""
    from django.core.mail import send_mail

    if notification.emailed_at is not None or not notification.user.email:
        return False
    link = f"https://{settings.PORTAL_DOMAIN}{notification.url}" if notification.url else ""
    send_mail(
        subject=f"[Joint Operations Portal] {notification.title}",
        message="\n\n".join(part for part in [notification.body, link] if part),
        from_email=None,
        recipient_list=[notification.user.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def notification_mark_read(*, user, notification_ids=None):
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
