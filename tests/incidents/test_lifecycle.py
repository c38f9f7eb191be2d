"""Incident lifecycle: each step with its preconditions, audit entry and clear refusal."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from tests.conftest import require
from tests.factories import UserFactory
from tests.helpers import audit_log


def test_reference_is_readable_and_sequential_per_agency_and_year(make_incident, officer):
    first, second = make_incident(), make_incident()
    year = timezone.now().year
    assert first.reference == f"LT-SBGS-{year}-000001"
    assert second.reference == f"LT-SBGS-{year}-000002"


def test_other_agency_has_its_own_sequence(make_incident, partner_officer):
    make_incident()
    other = make_incident(reporter=partner_officer)
    assert other.reference.startswith("PL-SG-") and other.reference.endswith("000001")


def test_full_lifecycle_is_audited(make_incident, supervisor):
    incident = make_incident("validated")
    incident = services.incident_close(incident=incident, actor=supervisor, reason="Done")
    actions = list(
        audit_log()
        .filter(object_id=str(incident.pk), object_type="incidents.incident")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["incident.created", "incident.submitted", "incident.validated", "incident.closed"]


def test_reporter_cannot_validate_own_incident(make_incident, owner_agency):
    reporting_supervisor = UserFactory(username="lt.sup2", agency=owner_agency, is_supervisor=True)
    incident = make_incident("submitted", reporter=reporting_supervisor)
    with pytest.raises(ValidationError, match="cannot validate their own"):
        services.incident_validate(incident=incident, actor=reporting_supervisor)
    incident.refresh_from_db()
    assert incident.status == "submitted"


def test_supervisor_of_another_agency_cannot_validate(make_incident, partner_agency):
    foreign = UserFactory(username="pl.sup", agency=partner_agency, is_supervisor=True)
    incident = make_incident("submitted")
    with pytest.raises(PermissionDenied):
        services.incident_validate(incident=incident, actor=foreign)


def test_officer_cannot_validate(make_incident, owner_agency):
    colleague = UserFactory(username="lt.colleague", agency=owner_agency)
    with pytest.raises(PermissionDenied):
        services.incident_validate(incident=make_incident("submitted"), actor=colleague)


def test_draft_must_be_complete_to_submit(make_incident, officer):
    incident = make_incident(description="", border_sector="")
    with pytest.raises(ValidationError) as excinfo:
        services.incident_submit(incident=incident, actor=officer)
    assert "Describe what happened" in str(excinfo.value)
    incident.refresh_from_db()
    assert incident.status == "draft"


@pytest.mark.parametrize("wrong_step", ["validate_draft", "submit_twice", "close_draft"])
def test_steps_out_of_order_are_refused(make_incident, officer, supervisor, wrong_step):
    incident = make_incident("submitted" if wrong_step == "submit_twice" else "draft")
    with pytest.raises(ValidationError):
        if wrong_step == "validate_draft":
            services.incident_validate(incident=incident, actor=supervisor)
        elif wrong_step == "submit_twice":
            services.incident_submit(incident=incident, actor=officer)
        else:
            services.incident_close(incident=incident, actor=supervisor)


def test_bad_input_changes_nothing(officer):
    with pytest.raises(ValidationError) as excinfo:
        services.incident_create(
            actor=officer,
            category="smuggling_goods",
            occurred_at=timezone.now() + timezone.timedelta(days=1),
            latitude=54.1,
            person_name="Someone",
        )
    assert {"occurred_at", "longitude", "has_personal_data"} <= set(excinfo.value.message_dict)
    assert Incident.objects.count() == 0


def test_follow_up_links_to_the_first_report(make_incident, officer):
    first = make_incident("validated")
    follow = services.incident_create(
        actor=officer,
        follow_up_of=first,
        category="smuggling_goods",
        occurred_at=timezone.now(),
        description="Seen again",
        border_sector="X",
    )
    assert list(first.follow_ups.all()) == [follow]


def test_analyst_cannot_file(owner_agency):
    analyst = UserFactory(username="lt.analyst", agency=owner_agency, is_officer=False, is_analyst=True)
    with pytest.raises(PermissionDenied):
        services.incident_create(actor=analyst, category="other", occurred_at=timezone.now())


def test_partner_comments_on_a_shared_incident_outsider_cannot(
    lt_pl_in_force, make_incident, partner_officer, outsider_officer
):
    incident = make_incident("validated")
    comment = services.comment_add(incident=incident, actor=partner_officer, body="Same lorry seen at our side")
    assert comment.incident == incident
    with pytest.raises(PermissionDenied):
        services.comment_add(incident=incident, actor=outsider_officer, body="?")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_filing_never_duplicates_a_reference(owner_agency):
    # Row locks under real concurrency: PostgreSQL (CI fails rather than skips without it).
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    officers = [UserFactory(username=f"lt.o{i}", agency=owner_agency) for i in range(6)]
    errors, barrier = [], threading.Barrier(len(officers))

    def file(user):
        try:
            barrier.wait()
            for _ in range(3):
                services.incident_create(actor=user, category="other", occurred_at=timezone.now())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(user,)) for user in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    references = list(Incident.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 18
