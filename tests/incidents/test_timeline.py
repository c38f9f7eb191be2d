"""The timeline of an incident's life: every entry for the owner; for a partner, the life of the
incident, its own country's shares and the handovers to its own country, and nothing else."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from incidents import selectors, services
from incidents.timeline import incident_timeline
from portal.models import Country
from tests.conftest import PDF_BYTES
from tests.factories import AgencyFactory, UserFactory

HANDOVER_REASON = "The lorry continued into Poland"
CLOSING_REASON = "Handled by the Polish side"


@pytest.fixture
def latvia_agency(db):
    return AgencyFactory(code="LV-VRS", name="Latvian State Border Guard", country=Country.objects.get(pk="LV"))


@pytest.fixture
def latvian(latvia_agency):
    return UserFactory(username="lv.officer", agency=latvia_agency)


@pytest.fixture
def lt_lv_in_force(owner_agency, latvia_agency, owner_liaison, lithuania):
    """A third country that receives LT's smuggling incidents under its own agreement."""
    agreement = agreement_services.agreement_create(
        parties=[(owner_agency, [owner_liaison]), (latvia_agency, [])],
        actor=owner_liaison,
        kind="mou",
        reference="LT-LV/7",
        title="Cooperation",
    )
    agreement_services.clause_save(
        agreement=agreement,
        actor=owner_liaison,
        provider=lithuania,
        receiver=latvia_agency.country,
        categories=["smuggling_goods"],
        max_marking="AMBER",
        retention_days=60,
        purpose="Risk analysis",
    )
    agreement_services.agreement_transition(agreement=agreement, to_status="negotiation", actor=owner_liaison)
    agreement_services.agreement_transition(
        agreement=agreement,
        to_status="signed",
        actor=owner_liaison,
        signed_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    agreement_services.document_upload(
        agreement=agreement, actor=owner_liaison, title="Signed text", upload=SimpleUploadedFile("s.pdf", PDF_BYTES)
    )
    return agreement_services.agreement_transition(
        agreement=agreement,
        to_status="in_force",
        actor=owner_liaison,
        effective_from=timezone.localdate() - datetime.timedelta(days=5),
    )


@pytest.fixture
def life(lt_pl_in_force, lt_lv_in_force, officer, supervisor, partner_agency, partner_supervisor, clock):
    """Filed, submitted, validated (and so shared with PL and LV), handed over to PL, accepted,
    closed; a few minutes between each step."""
    incident = services.incident_create(
        actor=officer,
        category="smuggling_goods",
        occurred_at=clock.now - datetime.timedelta(hours=2),
        description="Cigarettes hidden in a lorry",
        border_sector="Medininkai",
        marking="GREEN",
    )
    clock.advance(minutes=5)
    services.incident_submit(incident=incident, actor=officer)
    clock.advance(minutes=5)
    services.incident_validate(incident=incident, actor=supervisor)
    clock.advance(minutes=5)
    handover = services.handover_request(
        incident=incident, to_agency=partner_agency, actor=supervisor, reason=HANDOVER_REASON, now=clock.now
    )
    clock.advance(minutes=5)
    services.handover_answer(
        handover=handover, actor=partner_supervisor, accept=True, answer="We take it", now=clock.now
    )
    clock.advance(minutes=5)
    services.incident_close(incident=incident, actor=supervisor, reason=CLOSING_REASON)
    clock.advance(minutes=5)
    return incident


def timeline_of(user, incident):
    return incident_timeline(user, selectors.incident_get(user, incident.pk))


def texts(user, incident):
    return [entry.text for entry in timeline_of(user, incident)]


def until(incident, country):
    return timezone.localtime(incident.grants.get(country_id=country).expires_at).strftime("%Y-%m-%d")


def detail_page(verified_client, client, user, incident):
    client.logout()
    response = verified_client(user).get(reverse("incidents:detail", args=[incident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_owner_sees_the_whole_life_in_order(life, officer):
    entries = timeline_of(officer, life)
    kinds = [entry.kind for entry in entries]
    assert kinds == [
        "created",
        "submitted",
        "validated",
        "shared",
        "shared",
        "handover_requested",
        "handover_accepted",
        "closed",
    ]
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    shared = {entry.text for entry in entries if entry.kind == "shared"}
    assert shared == {
        f"Shared with Poland under LT-PL/1 until {until(life, 'PL')}.",
        f"Shared with Latvia under LT-LV/7 until {until(life, 'LV')}.",
    }
    first = entries[0]
    assert (first.actor, first.agency_code, first.text) == ("lt.officer", "LT-SBGS", "Filed as a draft.")
    assert (entries[2].actor, entries[2].agency_code) == ("lt.supervisor", "LT-SBGS")
    accepted = entries[6]
    assert accepted.text == "Handed over to Polish Border Guard (PL-SG); accepted by pl.supervisor."
    assert (accepted.actor, accepted.agency_code) == ("pl.supervisor", "PL-SG")


def test_owner_page_shows_the_timeline(life, officer, verified_client, client):
    body = detail_page(verified_client, client, officer, life)
    timeline = body[body.index('<ol class="timeline">') :]
    timeline = timeline[: timeline.index("</ol>")]
    order = [
        "Filed as a draft.",
        "Submitted for validation.",
        "Validated.",
        f"Shared with Poland under LT-PL/1 until {until(life, 'PL')}.",
        "Handover to Polish Border Guard (PL-SG) requested",
        "Handed over to Polish Border Guard (PL-SG); accepted by pl.supervisor.",
        "Closed.",
    ]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Latvia under LT-LV/7" in timeline


def test_partner_sees_the_life_its_own_share_and_the_handover(life, partner_officer, verified_client, client):
    seen = texts(partner_officer, life)
    assert seen[:3] == ["Filed as a draft.", "Submitted for validation.", "Validated."]
    assert f"Shared with Poland under LT-PL/1 until {until(life, 'PL')}." in seen
    assert "Handed over to Polish Border Guard (PL-SG); accepted by pl.supervisor." in seen
    assert any(text.startswith("Handover to Polish Border Guard (PL-SG) requested") for text in seen)
    assert seen[-1] == "Closed."
    assert not any("Latvia" in text or "LT-LV" in text for text in seen)
    body = detail_page(verified_client, client, partner_officer, life)
    assert f"Shared with Poland under LT-PL/1 until {until(life, 'PL')}." in body
    assert "accepted by pl.supervisor." in body
    assert "Latvia" not in body and "LT-LV" not in body and "LV-VRS" not in body


def test_third_country_sees_its_own_share_but_never_polands_nor_the_handover(life, latvian, verified_client, client):
    seen = timeline_of(latvian, life)
    assert [entry.kind for entry in seen] == ["created", "submitted", "validated", "shared", "closed"]
    assert seen[3].text == f"Shared with Latvia under LT-LV/7 until {until(life, 'LV')}."
    body = detail_page(verified_client, client, latvian, life)
    assert f"Shared with Latvia under LT-LV/7 until {until(life, 'LV')}." in body
    for secret in ("Poland", "LT-PL/", "PL-SG", "Polish Border Guard", "pl.supervisor", "Handover", "Handed over"):
        assert secret not in body, secret


def test_both_sides_see_the_accepted_handover(life, supervisor, partner_supervisor, verified_client, client):
    accepted = "Handed over to Polish Border Guard (PL-SG); accepted by pl.supervisor."
    assert accepted in detail_page(verified_client, client, supervisor, life)
    assert accepted in detail_page(verified_client, client, partner_supervisor, life)


def test_no_free_text_comments_or_reads(life, officer, partner_officer, latvian, verified_client, client):
    services.comment_add(incident=life, actor=partner_officer, body="Polish note for Lithuania")
    detail_page(verified_client, client, partner_officer, life)  # a partner's read
    detail_page(verified_client, client, latvian, life)
    for user in (officer, partner_officer, latvian):
        seen = " ".join(texts(user, life))
        for free_text in (HANDOVER_REASON, CLOSING_REASON, "We take it", "Polish note", "Cigarettes"):
            assert free_text not in seen
    kinds = {entry.kind for entry in timeline_of(officer, life)}
    assert not kinds & {"viewed", "listed", "exported", "commented"}


def test_a_share_that_ended_is_seen_by_its_own_country_only(life, officer, partner_officer, latvian, clock):
    from incidents import sharing

    clock.advance(days=31)  # PL's 30 days are over, LV's 60 are not
    sharing.revoke_lapsed()
    ended = "Share with Poland under LT-PL/1 ended: The retention period set by the clause ended."
    assert ended in texts(officer, life)
    assert not any("Poland" in text for text in texts(latvian, life))
    owner_entry = next(entry for entry in timeline_of(officer, life) if entry.kind == "share_ended")
    assert owner_entry.at == life.grants.get(country_id="PL").expires_at  # when it ended, not when tidied


def test_refusals_and_personal_fields_only_for_those_who_may_know(
    lt_pl_in_force, officer, supervisor, partner_officer, clock
):
    incident = services.incident_create(
        actor=officer,
        category="smuggling_goods",
        occurred_at=clock.now - datetime.timedelta(hours=1),
        description="Lorry",
        border_sector="Medininkai",
        marking="GREEN",
        has_personal_data=True,
        person_name="Jonas Jonaitis",
    )
    services.incident_submit(incident=incident, actor=officer)
    clock.advance(minutes=1)
    services.incident_validate_bulk(incidents=[incident], actor=officer)  # the reporter may not
    clock.advance(minutes=1)
    services.incident_validate(incident=incident, actor=supervisor)
    clock.advance(minutes=1)
    services.incident_update(incident=incident, actor=supervisor, person_name="Petras Petraitis")
    clock.advance(minutes=1)
    services.incident_update(incident=incident, actor=supervisor, description="Lorry with cigarettes")
    own = texts(officer, incident)
    assert any(text.startswith("Validation refused") for text in own)
    assert "Updated: name of the person." in own and "Updated: description." in own
    partner = texts(partner_officer, incident)  # its clause withholds personal data
    assert not any("refused" in text for text in partner)
    assert "Updated: description." in partner
    assert not any("name of the person" in text for text in partner)
    assert "Jonas" not in " ".join(own + partner) and "Petras" not in " ".join(own + partner)


def test_declined_handover_shows_no_answer(
    lt_pl_in_force, make_incident, supervisor, partner_agency, partner_supervisor, partner_officer
):
    incident = make_incident("validated")
    handover = services.handover_request(incident=incident, to_agency=partner_agency, actor=supervisor, reason="r")
    services.handover_answer(handover=handover, actor=partner_supervisor, accept=False, answer="Not our sector")
    seen = texts(partner_officer, incident)
    assert "Handover to Polish Border Guard (PL-SG) declined by pl.supervisor." in seen
    assert "Not our sector" not in " ".join(seen)


def test_queries_do_not_grow_with_the_entries(
    lt_pl_in_force, lt_lv_in_force, make_incident, officer, supervisor, partner_agency, partner_supervisor, clock
):
    incident = make_incident("validated")

    def count():
        seen = selectors.incident_get(officer, incident.pk)
        with CaptureQueriesContext(connection) as queries:
            entries = incident_timeline(officer, seen)
        return len(queries), len(entries)

    before, few = count()
    for n in range(3):
        clock.advance(minutes=1)
        services.incident_update(incident=incident, actor=supervisor, description=f"Description {n}")
        handover = services.handover_request(
            incident=incident, to_agency=partner_agency, actor=supervisor, reason="r", now=clock.now
        )
        services.handover_answer(handover=handover, actor=partner_supervisor, accept=False, answer="no", now=clock.now)
    after, many = count()
    assert many == few + 9
    assert after == before
