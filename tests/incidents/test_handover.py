"""Handover to a neighbouring country's agency: 24 hours to accept or decline."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Handover, Incident
from portal.models import Notification
from tests.helpers import audit_log


@pytest.fixture
def shared(lt_pl_in_force, make_incident):
    return make_incident("validated")


def test_request_and_accept(shared, supervisor, partner_agency, partner_supervisor):
    handover = services.handover_request(
        incident=shared, to_agency=partner_agency, actor=supervisor, reason="The lorry continued into Poland"
    )
    assert handover.deadline - handover.requested_at == timezone.timedelta(hours=24)
    assert Notification.objects.filter(user=partner_supervisor).exists()
    services.handover_answer(handover=handover, actor=partner_supervisor, accept=True)
    assert Incident.objects.get(pk=shared.pk).handled_by == partner_agency
    assert audit_log().filter(action="incident.handover_accepted").exists()


def test_decline_needs_a_reason(shared, supervisor, partner_agency, partner_supervisor):
    handover = services.handover_request(incident=shared, to_agency=partner_agency, actor=supervisor, reason="r")
    with pytest.raises(ValidationError, match="why you decline"):
        services.handover_answer(handover=handover, actor=partner_supervisor, accept=False)
    services.handover_answer(handover=handover, actor=partner_supervisor, accept=False, answer="Not our sector")
    handover.refresh_from_db()
    assert handover.status == "declined"


def test_answer_after_24_hours_is_refused(shared, supervisor, partner_agency, partner_supervisor):
    handover = services.handover_request(incident=shared, to_agency=partner_agency, actor=supervisor, reason="r")
    later = handover.requested_at + timezone.timedelta(hours=24, minutes=1)
    with pytest.raises(ValidationError, match="24 hours"):
        services.handover_answer(handover=handover, actor=partner_supervisor, accept=True, now=later)
    handover.refresh_from_db()
    assert handover.status == "expired"
    assert Incident.objects.get(pk=shared.pk).handled_by is None


def test_only_to_a_country_that_receives_it(make_incident, supervisor, outsider_agency, lt_pl_in_force):
    incident = make_incident("validated")
    with pytest.raises(ValidationError, match="does not receive"):
        services.handover_request(incident=incident, to_agency=outsider_agency, actor=supervisor, reason="r")
    assert Handover.objects.count() == 0


def test_only_supervisors_of_each_side(shared, officer, partner_agency, supervisor, partner_officer):
    with pytest.raises(PermissionDenied):
        services.handover_request(incident=shared, to_agency=partner_agency, actor=officer, reason="r")
    handover = services.handover_request(incident=shared, to_agency=partner_agency, actor=supervisor, reason="r")
    with pytest.raises(PermissionDenied):
        services.handover_answer(handover=handover, actor=partner_officer, accept=True)


def test_one_pending_handover_at_a_time(shared, supervisor, partner_agency):
    services.handover_request(incident=shared, to_agency=partner_agency, actor=supervisor, reason="r")
    with pytest.raises(ValidationError, match="already awaiting"):
        services.handover_request(incident=shared, to_agency=partner_agency, actor=supervisor, reason="r")


def test_page_shows_the_clock_and_the_answer_buttons(
    shared, supervisor, partner_agency, partner_supervisor, verified_client
):
    services.handover_request(incident=shared, to_agency=partner_agency, actor=supervisor, reason="Crossed over")
    body = verified_client(partner_supervisor).get(reverse("incidents:detail", args=[shared.pk])).content.decode()
    assert "left to answer" in body and "23 h" in body and "Accept" in body
