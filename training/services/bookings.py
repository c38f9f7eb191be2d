"""Time slots of joint work and double booking: an activity ends after it starts, and no officer
or asset is committed to two overlapping patrols or exercises. A clash is named only when the
planner may see the other activity.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.models import User
from training.models import OCCUPYING, Asset, Exercise, Patrol
from training.services.notices import person, when


def check_times(starts_at, ends_at):
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must come after the start.")})


def _busy(activity, label, actor):
    """How a conflicting activity is named: only the actor's own activities are named."""
    if type(activity).objects.visible_to(actor).filter(pk=activity.pk).exists():
        return _("%(what)s “%(title)s” (%(when)s)") % {
            "what": label,
            "title": activity.title,
            "when": when(activity.starts_at, activity.ends_at),
        }
    return _("another activity not shared with your country")


def _officer_clash(officer, patrols, exercises):
    """The first overlapping patrol, else exercise, the officer is on, with its label; or (None, _)."""
    clash = patrols.filter(participants__officers=officer).first()
    if clash is not None:
        return clash, _("joint patrol")
    return exercises.filter(participants__user=officer).first(), _("exercise")


def _asset_clash(asset, patrols, exercises):
    clash = patrols.filter(participants__assets=asset).first()
    if clash is not None:
        return clash, _("joint patrol")
    return exercises.filter(assets=asset).first(), _("exercise")


def check_bookings(*, starts_at, ends_at, officers, assets, actor, patrol=None, exercise=None):
    """Refuse officers or assets already committed to an overlapping patrol or exercise.

    The rows of the people and assets are locked first, so that two planners booking the same
    officer at once are serialised and the second sees the first's booking.
    """
    officers, assets = list(officers), list(assets)
    User.objects.select_for_update().filter(pk__in=[o.pk for o in officers]).order_by("pk").exists()
    Asset.objects.select_for_update().filter(pk__in=[a.pk for a in assets]).order_by("pk").exists()
    overlapping = {"starts_at__lt": ends_at, "ends_at__gt": starts_at, "status__in": OCCUPYING}
    patrols = Patrol.objects.filter(**overlapping).exclude(pk=getattr(patrol, "pk", None))
    exercises = Exercise.objects.filter(**overlapping).exclude(pk=getattr(exercise, "pk", None))
    problems = []
    for officer in officers:
        clash, label = _officer_clash(officer, patrols, exercises)
        if clash is not None:
            problems.append(
                _("%(person)s is already booked on %(activity)s.")
                % {"person": person(officer), "activity": _busy(clash, label, actor)}
            )
    for asset in assets:
        clash, label = _asset_clash(asset, patrols, exercises)
        if clash is not None:
            problems.append(
                _("%(asset)s is already booked on %(activity)s.")
                % {"asset": f"{asset.get_kind_display()} {asset.identifier}", "activity": _busy(clash, label, actor)}
            )
    if problems:
        raise ValidationError(problems)
