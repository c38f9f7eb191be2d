"""Every ISO 3166-1 country exists; each user sits in exactly its agency's country group."""

import pycountry

from portal.models import Country
from tests.factories import AgencyFactory, UserFactory


def test_every_iso_country_is_loaded(db):
    assert Country.objects.count() == len(pycountry.countries)
    assert Country.objects.get(pk="LT").alpha3 == "LTU"


def test_country_names_follow_the_language(db):
    from django.utils import translation

    with translation.override("fr"):
        assert str(Country.objects.get(pk="DE")) == "Allemagne"
    assert str(Country.objects.get(pk="DE")) == "Germany"


def country_groups(user):
    return sorted(user.groups.filter(country__isnull=False).values_list("name", flat=True))


def test_new_user_joins_country_group(officer):
    assert country_groups(officer) == ["country:LT"]


def test_moving_user_to_another_agency_moves_the_group(officer, partner_agency):
    officer.agency = partner_agency
    officer.save()
    assert country_groups(officer) == ["country:PL"]


def test_user_without_agency_has_no_country_group(officer):
    officer.agency = None
    officer.save()
    assert country_groups(officer) == []


def test_agency_changing_country_moves_its_users(db):
    agency = AgencyFactory(code="XX-1", country=Country.objects.get(pk="LV"))
    users = [UserFactory(agency=agency) for _ in range(3)]
    agency.country = Country.objects.get(pk="EE")
    agency.save()
    for user in users:
        assert country_groups(user) == ["country:EE"]


def test_other_groups_are_left_alone(officer):
    from django.contrib.auth.models import Group

    extra = Group.objects.create(name="duty-roster")
    officer.groups.add(extra)
    officer.save()
    assert set(officer.groups.values_list("name", flat=True)) == {"country:LT", "duty-roster"}
