"""The duty desk: a supervisor's validation queue, handovers with their clocks, overdue
acknowledgements, and the validation of several incidents at once with four eyes for each."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from incidents import services, sharing
from incidents.models import Incident, ShareGrant
from portal.models import Country
from tests.factories import AgencyFactory, UserFactory
from tests.helpers import audit_log, dashboard_panel

DESK = reverse("incidents:desk")
VALIDATE = reverse("incidents:desk_validate")


@pytest.fixture
def second_supervisor(owner_agency):
    return UserFactory(username="lt.sup2", agency=owner_agency, is_officer=False, is_supervisor=True)


def _submitted_by(reporter):
    """An incident of another agency than the supervisor's, awaiting validation there."""
    incident = services.incident_create(
        actor=reporter,
        category="smuggling_goods",
        occurred_at=timezone.now(),
        description="Filed elsewhere",
        border_sector="Elsewhere",
        marking="GREEN",
        severity="low",
    )
    return services.incident_submit(incident=incident, actor=reporter)


def _status(incident):
    return Incident.objects.get(pk=incident.pk).status


def test_only_supervisors_have_the_desk(verified_client, officer, supervisor):
    client = verified_client(officer)
    assert client.get(DESK).status_code == 403
    assert client.post(VALIDATE, {"incident": "1"}).status_code == 403
    assert DESK not in client.get(reverse("dashboard")).content.decode()
    assert dashboard_panel(client.get(reverse("dashboard")), "incidents/desk") is None
    client = verified_client(supervisor)
    assert DESK in client.get(reverse("dashboard")).content.decode()  # the navigation's link
    assert client.get(DESK).status_code == 200


def test_queue_holds_the_agency_submitted_incidents_oldest_first_with_waiting_time(
    make_incident, verified_client, supervisor, officer, clock
):
    older = make_incident("submitted", description="Older")
    clock.advance(hours=3)
    newer = make_incident("submitted", description="Newer")
    draft = make_incident("draft")
    validated = make_incident("validated")
    other_agency = AgencyFactory(code="LT-VSAT2", country=Country.objects.get(pk="LT"))
    colleague = UserFactory(username="lt.other", agency=other_agency)
    foreign = _submitted_by(colleague)
    clock.advance(minutes=30)
    response = verified_client(supervisor).get(DESK)
    page = response.context["page"]
    assert [incident.pk for incident in page.object_list] == [older.pk, newer.pk]
    assert page.object_list[0].waiting == timedelta(hours=3, minutes=30)
    body = response.content.decode()
    assert "3 h 30 min" in body and "0 h 30 min" in body
    for absent in (draft, validated, foreign):
        assert absent.reference not in body
    panel = dashboard_panel(verified_client(supervisor).get(reverse("dashboard")), "incidents/desk")
    assert panel.to_validate == 2


def test_queue_filters(make_incident, verified_client, supervisor):
    make_incident("submitted", severity="high", description="Tyres")
    low = make_incident("submitted", severity="low", description="Cigarettes")
    rows = verified_client(supervisor).get(DESK, {"severity": "low"}).context["page"].object_list
    assert [row.pk for row in rows] == [low.pk]
    response = verified_client(supervisor).get(DESK, {"q": "nothing like it"})
    assert "No submitted incident matches." in response.content.decode()


def test_empty_desk_says_so(verified_client, supervisor):
    body = verified_client(supervisor).get(DESK).content.decode()
    assert "Nothing awaits validation." in body
    assert "No handover awaits your agency" in body


def test_bulk_validation_asks_first_then_validates_each_with_four_eyes(
    lt_pl_in_force, make_incident, verified_client, supervisor, second_supervisor
):
    first = make_incident("submitted")
    second = make_incident("submitted")
    own = make_incident("submitted", reporter=second_supervisor)
    client = verified_client(second_supervisor)
    ids = [first.pk, second.pk, own.pk]
    confirm = client.post(VALIDATE, {"incident": ids})
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "You are about to validate 3 incidents" in body and "You reported 1 of them" in body
    assert {_status(i) for i in (first, second, own)} == {"submitted"}  # nothing changed yet
    assert not ShareGrant.objects.exists()

    result = client.post(VALIDATE, {"incident": ids, "confirm": "yes"})
    outcomes = {outcome.incident.pk: outcome for outcome in result.context["outcomes"]}
    assert outcomes[first.pk].validated and outcomes[second.pk].validated
    assert not outcomes[own.pk].validated and "cannot validate their own" in outcomes[own.pk].reason
    assert _status(first) == _status(second) == "shared" and _status(own) == "submitted"
    assert Incident.objects.get(pk=first.pk).validated_by == second_supervisor
    # Sharing followed for each one validated, as for one validated alone.
    assert set(ShareGrant.objects.values_list("incident_id", flat=True)) == {first.pk, second.pk}
    assert audit_log().filter(action="incident.validated").count() == 2
    refused = audit_log().get(action="incident.validation_refused")
    assert refused.object_id == str(own.pk) and refused.details["bulk"] is True
    text = result.content.decode()
    assert "2 incidents validated." in text and "1 not validated." in text


