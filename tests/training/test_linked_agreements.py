"""Agreements named on joint work are named only to readers whose country may see them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from agreements.models import AgreementStatus
from portal import gate
from portal.models import APIScope
from tests.conftest import PDF_BYTES
from tests.openapi import says_null
from training.services import lessons, lifecycle
from training.services.calendar import calendar_feed_issue


def _api_get(client, name, raw, *args):
    return client.get(reverse(name, args=args), HTTP_AUTHORIZATION=f"Api-Key {raw}")


@pytest.fixture
def lt_fi_sop(owner_agency, outsider_agency, owner_liaison):
    """An LT-FI SOP in force, which PL (taking part in the exercise) is not party to."""
    agreement = agreement_services.agreement_create(
        parties=[(owner_agency, [owner_liaison]), (outsider_agency, [])],
        actor=owner_liaison,
        kind="sop",
        reference="LT-FI/SOP-7",
        title="Hidden boarding procedure",
    )
    for step in ("negotiation", "signed", "in_force"):
        extra = {}
        if step == "signed":
            extra["signed_on"] = timezone.localdate() - datetime.timedelta(days=10)
        if step == "in_force":
            agreement_services.document_upload(
                agreement=agreement,
                actor=owner_liaison,
                title="Boarding annex",
                upload=SimpleUploadedFile("annex.pdf", PDF_BYTES, content_type="application/pdf"),
            )
            extra["effective_from"] = timezone.localdate() - datetime.timedelta(days=5)
        agreement = agreement_services.agreement_transition(
            agreement=agreement, to_status=AgreementStatus(step), actor=owner_liaison, **extra
        )
    return agreement


@pytest.fixture
def action_on_foreign_sop(plan_exercise, owner_liaison, owner_agency, lt_fi_sop):
    """A completed LT-PL exercise whose corrective action changes the LT-FI SOP's document."""
    exercise = plan_exercise(starts_at=timezone.now() - datetime.timedelta(hours=1))
    for step in ("under_way", "completed"):
        exercise = lifecycle.activity_transition(activity=exercise, to_status=step, actor=owner_liaison)
    lessons.after_action_save(exercise=exercise, actor=owner_liaison, summary="Done", lessons_learned="Slow boarding")
    return lessons.corrective_action_add(
        exercise=exercise,
        actor=owner_liaison,
        description="Rewrite the boarding step",
        owner_agency=owner_agency,
        due_on=timezone.localdate() + datetime.timedelta(days=30),
        sop_document=lt_fi_sop.documents.get(),
    )


def _close_by_new_version(agreement, actor):
    agreement_services.document_upload(
        agreement=agreement,
        document=agreement.documents.get(),
        actor=actor,
        upload=SimpleUploadedFile("annex-v2.pdf", PDF_BYTES, content_type="application/pdf"),
    )


SECRETS = ("LT-FI/SOP-7", "Hidden boarding procedure", "Boarding annex")


