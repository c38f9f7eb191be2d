"""A person's secret iCalendar feed address: issued (replacing the previous one), revoked, and
resolved back to its person when a calendar application reads it. Only a hash of the token is
stored.
"""

import datetime
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from portal import audit
from training.models import CalendarFeed


def feed_token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_issue(*, user, request=None):
    """A new secret feed address for the user; the previous one stops working. Returns the token."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": feed_token_hash(token), "created_at": timezone.now(), "last_used_at": None}
    )
    audit.record("calendar_feed.issued", actor=user, obj=user, request=request)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user, request=None):
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        audit.record("calendar_feed.revoked", actor=user, obj=user, request=request)
    return bool(deleted)


def calendar_feed_user(token):
    """The person whose feed this token opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user__agency__country").filter(token_hash=feed_token_hash(token)).first()
    )
    if feed is None or not feed.user.is_active:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > datetime.timedelta(minutes=5):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user
