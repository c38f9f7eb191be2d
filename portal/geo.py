"""Map areas ("west,south,east,north" in decimal degrees), the same wherever one is given: the
incident filters (pages and API) and the alert subscriptions."""

from django import forms
from django.utils.translation import gettext_lazy as _


def check_bbox(values):
    """(west, south, east, north) as floats, or a ValueError naming what is wrong."""
    try:
        parts = [float(value) for value in values]
    except (TypeError, ValueError):
        raise ValueError("four numbers: west,south,east,north") from None
    if len(parts) != 4:
        raise ValueError("four numbers: west,south,east,north")
    west, south, east, north = parts
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError("west <= east within -180..180 and south <= north within -90..90")
    return west, south, east, north


def parse_bbox(text):
    """ "west,south,east,north" in decimal degrees, or a ValueError naming what is wrong."""
    return check_bbox(text.split(","))


def in_bbox(bbox, latitude, longitude):
    """Whether a point lies in the area (a point with no place lies in none)."""
    if latitude is None or longitude is None:
        return False
    west, south, east, north = bbox
    return west <= float(longitude) <= east and south <= float(latitude) <= north


class BBoxField(forms.CharField):
    """A map area typed as text; cleans to (west, south, east, north), or None when empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        try:
            return parse_bbox(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Give the area as west,south,east,north (%(rule)s).") % {"rule": exc}
            ) from exc
