"""What others see of a change to joint work: the countries a patrol, exercise or programme is
shared with (guardian permissions of the countries taking part, and of the funding state), and
the calendar SEQUENCE that tells feed subscribers an event changed.
"""

from django.db.models import F
from django.utils import timezone

from portal import gate
from training.models import Programme
from training.permissions import taking_part


def share(obj):
    """Visible to exactly the countries taking part (and the funder of a programme)."""
    if isinstance(obj, Programme):
        countries = {agency.country for agency in obj.agencies.select_related("country")}
        if obj.funder_country is not None:
            countries.add(obj.funder_country)
    else:
        countries = {agency.country for agency in taking_part(obj)}
    gate.share_with_countries(obj, countries)


def bump(obj):
    """Raise the calendar SEQUENCE: every change of what a subscriber sees counts."""
    type(obj).objects.filter(pk=obj.pk).update(sequence=F("sequence") + 1, updated_at=timezone.now())
    obj.refresh_from_db(fields=["sequence", "updated_at"])
