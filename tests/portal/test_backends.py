"""The authentication backend loads a person, their agency and country and their confirmed
authenticator in one statement, as Django's ORM would have built them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.backends import PortalModelBackend
from portal.models import User
from tests.factories import TOTPDeviceFactory, UserFactory


def _same(loaded, expected):
    for field in type(expected)._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name


def test_one_query_gives_the_person_agency_country_and_authenticator(officer):
    TOTPDeviceFactory(user=officer, confirmed=False)
    device = TOTPDeviceFactory(user=officer, confirmed=True)
    TOTPDeviceFactory(user=officer, confirmed=True)
    TOTPDeviceFactory(user=UserFactory(username="someone.else", agency=officer.agency), confirmed=True)
    expected = User.objects.select_related("agency__country").get(pk=officer.pk)

    with CaptureQueriesContext(connection) as queries:
        user = PortalModelBackend().get_user(officer.pk)
        _same(user, expected)
        _same(user.agency, expected.agency)
        _same(user.agency.country, expected.agency.country)
        assert user.confirmed_totp_id == device.pk
        assert user.agency.country.name == expected.agency.country.name
    assert len(queries) == 1
    assert user._state.db == "default" and not user._state.adding
    user.first_name = "Renamed"
    user.save(update_fields=["first_name"])  # an ordinary model instance
    assert User.objects.get(pk=officer.pk).first_name == "Renamed"


def test_a_person_without_agency_or_authenticator(db):
    person = UserFactory(username="no.agency", agency=None)
    with CaptureQueriesContext(connection) as queries:
        user = PortalModelBackend().get_user(person.pk)
        assert user.agency is None and user.confirmed_totp_id is None
    assert len(queries) == 1


@pytest.mark.parametrize("case", ["missing", "inactive"])
def test_missing_or_inactive_people_are_not_loaded(officer, case):
    if case == "inactive":
        officer.is_active = False
        officer.save()
        user_id = officer.pk
    else:
        user_id = officer.pk + 1000
    assert PortalModelBackend().get_user(user_id) is None
