"""Incidents filed in an exercise. Exercises belong to the training app, which builds on
incidents; it tells this module which exercises a principal may file in, from its
`AppConfig.ready()`, so that incidents never imports training."""

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

_running_for = None


def connect(running_for):
    """`running_for(principal)`: the exercises under way that the principal's agency takes part
    in (a queryset); incidents may be filed in those only."""
    global _running_for
    _running_for = running_for


def running_for(principal):
    if _running_for is None:
        raise ImproperlyConfigured("No app provides exercises (the training app connects itself in ready()).")
    return _running_for(principal)


def get_running(principal, pk):
    """The exercise under way with this id that the principal may file in, or None."""
    return running_for(principal).filter(pk=pk).first()


def check(principal, exercise):
    """An exercise incident is filed by an agency taking part, while the exercise is under way."""
    if get_running(principal, exercise.pk) is None:
        raise ValidationError({"exercise": _("Choose an exercise under way that your agency takes part in.")})
