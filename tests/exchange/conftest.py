"""Fixtures of information exchange: the single points of contact of LT, PL and FI, a request
from LT to PL, and agreements that let PL give LT personal data."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import Country
from portal.testing import make_verified
from tests.conftest import lt_to_pl_clause


@pytest.fixture
def poland(db):
    return Country.objects.get(pk="PL")


@pytest.fixture
def spocs(owner_agency, partner_agency, outsider_agency, owner_liaison, partner_liaison, outsider_liaison):
    """Each persona's country names its border guard as its single point of contact."""
    from exchange import services

    return {
        agency.country_id: services.spoc_set(actor=liaison, agency=agency, languages=["en"], email="spoc@example.org")
        for agency, liaison in (
            (owner_agency, owner_liaison),
            (partner_agency, partner_liaison),
            (outsider_agency, outsider_liaison),
        )
    }


@pytest.fixture
def send(spocs, owner_liaison, poland):
    """A request from LT's liaison officer to PL (7 days unless urgent), `fields` replacing any."""
    from exchange import services

    def _send(**fields):
        values = {
            "actor": owner_liaison,
            "requested_country": poland,
            "subject": "Keeper of a lorry",
            "sought": "The registered keeper and recent crossings.",
            "purpose": "Investigation of cigarette smuggling.",
            "identifiers": [{"kind": "plate", "value": "wpr 4471k", "country": "PL"}],
            "linked_incidents": [],
            "legal_basis": "directive",
            "agreement": None,
            "urgent": False,
            "directly_accessible": True,
            **fields,
        }
        return services.request_send(**values)

    return _send


@pytest.fixture
def pl_gives_personal_data(make_agreement, lithuania, poland):
    """An LT-PL agreement in force until the day after tomorrow, whose clause lets PL give LT
    personal data."""
    clause = lt_to_pl_clause(lithuania, provider=poland, receiver=lithuania, personal_data=True)
    return make_agreement(
        "in_force", clause=clause, expires_on=timezone.localdate() + datetime.timedelta(days=2), reference="PL-LT/PD"
    )


@pytest.fixture
def signed_in():
    def _client(user):
        return make_verified(Client(), user)

    return _client
