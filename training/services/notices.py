"""How joint work is worded to people: a person's name, an activity's time span, and the notice
the officers booked on a patrol or exercise get when it is planned, changed or cancelled.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from portal.models import User
from portal.services import notify
from training.models import Patrol


def person(user):
    return user.get_full_name() or user.username


def when(starts_at, ends_at):
    start = date_format(timezone.localtime(starts_at), "SHORT_DATETIME_FORMAT")
    end = date_format(timezone.localtime(ends_at), "SHORT_DATETIME_FORMAT")
    return f"{start} to {end}"


def tell_officers(activity, actor, title):
    """Notify everyone booked on `activity` but the actor; `title` has a %(title)s placeholder."""
    if isinstance(activity, Patrol):
        people = User.objects.filter(pk__in=activity.participants.values("officers"))
        url = reverse("training:patrol_detail", args=[activity.pk])
    else:
        people = User.objects.filter(pk__in=activity.participants.values("user"))
        url = reverse("training:exercise_detail", args=[activity.pk])
    notify(
        users=[p for p in people if p.pk != getattr(actor, "pk", None)],
        title=title % {"title": activity.title},
        body=when(activity.starts_at, activity.ends_at),
        url=url,
    )
