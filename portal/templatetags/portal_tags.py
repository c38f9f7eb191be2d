"""Template filters of the portal."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_hm(delta):
    """A time left as hours and minutes, such as "23 h 05 min"."""
    minutes = int(delta.total_seconds() // 60)
    return _("%(h)s h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}
