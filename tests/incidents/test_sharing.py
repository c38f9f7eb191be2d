"""The sharing engine: grants follow the clauses in force, and the gate follows the grants."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agreements import services as agreement_services
from incidents import selectors, services, sharing
from incidents.models import Incident, IncidentVisibility, ShareGrant
from portal.models import Country
from tests.helpers import audit_log


def visible_ids(user):
    return set(Incident.objects.visible_to(user).values_list("pk", flat=True))


def test_validated_incident_is_shared_by_an_automatic_clause(
    lt_pl_in_force, make_incident, officer, partner_officer, outsider_officer
):
    incident = make_incident("validated")
    assert incident.status == "shared"
    grant = ShareGrant.objects.get(incident=incident)
    assert grant.country_id == "PL" and grant.clause.agreement == lt_pl_in_force
    assert grant.expires_at - grant.granted_at == datetime.timedelta(days=30)
    assert visible_ids(officer) == {incident.pk}
    assert visible_ids(partner_officer) == {incident.pk}
    assert visible_ids(outsider_officer) == set()
    assert audit_log().filter(action="incident.shared", details__country="PL").exists()


def test_grant_is_also_a_guardian_permission_of_the_country_group(
    lt_pl_in_force, make_incident, partner_officer, outsider_officer
):
    incident = make_incident("validated")
    assert partner_officer.has_perm("incidents.view_incident", incident)
    assert not outsider_officer.has_perm("incidents.view_incident", incident)


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_nothing_is_shared_before_validation(lt_pl_in_force, make_incident, partner_officer, status):
    make_incident(status)
    assert visible_ids(partner_officer) == set()
    assert ShareGrant.objects.count() == 0


def test_red_is_never_shared(lt_pl_in_force, make_incident, partner_officer):
    make_incident("validated", marking="RED")
    assert visible_ids(partner_officer) == set()


def test_marking_above_the_clause_is_not_shared(lt_pl_in_force, make_incident, partner_officer):
    make_incident("validated", marking="AMBER+STRICT")
    assert visible_ids(partner_officer) == set()


def test_category_outside_the_clause_is_not_shared(lt_pl_in_force, make_incident, partner_officer):
    make_incident("validated", category="trafficking")
    assert visible_ids(partner_officer) == set()


def test_personal_data_withheld_from_a_partner_whose_clause_forbids_it(
    lt_pl_in_force, make_incident, officer, partner_officer
):
    incident = make_incident(
        "validated", has_personal_data=True, person_name="Jonas Jonaitis", person_document_number="LT1234567"
    )
    seen = selectors.incident_get(partner_officer, incident.pk)
    assert seen.person_name == "" and seen.person_document_number == "" and seen.personal_data_withheld
    own = selectors.incident_get(officer, incident.pk)
    assert own.person_name == "Jonas Jonaitis"


def test_suspending_the_agreement_revokes_its_grants(
    lt_pl_in_force, make_incident, owner_liaison, partner_officer, django_capture_on_commit_callbacks
):
    incident = make_incident("validated")
    with django_capture_on_commit_callbacks(execute=True):
        agreement_services.agreement_transition(
            agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
        )
    assert visible_ids(partner_officer) == set()
    grant = ShareGrant.objects.get(incident=incident)
    assert grant.revoked_at is not None and grant.end_reason == "agreement_ended"
    assert not partner_officer.has_perm("incidents.view_incident", Incident.objects.get(pk=incident.pk))


def test_putting_an_agreement_in_force_shares_validated_incidents(
    make_agreement, make_incident, lithuania, partner_officer, django_capture_on_commit_callbacks
):
    incident = make_incident("validated")
    assert visible_ids(partner_officer) == set()
    with django_capture_on_commit_callbacks(execute=True):
        make_agreement(
            "in_force",
            clause={
                "provider": lithuania,
                "receiver": Country.objects.get(pk="PL"),
                "categories": ["smuggling_goods"],
                "max_marking": "GREEN",
                "retention_days": 10,
                "purpose": "p",
            },
        )
    assert visible_ids(partner_officer) == {incident.pk}


def test_retention_end_hides_then_revokes_once(lt_pl_in_force, make_incident, partner_officer):
    incident = make_incident("validated")
    later = timezone.now() + datetime.timedelta(days=31)
    assert set(Incident.objects.visible_to(partner_officer, at=later).values_list("pk", flat=True)) == set()
    assert sharing.revoke_lapsed(now=later) == 1
    assert sharing.revoke_lapsed(now=later) == 0
    grant = ShareGrant.objects.get(incident=incident)
    assert grant.end_reason == "retention_ended" and grant.revoked_reason
    assert not IncidentVisibility.objects.filter(content_object=incident, country_id="PL").exists()
    assert audit_log().filter(action="incident.share_revoked").count() == 1


def test_changing_the_category_revokes_the_share(lt_pl_in_force, make_incident, supervisor, partner_officer):
    incident = make_incident("validated")
    services.incident_update(incident=incident, actor=supervisor, category="trafficking")
    assert visible_ids(partner_officer) == set()


def test_on_request_clause_needs_an_explicit_share(
    make_agreement, make_incident, lithuania, officer, partner_officer, outsider_officer
):
    make_agreement(
        "in_force",
        clause={
            "provider": lithuania,
            "receiver": Country.objects.get(pk="PL"),
            "categories": ["smuggling_goods"],
            "max_marking": "AMBER",
            "retention_days": 5,
            "purpose": "p",
            "mode": "on_request",
            "personal_data": True,
        },
    )
    incident = make_incident("validated", has_personal_data=True, person_name="A. Person")
    assert visible_ids(partner_officer) == set()
    assert [c.pk for c, _basis in sharing.share_options(incident)] == ["PL"]
    with pytest.raises(ValidationError, match="No clause"):
        services.incident_share(incident=incident, country=Country.objects.get(pk="FI"), actor=officer)
    grant = services.incident_share(incident=incident, country=Country.objects.get(pk="PL"), actor=officer)
    assert grant.on_request and grant.personal_data and grant.granted_by == officer
    assert visible_ids(partner_officer) == {incident.pk}
    assert selectors.incident_get(partner_officer, incident.pk).person_name == "A. Person"
    assert visible_ids(outsider_officer) == set()


def test_partner_cannot_share_someone_elses_incident(lt_pl_in_force, make_incident, partner_officer):
    incident = make_incident("validated")
    with pytest.raises(PermissionDenied):
        services.incident_share(incident=incident, country=Country.objects.get(pk="FI"), actor=partner_officer)


def test_sync_is_idempotent(lt_pl_in_force, make_incident):
    incident = make_incident("validated")
    sharing.sync_incident(incident)
    sharing.sync_incident(incident)
    assert ShareGrant.objects.filter(incident=incident).count() == 1
    assert IncidentVisibility.objects.filter(content_object=incident).count() == 2


def test_share_restored_after_suspension_keeps_its_original_retention(
    lt_pl_in_force, make_incident, owner_liaison, partner_officer, django_capture_on_commit_callbacks
):
    incident = make_incident("validated")
    first = ShareGrant.objects.get(incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_services.agreement_transition(
            agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
        )
    with django_capture_on_commit_callbacks(execute=True):
        agreement_services.agreement_transition(agreement=lt_pl_in_force, to_status="in_force", actor=owner_liaison)
    assert visible_ids(partner_officer) == {incident.pk}
    active = ShareGrant.objects.get(incident=incident, revoked_at__isnull=True)
    assert active.pk != first.pk and active.expires_at == first.expires_at
