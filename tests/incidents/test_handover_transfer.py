"""An accepted handover moves responsibility: the receiving agency handles the incident, its
country sees all of it under the handover as legal basis (personal data included, whatever
becomes of the clause it first came under), it is in that agency's "handled by us" list, and
nothing of it reaches a third country."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from incidents import selectors, services
from incidents.models import Incident
from portal.models import APIScope, Country
from tests.conftest import lt_to_pl_clause

PERSON = "Jonas Jonaitis"


@pytest.fixture
def expiring(make_agreement, lithuania):
    """LT shares smuggling of goods with PL, without personal data, until the day after tomorrow."""
    return make_agreement(
        "in_force", expires_on=timezone.localdate() + datetime.timedelta(days=2), clause=lt_to_pl_clause(lithuania)
    )


@pytest.fixture
def lt_fi_in_force(make_agreement, lithuania, outsider_agency, outsider_liaison):
    """FI receives the same incidents from LT under its own agreement, without personal data."""
    return make_agreement(
        "in_force",
        partner=(outsider_agency, outsider_liaison),
        reference="LT-FI/1",
        clause=lt_to_pl_clause(lithuania, receiver=Country.objects.get(pk="FI")),
    )


@pytest.fixture
def incident(expiring, make_incident):
    return make_incident("validated", has_personal_data=True, person_name=PERSON, person_document_number="LT1234567")


def _hand_over(incident, supervisor, to_agency, partner_supervisor, accept=True):
    handover = services.handover_request(
        incident=incident, to_agency=to_agency, actor=supervisor, reason="The lorry drove on into Poland"
    )
    return services.handover_answer(
        handover=handover, actor=partner_supervisor, accept=accept, answer="" if accept else "Not ours"
    )


def _api(client, api_key, agency, path, **params):
    _record, raw = api_key(scopes=[APIScope.INCIDENTS_READ], agency=agency)
    return client.get(path, params, HTTP_AUTHORIZATION=f"Api-Key {raw}").json()


def test_before_acceptance_the_partner_sees_what_its_clause_allows(
    incident, supervisor, partner_agency, partner_officer
):
    services.handover_request(incident=incident, to_agency=partner_agency, actor=supervisor, reason="Crossed")
    seen = selectors.incident_get(partner_officer, incident.pk)
    assert seen.personal_data_withheld and seen.person_name == ""
    assert Incident.objects.get(pk=incident.pk).handled_by is None


def test_after_acceptance_the_handling_country_sees_all_of_it_under_the_handover(
    incident, supervisor, partner_agency, partner_supervisor, partner_officer, verified_client, client, api_key
):
    _hand_over(incident, supervisor, partner_agency, partner_supervisor)
    assert Incident.objects.get(pk=incident.pk).handled_by == partner_agency
    seen = selectors.incident_get(partner_officer, incident.pk)
    assert not seen.personal_data_withheld and seen.person_name == PERSON

    page = verified_client(partner_officer).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert PERSON in page and "LT1234567" in page
    assert "under the handover" in page and "Handled by" in page and "Personal data withheld" not in page

    detail = _api(client, api_key, partner_agency, f"/api/v1/incidents/{incident.pk}/")
    assert detail["person_name"] == PERSON and detail["personal_data_withheld"] is False


def test_the_handled_by_us_list_of_each_side(
    incident,
    make_incident,
    supervisor,
    partner_agency,
    partner_supervisor,
    partner_officer,
    officer,
    verified_client,
    client,
    api_key,
    owner_agency,
):
    other = make_incident("validated")
    _hand_over(incident, supervisor, partner_agency, partner_supervisor)
    rows = verified_client(partner_officer).get(reverse("incidents:list"), {"handled_by_us": "on"}).context["rows"]
    assert [row.pk for row in rows] == [incident.pk]
    everything = verified_client(partner_officer).get(reverse("incidents:list"))
    assert {row.pk for row in everything.context["rows"]} == {incident.pk, other.pk}
    assert "handled by us" in everything.content.decode()
    listed = _api(client, api_key, partner_agency, "/api/v1/incidents/", handled_by_us="true")
    assert [item["reference"] for item in listed["results"]] == [incident.reference]
    # The reporting agency no longer handles it.
    assert not verified_client(officer).get(reverse("incidents:list"), {"handled_by_us": "on"}).context["rows"]
    assert _api(client, api_key, owner_agency, "/api/v1/incidents/", handled_by_us="true")["results"] == []


def test_the_handover_outlives_the_agreement_with_no_task_run(
    incident,
    make_incident,
    supervisor,
    partner_agency,
    partner_supervisor,
    partner_officer,
    clock,
    django_capture_on_commit_callbacks,
):
    not_handed = make_incident("validated")
    _hand_over(incident, supervisor, partner_agency, partner_supervisor)
    clock.advance(days=3)  # the agreement has expired; no worker, no beat
    with django_capture_on_commit_callbacks(execute=False):
        visible = set(Incident.objects.visible_to(partner_officer).values_list("pk", flat=True))
    assert visible == {incident.pk}
    assert selectors.incident_get(partner_officer, incident.pk).person_name == PERSON
    assert not_handed.pk not in visible


def test_the_handover_outlives_a_termination(
    incident, expiring, supervisor, partner_agency, partner_supervisor, partner_officer, owner_liaison
):
    _hand_over(incident, supervisor, partner_agency, partner_supervisor)
    agreement_services.agreement_transition(
        agreement=expiring, to_status="suspended", actor=owner_liaison, reason="Review"
    )
    assert selectors.incident_get(partner_officer, incident.pk).person_name == PERSON


def test_a_declined_handover_changes_nothing(incident, supervisor, partner_agency, partner_supervisor, partner_officer):
    _hand_over(incident, supervisor, partner_agency, partner_supervisor, accept=False)
    assert Incident.objects.get(pk=incident.pk).handled_by is None
    assert selectors.incident_get(partner_officer, incident.pk).personal_data_withheld


def test_a_third_country_gains_nothing_from_a_handover_to_another(
    lt_fi_in_force,
    incident,
    supervisor,
    partner_agency,
    partner_supervisor,
    outsider_officer,
    verified_client,
):
    _hand_over(incident, supervisor, partner_agency, partner_supervisor)
    seen = selectors.incident_get(outsider_officer, incident.pk)  # under its own clause
    assert seen.personal_data_withheld and seen.person_name == ""
    page = verified_client(outsider_officer).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert PERSON not in page and "Handled by" not in page and partner_agency.name not in page
    assert not verified_client(outsider_officer).get(reverse("incidents:list"), {"handled_by_us": "on"}).context["rows"]


def test_a_country_without_any_clause_never_sees_a_handed_over_incident(
    incident,
    supervisor,
    partner_agency,
    partner_supervisor,
    outsider_officer,
    verified_client,
    client,
    api_key,
    outsider_agency,
):
    _hand_over(incident, supervisor, partner_agency, partner_supervisor)
    assert not Incident.objects.visible_to(outsider_officer).filter(pk=incident.pk).exists()
    assert verified_client(outsider_officer).get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
    assert _api(client, api_key, outsider_agency, "/api/v1/incidents/")["results"] == []