def test_bulk_refuses_foreign_and_bad_ids_and_changes_nothing(
    lt_pl_in_force, make_incident, verified_client, supervisor, partner_agency
):
    mine = make_incident("submitted")
    pl_officer = UserFactory(username="pl.off", agency=partner_agency)
    theirs = _submitted_by(pl_officer)
    client = verified_client(supervisor)
    for data in (
        {"incident": [mine.pk, theirs.pk]},
        {"incident": [mine.pk, theirs.pk], "confirm": "yes"},
        {"incident": ["x"]},
        {"incident": [mine.pk, 10**9], "confirm": "yes"},
        {},
    ):
        response = client.post(VALIDATE, data)
        assert response.status_code == 400, data
        assert "message-error" in response.content.decode()
    assert _status(mine) == "submitted" and _status(theirs) == "submitted"
    assert "Choose at least one incident" in client.post(VALIDATE, {}).content.decode()


def test_bulk_has_an_upper_bound(make_incident, verified_client, supervisor, settings):
    incidents = [make_incident("submitted") for _ in range(3)]
    import incidents.forms as forms

    forms_max = forms.BULK_VALIDATE_MAX
    try:
        forms.BULK_VALIDATE_MAX = 2
        response = verified_client(supervisor).post(VALIDATE, {"incident": [i.pk for i in incidents]})
    finally:
        forms.BULK_VALIDATE_MAX = forms_max
    assert response.status_code == 400 and "at most 2" in response.content.decode()


def test_confirmation_after_a_colleague_validated_one_reports_it(
    make_incident, verified_client, supervisor, second_supervisor
):
    first = make_incident("submitted")
    second = make_incident("submitted")
    client = verified_client(second_supervisor)
    client.post(VALIDATE, {"incident": [first.pk, second.pk]})
    services.incident_validate(incident=first, actor=supervisor)  # meanwhile, at another desk
    result = client.post(VALIDATE, {"incident": [first.pk, second.pk], "confirm": "yes"})
    outcomes = {outcome.incident.pk: outcome for outcome in result.context["outcomes"]}
    assert outcomes[second.pk].validated
    assert not outcomes[first.pk].validated and "Only a submitted incident" in outcomes[first.pk].reason
    assert Incident.objects.get(pk=first.pk).validated_by == supervisor


def test_an_error_in_one_leaves_it_unchanged_and_the_others_validated(
    lt_pl_in_force, make_incident, verified_client, supervisor, monkeypatch
):
    broken = make_incident("submitted")
    fine = make_incident("submitted")
    real = sharing.sync_incident

    def failing(incident, **kwargs):
        if incident.pk == broken.pk:
            raise RuntimeError("disk full")
        return real(incident, **kwargs)

    monkeypatch.setattr(sharing, "sync_incident", failing)
    result = verified_client(supervisor).post(VALIDATE, {"incident": [broken.pk, fine.pk], "confirm": "yes"})
    outcomes = {outcome.incident.pk: outcome for outcome in result.context["outcomes"]}
    assert "could not be validated because of an error" in outcomes[broken.pk].reason
    assert "disk full" not in result.content.decode()
    assert _status(broken) == "submitted"  # its transaction rolled back whole
    assert not ShareGrant.objects.filter(incident=broken).exists()
    assert _status(fine) == "shared" and ShareGrant.objects.filter(incident=fine).exists()


def test_handovers_both_ways_with_their_clocks(
    lt_pl_in_force, make_incident, verified_client, supervisor, partner_agency, partner_supervisor, clock
):
    incident = make_incident("validated")
    services.handover_request(incident=incident, to_agency=partner_agency, actor=supervisor, reason="Crossed")
    clock.advance(hours=20)
    theirs = verified_client(partner_supervisor).get(DESK)
    assert [h.incident_id for h in theirs.context["incoming"]] == [incident.pk]
    assert "4 h 00 min" in theirs.content.decode()
    mine = verified_client(supervisor).get(DESK)
    assert [h.incident_id for h in mine.context["outgoing"]] == [incident.pk]
    assert not mine.context["incoming"]
    clock.advance(hours=5)
    late = verified_client(partner_supervisor).get(DESK)
    assert late.context["counts"].incoming_overdue == 1
    assert "Time to answer has passed" in late.content.decode()
    panel = dashboard_panel(verified_client(partner_supervisor).get(reverse("dashboard")), "incidents/desk")
    assert panel.incoming == 1 and panel.incoming_overdue == 1


def test_a_third_country_sees_no_handover_and_no_queue_of_others(
    lt_pl_in_force, make_incident, verified_client, supervisor, partner_agency, outsider_supervisor
):
    incident = make_incident("validated")
    make_incident("submitted")
    services.handover_request(incident=incident, to_agency=partner_agency, actor=supervisor, reason="Crossed")
    response = verified_client(outsider_supervisor).get(DESK)
    counts = response.context["counts"]
    assert counts.total == 0
    assert incident.reference not in response.content.decode()


def test_overdue_acknowledgements_on_both_desks(
    lt_pl_in_force, make_incident, verified_client, supervisor, partner_supervisor, outsider_supervisor
):
    incident = make_incident("validated", severity="critical")
    Alert.objects.update(sent_at=timezone.now() - timedelta(minutes=31))
    theirs = verified_client(partner_supervisor).get(DESK)
    assert [a.incident_id for a in theirs.context["acks_to_give"]] == [incident.pk]
    mine = verified_client(supervisor).get(DESK)
    assert [a.incident_id for a in mine.context["acks_awaited"]] == [incident.pk]
    assert incident.reference in mine.content.decode()
    assert verified_client(outsider_supervisor).get(DESK).context["counts"].total == 0
