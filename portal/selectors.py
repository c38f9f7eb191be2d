"""Reads of the shared core that depend on who asks."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from portal import audit
from portal.models import ROLE_FIELDS, AgencyAPIKey, Role, User
from portal.roles import administers


def agency_users_for(user):
    """The users an agency administrator manages: those of their own agency, nobody else."""
    if not administers(user):
        return User.objects.none()
    return User.objects.filter(agency_id=user.agency_id)


def agency_user_get(*, user, pk):
    """A managed user, or 404 alike for missing and foreign ones."""
    try:
        return agency_users_for(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def agency_users_search(*, user, q="", role="", status=""):
    users = agency_users_for(user)
    if q:
        users = users.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )
    if role:
        users = users.filter(**{ROLE_FIELDS[Role(role)]: True})
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    return users.order_by("username")


def locked_usernames(usernames):
    """Which of these usernames are locked out now after repeated sign-in failures."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        ).values_list("username", flat=True)
    )


def agency_api_keys_for(user):
    if not administers(user):
        return AgencyAPIKey.objects.none()
    return AgencyAPIKey.objects.filter(agency_id=user.agency_id).select_related("created_by")


def agency_api_key_get(*, user, prefix):
    try:
        return agency_api_keys_for(user).get(prefix=prefix)
    except AgencyAPIKey.DoesNotExist:
        raise Http404 from None


def recent_security_events_for(user, limit=10):
    """Recent audit entries of the administrator's own agency, for the dashboard."""
    if not administers(user):
        return []
    return audit.recent(limit, agency_id=user.agency_id)
