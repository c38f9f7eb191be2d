"""Capacity-building programmes: funder visibility, budget, courses, indicators."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.models import Country
from training.models import Programme
from training.services import courses, programmes


def messages_of(exc):
    return " ".join(exc.value.messages)


@pytest.fixture
def programme(owner_liaison, owner_agency, partner_agency):
    """Funded by Finland (a partner state) for LT and PL agencies."""
    today = timezone.localdate()
    return programmes.programme_save(
        actor=owner_liaison,
        title="Document fraud training",
        source_kind="partner_state",
        funder_name="Finnish Ministry of the Interior",
        funder_country=Country.objects.get(pk="FI"),
        budget=Decimal("100000"),
        starts_on=today - datetime.timedelta(days=200),
        ends_on=today + datetime.timedelta(days=400),
        agencies=[owner_agency, partner_agency],
    )


def test_programme_is_seen_by_participants_and_the_funding_state(programme, partner_officer, outsider_officer):
    assert Programme.objects.visible_to(partner_officer).filter(pk=programme.pk).exists()
    assert Programme.objects.visible_to(outsider_officer).filter(pk=programme.pk).exists()  # Finland funds it
    other = Country.objects.get(pk="DE")
    from tests.factories import AgencyFactory, UserFactory

    german = UserFactory(username="de.officer", agency=AgencyFactory(code="DE-BPOL", country=other))
    assert not Programme.objects.visible_to(german).exists()


def test_a_partner_state_source_needs_the_state(owner_liaison, owner_agency):
    with pytest.raises(ValidationError) as exc:
        programmes.programme_save(
            actor=owner_liaison,
            title="x",
            source_kind="partner_state",
            funder_name="Someone",
            budget=Decimal(1),
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            agencies=[owner_agency],
        )
    assert "Name the funding state" in messages_of(exc)


def test_spending_beyond_the_budget_is_refused(programme, owner_liaison):
    programmes.spending_add(
        programme=programme,
        actor=owner_liaison,
        spent_on=timezone.localdate(),
        amount=Decimal("90000"),
        description="Trainers",
    )
    with pytest.raises(ValidationError) as exc:
        programmes.spending_add(
            programme=programme,
            actor=owner_liaison,
            spent_on=timezone.localdate(),
            amount=Decimal("20000"),
            description="Hotel",
        )
    assert "10000.00 EUR is left" in messages_of(exc)
    assert programme.spending.count() == 1


def test_course_trainees_come_from_participating_agencies(
    programme, owner_liaison, owner_agency, officer, outsider_officer
):
    start = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        courses.course_save(
            programme=programme,
            actor=owner_liaison,
            title="Forged passports",
            place="Vilnius",
            trainer_agency=owner_agency,
            starts_at=start,
            ends_at=start + datetime.timedelta(days=2),
            trainees=[outsider_officer],
        )
    assert "not from a participating agency" in messages_of(exc)
    course = courses.course_save(
        programme=programme,
        actor=owner_liaison,
        title="Forged passports",
        place="Vilnius",
        trainer_agency=owner_agency,
        starts_at=start,
        ends_at=start + datetime.timedelta(days=2),
        trainees=[officer],
    )
    courses.course_transition(course=course, to_status="under_way", actor=owner_liaison)
    courses.course_transition(course=course, to_status="completed", actor=owner_liaison, completed=[officer])
    assert course.trainees.get().completed


def test_indicator_progress_is_charted(programme, owner_liaison, verified_client, partner_officer):
    indicator = programmes.indicator_save(
        programme=programme, actor=owner_liaison, name="Officers certified", unit="officers", baseline=10, target=60
    )
    today = timezone.localdate()
    for days, value in ((90, 20), (30, 35)):
        programmes.measurement_add(
            indicator=indicator, actor=owner_liaison, measured_on=today - datetime.timedelta(days=days), value=value
        )
    with pytest.raises(ValidationError):
        programmes.measurement_add(
            indicator=indicator, actor=owner_liaison, measured_on=today + datetime.timedelta(days=1), value=1
        )
    page = (
        verified_client(partner_officer).get(reverse("training:programme_detail", args=[programme.pk])).content.decode()
    )
    assert 'class="series"' in page and page.count('class="point"') == 2
    assert "50 % of the way to the target" in page


def test_outsiders_get_404_on_programme_pages_and_api(programme, verified_client):
    from tests.factories import AgencyFactory, UserFactory

    german = UserFactory(
        username="de.liaison",
        is_liaison=True,
        agency=AgencyFactory(code="DE-BPOL", country=Country.objects.get(pk="DE")),
    )
    client = verified_client(german)
    for name in ("programme_detail", "programme_edit", "spending_add", "course_create", "indicator_add"):
        assert client.get(reverse(f"training:{name}", args=[programme.pk])).status_code == 404, name
    assert client.get(reverse("api_programme_detail", args=[programme.pk])).status_code == 404
    assert client.get(reverse("api_programme_list")).json()["count"] == 0
