import datetime

import pytest
from django.utils import timezone

from training.models import Asset
from training.services import exercises, patrols


def tomorrow_at(hour, days=1):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def vessel(owner_agency):
    return Asset.objects.create(agency=owner_agency, kind="vessel", identifier="LT-101", name="Kihnu")


@pytest.fixture
def plan_patrol(owner_liaison, officer, partner_officer, owner_agency, partner_agency, lt_pl_in_force):
    """A joint LT-PL patrol tomorrow 08:00-16:00, commanded by LT, with one officer of each."""

    def _make(*, starts_at=None, ends_at=None, officers=None, assets=(), actor=None, agreement=None, **fields):
        starts_at = starts_at or tomorrow_at(8)
        ends_at = ends_at or starts_at + datetime.timedelta(hours=8)
        officers = [officer, partner_officer] if officers is None else officers
        participants = [
            (agency, [o for o in officers if o.agency_id == agency.pk], [a for a in assets if a.agency_id == agency.pk])
            for agency in (owner_agency, partner_agency)
        ]
        return patrols.patrol_save(
            actor=actor or owner_liaison,
            title=fields.pop("title", "Night watch on the Neris"),
            agreement=agreement or lt_pl_in_force,
            border_sector=fields.pop("border_sector", "Druskininkai"),
            starts_at=starts_at,
            ends_at=ends_at,
            commanding_agency=fields.pop("commanding_agency", owner_agency),
            participants=participants,
            route=fields.pop("route", {"type": "LineString", "coordinates": [[23.9, 54.0], [24.1, 54.1]]}),
            **fields,
        )

    return _make


@pytest.fixture
def plan_exercise(owner_liaison, owner_agency, partner_agency, lt_pl_in_force):
    """A joint LT-PL search-and-rescue exercise hosted by LT, the day after tomorrow."""

    def _make(*, starts_at=None, ends_at=None, actor=None, agencies=None, **fields):
        starts_at = starts_at or tomorrow_at(9, days=2)
        return exercises.exercise_save(
            actor=actor or owner_liaison,
            title=fields.pop("title", "Baltic Rescue"),
            scenario=fields.pop("scenario", "search_rescue"),
            host_agency=owner_agency,
            agencies=[partner_agency] if agencies is None else agencies,
            starts_at=starts_at,
            ends_at=ends_at or starts_at + datetime.timedelta(hours=6),
            objectives=fields.pop("objectives", ["Locate the vessel within an hour", "Hand over to the partner"]),
            **fields,
        )

    return _make
