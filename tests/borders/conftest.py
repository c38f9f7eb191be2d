"""Shared fixtures of the border sector tests: LT owns the sectors, PL is its partner under an
agreement in force (which ends in ten days), FI has no agreement with LT."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from borders import services
from portal.models import APIScope
from portal.services import api_key_create
from portal.testing import make_verified
from tests.conftest import lt_to_pl_clause
from tests.factories import UserFactory

LINE = {"type": "LineString", "coordinates": [[23.36, 54.21], [23.28, 54.26], [23.21, 54.32], [23.19, 54.357]]}


@pytest.fixture
def agreement(make_agreement, lithuania):
    """LT-PL, in force until ten days from now."""
    return make_agreement(
        "in_force", clause=lt_to_pl_clause(lithuania), expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )


@pytest.fixture
def sector(owner_liaison, agreement):
    return services.sector_save(
        actor=owner_liaison, code="LT-PL-2", name="Kalvarija", description="Via Baltica section", geometry=LINE
    )


@pytest.fixture
def crossing(owner_liaison, sector):
    return services.crossing_save(
        actor=owner_liaison,
        code="LT-KAL",
        name="Kalvarija-Budzisko",
        kind="road",
        sector=sector,
        latitude=Decimal("54.357000"),
        longitude=Decimal("23.190000"),
    )


@pytest.fixture
def level_change(sector, supervisor):
    return services.impact_level_set(
        sector=sector, level="high", reason="Groups guided by smugglers three nights in a row", actor=supervisor
    )


@pytest.fixture
def signed_in():
    """A client of its own for each person (several personas in one test)."""

    def _make(user):
        return make_verified(Client(), user)

    return _make


@pytest.fixture
def key_client(db):
    """A client with an API key of the given agency, with the scope to read sectors (or `scopes`)."""

    def _make(agency, scopes=(APIScope.BORDERS_READ,)):
        admin = UserFactory(
            username=f"{agency.code.lower()}.keyadmin", agency=agency, is_officer=False, is_agency_admin=True
        )
        _key, raw = api_key_create(agency=agency, name="Map gateway", scopes=list(scopes), expires_at=None, actor=admin)
        return Client(headers={"authorization": f"Api-Key {raw}"})

    return _make


@pytest.fixture
def plan_patrol_with_sector(owner_liaison, officer, partner_officer, owner_agency, partner_agency, agreement):
    """A joint LT-PL patrol tomorrow under `agreement`, placed in `sector` or a typed name."""
    from training.services import patrols

    def _make(sector=None, border_sector="", days=1):
        starts_at = timezone.now() + datetime.timedelta(days=days)
        return patrols.patrol_save(
            actor=owner_liaison,
            title="Night watch",
            agreement=agreement,
            sector=sector,
            border_sector=border_sector,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=8),
            commanding_agency=owner_agency,
            participants=[(owner_agency, [officer], []), (partner_agency, [partner_officer], [])],
        )

    return _make
