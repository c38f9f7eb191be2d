"""Changes of a user's agency, roles or status in the Django admin go through the services."""

import pytest
from django.urls import reverse

from portal import audit
from portal.models import User
from portal.services import country_group
from tests.factories import UserFactory
from tests.helpers import audit_log


@pytest.fixture
def staff(db, owner_agency):
    return UserFactory(username="platform.staff", agency=owner_agency, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(verified_client, staff):
    return verified_client(staff)


def change_form(user, **changes):
    """The admin change form of `user` as a browser would post it, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": [],
        "user_permissions": [],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "agency": user.agency_id or "",
        "is_officer": user.is_officer,
        "is_supervisor": user.is_supervisor,
        "is_liaison": user.is_liaison,
        "is_analyst": user.is_analyst,
        "is_agency_admin": user.is_agency_admin,
    }
    data.update(changes)
    return {key: ("on" if value is True else value) for key, value in data.items() if value is not False}


def entries(action, user):
    audit.integrate()
    return list(audit_log().filter(action=action, object_id=str(user.pk)))


def post_change(client, user, **changes):
    response = client.post(reverse("admin:portal_user_change", args=[user.pk]), change_form(user, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    user.refresh_from_db()
    return response


def test_moving_a_user_to_another_agency_is_audited_and_moves_the_country_group(
    admin_client, staff, officer, partner_agency, lithuania
):
    assert officer.groups.filter(pk=country_group(lithuania).pk).exists()
    post_change(admin_client, officer, agency=partner_agency.pk)
    assert officer.agency == partner_agency
    groups = set(officer.groups.filter(country__isnull=False).values_list("country__code", flat=True))
    assert groups == {"PL"}
    (entry,) = entries("user.agency_changed", officer)
    assert entry.actor_id == staff.pk
    assert entry.details == {"from": "LT-SBGS", "to": "PL-SG"}


def test_a_country_group_cannot_be_picked_by_hand_in_the_admin(admin_client, officer, partner_agency):
    pl_group = country_group(partner_agency.country)
    response = admin_client.post(
        reverse("admin:portal_user_change", args=[officer.pk]), change_form(officer, groups=[pl_group.pk])
    )
    assert response.status_code == 200  # not a choice
    assert not officer.groups.filter(pk=pl_group.pk).exists()
    post_change(admin_client, officer)
    assert set(officer.groups.filter(country__isnull=False).values_list("country__code", flat=True)) == {"LT"}


def test_changing_roles_in_the_admin_writes_the_same_entry_as_the_portal(admin_client, staff, officer):
    post_change(admin_client, officer, is_officer=False, is_supervisor=True)
    assert officer.roles == ["supervisor"]
    (entry,) = entries("user.updated", officer)
    assert entry.actor_id == staff.pk
    assert entry.details["changed"]["roles"] == {"from": ["officer"], "to": ["supervisor"]}


def test_deactivating_in_the_admin_is_audited(admin_client, officer):
    post_change(admin_client, officer, is_active=False)
    assert not officer.is_active
    assert len(entries("user.deactivated", officer)) == 1


def test_saving_without_changes_writes_no_entry(admin_client, officer):
    post_change(admin_client, officer)
    audit.integrate()
    assert not audit_log().filter(object_id=str(officer.pk), action__startswith="user.").exists()


def test_staff_cannot_deactivate_themselves_through_the_admin(admin_client, staff):
    admin_client.post(reverse("admin:portal_user_change", args=[staff.pk]), change_form(staff, is_active=False))
    staff.refresh_from_db()
    assert staff.is_active


def test_the_list_actions_deactivate_and_reactivate_through_the_service(admin_client, officer, partner_officer):
    url = reverse("admin:portal_user_changelist")
    ids = [officer.pk, partner_officer.pk]
    admin_client.post(url, {"action": "deactivate_users", "_selected_action": ids})
    assert not User.objects.filter(pk__in=ids, is_active=True).exists()
    assert len(entries("user.deactivated", officer)) == len(entries("user.deactivated", partner_officer)) == 1
    admin_client.post(url, {"action": "activate_users", "_selected_action": ids})
    assert User.objects.filter(pk__in=ids, is_active=True).count() == 2
    assert len(entries("user.activated", officer)) == 1


def test_a_user_added_in_the_admin_joins_the_country_group_and_the_agency_is_audited(
    admin_client, staff, partner_agency
):
    response = admin_client.post(
        reverse("admin:portal_user_add"),
        {
            "username": "new.person",
            "password1": "Correct-Horse-42!",
            "password2": "Correct-Horse-42!",
            "usable_password": "true",
            "agency": partner_agency.pk,
            "email": "new.person@example.org",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new.person")
    assert user.agency == partner_agency
    assert set(user.groups.values_list("country__code", flat=True)) == {"PL"}
    (entry,) = entries("user.agency_changed", user)
    assert entry.details == {"from": None, "to": "PL-SG"} and entry.actor_id == staff.pk