def test_exercise_page_does_not_name_an_sop_the_reader_is_not_party_to(
    action_on_foreign_sop, lt_fi_sop, owner_liaison, verified_client, partner_officer
):
    _close_by_new_version(lt_fi_sop, owner_liaison)
    page = verified_client(partner_officer).get(
        reverse("training:exercise_detail", args=[action_on_foreign_sop.exercise_id])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Rewrite the boarding step" in text
    assert "an SOP of another party" in text
    for secret in SECRETS:
        assert secret not in text, secret
    assert reverse("agreements:detail", args=[lt_fi_sop.pk]) not in text


def test_exercise_page_names_the_sop_to_a_party(action_on_foreign_sop, verified_client, officer):
    text = (
        verified_client(officer)
        .get(reverse("training:exercise_detail", args=[action_on_foreign_sop.exercise_id]))
        .content.decode()
    )
    assert "LT-FI/SOP-7" in text and "Boarding annex" in text
    assert "an SOP of another party" not in text


def test_exercise_api_does_not_name_an_sop_the_caller_is_not_party_to(
    action_on_foreign_sop, lt_fi_sop, owner_liaison, api_key, client, partner_agency, owner_agency
):
    _close_by_new_version(lt_fi_sop, owner_liaison)
    _key, raw = api_key(scopes=[APIScope.TRAINING_READ], agency=partner_agency)
    response = _api_get(client, "api_exercise_detail", raw, action_on_foreign_sop.exercise_id)
    assert response.status_code == 200
    (action,) = response.json()["corrective_actions"]
    assert action["sop_linked"] is True
    assert action["sop"] is None and action["sop_document"] is None and action["closed_by_version"] is None
    assert action["status"] == "closed"
    for secret in SECRETS:
        assert secret not in response.content.decode(), secret
    _own_key, own_raw = api_key(scopes=[APIScope.TRAINING_READ], agency=owner_agency)
    (own,) = _api_get(client, "api_exercise_detail", own_raw, action_on_foreign_sop.exercise_id).json()[
        "corrective_actions"
    ]
    assert own["sop"] == "LT-FI/SOP-7" and own["sop_document"] == "Boarding annex" and own["closed_by_version"] == 2


def test_the_schema_marks_the_hidden_sop_fields_nullable(verified_client, officer):
    schema = verified_client(officer).get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    properties = schema["components"]["schemas"]["CorrectiveActionOut"]["properties"]
    for name in ("sop", "sop_document", "closed_by_version"):
        assert says_null(properties[name]), name
    assert properties["sop_linked"]["type"] == "boolean"


def test_a_manager_not_party_to_the_sop_is_not_told_its_document_title(action_on_foreign_sop, partner_liaison):
    with pytest.raises(ValidationError) as exc:
        lessons.corrective_action_update(action=action_on_foreign_sop, actor=partner_liaison, status="closed")
    text = " ".join(exc.value.messages)
    assert "new version" in text
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.fixture
def patrol_under_hidden_agreement(plan_patrol, lt_pl_in_force, lithuania):
    """A patrol whose governing agreement PL can no longer see (as if its party had left)."""
    patrol = plan_patrol()
    gate.share_with_countries(lt_pl_in_force, [lithuania])
    return patrol


def test_patrol_pages_do_not_name_an_agreement_the_reader_cannot_see(
    patrol_under_hidden_agreement, lt_pl_in_force, verified_client, partner_officer, officer
):
    client = verified_client(partner_officer)
    secrets = (lt_pl_in_force.reference, lt_pl_in_force.title)
    detail = client.get(reverse("training:patrol_detail", args=[patrol_under_hidden_agreement.pk])).content.decode()
    assert "Night watch on the Neris" in detail and "not shared with your country" in detail
    listing = client.get(reverse("training:patrol_list")).content.decode()
    assert "Night watch on the Neris" in listing
    token = calendar_feed_issue(user=partner_officer)
    calendar = client.get(reverse("training:ical", args=[token])).content.decode()
    for text in (detail, listing, calendar):
        for secret in secrets:
            assert secret not in text, secret
    assert reverse("agreements:detail", args=[lt_pl_in_force.pk]) not in detail
    search = client.get(reverse("training:patrol_list"), {"q": lt_pl_in_force.reference})
    assert search.context["page"].paginator.count == 0
    own = verified_client(officer).get(reverse("training:patrol_detail", args=[patrol_under_hidden_agreement.pk]))
    assert lt_pl_in_force.reference in own.content.decode()


def test_patrol_api_does_not_name_an_agreement_the_caller_cannot_see(
    patrol_under_hidden_agreement, lt_pl_in_force, api_key, client, partner_agency
):
    _key, raw = api_key(scopes=[APIScope.TRAINING_READ], agency=partner_agency)
    detail = _api_get(client, "api_patrol_detail", raw, patrol_under_hidden_agreement.pk).json()
    assert detail["title"] == "Night watch on the Neris" and detail["agreement"] is None
    (row,) = _api_get(client, "api_patrol_list", raw).json()["results"]
    assert row["agreement"] is None


def test_the_schema_marks_the_patrol_agreement_nullable(verified_client, officer):
    schema = verified_client(officer).get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    assert says_null(schema["components"]["schemas"]["PatrolOut"]["properties"]["agreement"])
