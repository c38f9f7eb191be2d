"""Agreement lifecycle: only the allowed transitions, each with its preconditions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agreements import services
from agreements.models import Agreement, AgreementStatus
from tests.helpers import audit_log

S = AgreementStatus
TODAY = timezone.localdate()


def test_create_needs_two_countries_including_own(owner_agency, owner_liaison, outsider_agency, partner_agency):
    with pytest.raises(ValidationError, match="at least two countries"):
        services.agreement_create(
            parties=[(owner_agency, [])], actor=owner_liaison, kind="mou", reference="X/1", title="t"
        )
    with pytest.raises(ValidationError, match="Your own country"):
        services.agreement_create(
            parties=[(outsider_agency, []), (partner_agency, [])],
            actor=owner_liaison,
            kind="mou",
            reference="X/1",
            title="t",
        )
    assert Agreement.objects.count() == 0


def test_only_liaison_officers_create(owner_agency, partner_agency, officer):
    with pytest.raises(PermissionDenied):
        services.agreement_create(
            parties=[(owner_agency, []), (partner_agency, [])], actor=officer, kind="mou", reference="X/1", title="t"
        )


def test_full_path_to_force_is_recorded(make_agreement):
    agreement = make_agreement("in_force")
    assert agreement.status == S.IN_FORCE
    steps = [(e.from_status, e.to_status) for e in agreement.events.filter(kind="transition")]
    assert steps == [("draft", "negotiation"), ("negotiation", "signed"), ("signed", "in_force")]
    assert audit_log().filter(action="agreement.status_changed", object_id=str(agreement.pk)).count() == 3


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "signed"),
        ("draft", "in_force"),
        ("negotiation", "in_force"),
        ("signed", "suspended"),
        ("in_force", "draft"),
        ("in_force", "signed"),
    ],
)
def test_disallowed_transitions_change_nothing(make_agreement, owner_liaison, start, target):
    agreement = make_agreement(start)
    with pytest.raises(ValidationError, match="cannot become"):
        services.agreement_transition(
            agreement=agreement,
            to_status=target,
            actor=owner_liaison,
            reason="because",
            signed_on=TODAY,
            effective_from=TODAY,
        )
    agreement.refresh_from_db()
    assert agreement.status == start


def test_in_force_needs_signed_document_and_dates(make_agreement, owner_liaison):
    agreement = make_agreement("negotiation")
    agreement = services.agreement_transition(
        agreement=agreement, to_status="signed", actor=owner_liaison, signed_on=TODAY
    )
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_transition(agreement=agreement, to_status="in_force", actor=owner_liaison)
    messages = " ".join(excinfo.value.messages)
    assert "effective" in messages and "signed text" in messages
    agreement.refresh_from_db()
    assert agreement.status == S.SIGNED


def test_signature_date_required_and_not_in_future(make_agreement, owner_liaison):
    agreement = make_agreement("negotiation")
    with pytest.raises(ValidationError, match="date of signature"):
        services.agreement_transition(agreement=agreement, to_status="signed", actor=owner_liaison)
    with pytest.raises(ValidationError):
        services.agreement_transition(
            agreement=agreement, to_status="signed", actor=owner_liaison, signed_on=TODAY + datetime.timedelta(days=1)
        )
    agreement.refresh_from_db()
    assert agreement.status == S.NEGOTIATION and agreement.signed_on is None


def test_suspend_needs_reason_and_can_return_to_force(make_agreement, owner_liaison):
    agreement = make_agreement("in_force")
    with pytest.raises(ValidationError, match="reason"):
        services.agreement_transition(agreement=agreement, to_status="suspended", actor=owner_liaison)
    agreement = services.agreement_transition(
        agreement=agreement, to_status="suspended", actor=owner_liaison, reason="Border incident under review"
    )
    agreement = services.agreement_transition(agreement=agreement, to_status="in_force", actor=owner_liaison)
    assert agreement.status == S.IN_FORCE
    assert agreement.events.filter(to_status="suspended").get().reason == "Border incident under review"


def test_terminated_is_final(make_agreement, owner_liaison):
    agreement = make_agreement("in_force")
    agreement = services.agreement_transition(
        agreement=agreement, to_status="terminated", actor=owner_liaison, reason="Replaced"
    )
    with pytest.raises(ValidationError):
        services.agreement_transition(agreement=agreement, to_status="in_force", actor=owner_liaison)


def test_partner_liaison_may_transition_but_not_outsider(make_agreement, partner_liaison, outsider_liaison):
    agreement = make_agreement("draft")
    with pytest.raises(PermissionDenied):
        services.agreement_transition(agreement=agreement, to_status="negotiation", actor=outsider_liaison)
    services.agreement_transition(agreement=agreement, to_status="negotiation", actor=partner_liaison)


def test_status_change_emits_event_on_commit(make_agreement, owner_liaison, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, agreement_id, old, new, **kwargs):
        received.append((agreement_id, old, new))

    services.agreement_status_changed.connect(listener)
    try:
        agreement = make_agreement("draft")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.agreement_transition(agreement=agreement, to_status="negotiation", actor=owner_liaison)
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [(agreement.pk, "draft", "negotiation")]
    finally:
        services.agreement_status_changed.disconnect(listener)


def test_clauses_cannot_change_once_in_force(make_agreement, owner_liaison, lithuania):
    agreement = make_agreement("in_force")
    with pytest.raises(ValidationError, match="Amend it instead"):
        services.clause_save(
            agreement=agreement,
            actor=owner_liaison,
            provider=lithuania,
            categories=["other"],
            max_marking="GREEN",
            retention_days=30,
            purpose="p",
        )


def test_amendment_supersedes_on_entry_into_force(make_agreement, owner_liaison):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import PDF_BYTES

    original = make_agreement(
        "in_force",
        clause={"categories": ["other"], "max_marking": "GREEN", "retention_days": 30, "purpose": "p", "mutual": True},
    )
    amendment = services.agreement_amend(agreement=original, actor=owner_liaison)
    assert amendment.version == 2 and amendment.status == S.DRAFT
    assert amendment.clauses.count() == 1 and amendment.parties.count() == 2
    for step, extra in [("negotiation", {}), ("signed", {"signed_on": TODAY})]:
        amendment = services.agreement_transition(agreement=amendment, to_status=step, actor=owner_liaison, **extra)
    services.document_upload(
        agreement=amendment, actor=owner_liaison, title="Signed", upload=SimpleUploadedFile("a.pdf", PDF_BYTES)
    )
    services.agreement_transition(agreement=amendment, to_status="in_force", actor=owner_liaison, effective_from=TODAY)
    original.refresh_from_db()
    assert original.status == S.TERMINATED
    assert "Superseded by version 2" in original.events.last().reason


def test_removing_a_party_removes_its_clauses_and_says_so(make_agreement, owner_liaison, owner_agency, outsider_agency):
    from portal.models import Country

    agreement = make_agreement(
        "draft",
        clause={
            "provider": Country.objects.get(pk="PL"),
            "categories": ["other"],
            "max_marking": "GREEN",
            "retention_days": 5,
            "purpose": "p",
        },
    )
    services.agreement_update(
        agreement=agreement, actor=owner_liaison, parties=[(owner_agency, [owner_liaison]), (outsider_agency, [])]
    )
    assert agreement.clauses.count() == 0
    entry = audit_log().get(action="clause.deleted")
    assert entry.actor == owner_liaison and entry.details["reason"] == "party removed"
    assert sorted(agreement.parties.values_list("country_id", flat=True)) == ["FI", "LT"]
