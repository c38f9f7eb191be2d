"""The sharing rule at the moment of the read: with the clock moved and no task or worker run,
every path answers as if the tasks had run. Each test here failed before reads were decided by
the time of the read."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from agreements.models import Agreement
from alerts import delivery as alert_delivery
from alerts import services as alert_services
from alerts.models import Alert, AlertDelivery, DeliveryState, Subscription
from incidents import access, selectors, services, sharing
from incidents.models import Incident, ShareGrant
from portal.models import APIScope, Country
from tests.conftest import lt_to_pl_clause, make_verified
from tests.factories import AgencyFactory, UserFactory

SECRET = "Secret cigarettes under the floor"
PERSON = "Secret Person"


@pytest.fixture
def expiring(make_agreement, lithuania):
    """An LT-PL MoU in force until the day after tomorrow: smuggling of goods up to AMBER, with
    personal data, kept 30 days."""
    return make_agreement(
        "in_force",
        expires_on=timezone.localdate() + datetime.timedelta(days=2),
        clause=lt_to_pl_clause(lithuania, personal_data=True),
    )


@pytest.fixture
def shared_incident(make_incident, officer):
    incident = make_incident(
        "validated",
        description=SECRET,
        latitude=Decimal("54.540000"),
        longitude=Decimal("25.640000"),
        has_personal_data=True,
        person_name=PERSON,
    )
    services.comment_add(incident=incident, actor=officer, body="Secret remark of the owner")
    return incident


def partner_key(api_key, partner_agency):
    _record, key = api_key(
        scopes=[APIScope.INCIDENTS_READ, APIScope.ALERTS_READ, APIScope.ALERTS_ACK], agency=partner_agency
    )
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def every_path(client, incident, headers):
    """(path, body) of each read that could carry the incident: pages, exports, API, alerts."""
    pk = incident.pk
    paths = [
        "/",
        "/incidents/",
        f"/incidents/?q={incident.reference}",
        "/incidents/?category=smuggling_goods",
        "/incidents/map.geojson",
        "/incidents/map.geojson?bbox=25,54,26,55",
        "/incidents/export.csv",
        f"/incidents/{pk}/",
    ]
    api = [
        "/api/v1/incidents/",
        "/api/v1/incidents/?category=smuggling_goods",
        "/api/v1/incidents/?q=cigarettes",
        "/api/v1/incidents/?bbox=25,54,26,55",
        f"/api/v1/incidents/{pk}/",
        f"/api/v1/incidents/{pk}/comments/",
        f"/api/v1/incidents/{pk}/stix/",
        "/api/v1/alerts/?after=0",
    ]
    api += [f"/api/v1/alerts/{alert.pk}/cap.xml" for alert in Alert.objects.filter(incident=incident, country="PL")]
    answers = []
    for path in paths:
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        answers.append((path, response.status_code, body.decode()))
    for path in api:
        response = client.get(path, **headers)
        answers.append((path, response.status_code, response.content.decode()))
    return answers


def leaks(answers, *needles):
    return [(path, needle) for path, _status, body in answers for needle in needles if needle in body]


def test_an_expired_agreement_shares_nothing_the_moment_its_last_day_ends(
    expiring, shared_incident, partner_officer, client, api_key, partner_agency, clock
):
    make_verified(client, partner_officer)
    headers = partner_key(api_key, partner_agency)
    before = every_path(client, shared_incident, headers)
    # While the MoU is in force the partner reads it all, personal data included: the walk can fail.
    assert leaks(before, SECRET) and leaks(before, PERSON)
    clock.advance(days=3)  # past the expiry date; no daily task, no beat, no worker has run
    make_verified(client, partner_officer)  # the idle session ended meanwhile
    after = every_path(client, shared_incident, headers)
    assert leaks(after, SECRET, PERSON, shared_incident.reference.split("-")[-1] + "</") == []
    assert leaks(after, SECRET, PERSON, "Secret remark") == []
    statuses = {path: status for path, status, _body in after}
    assert statuses[f"/incidents/{shared_incident.pk}/"] == 404
    assert statuses[f"/api/v1/incidents/{shared_incident.pk}/"] == 404
    assert statuses[f"/api/v1/incidents/{shared_incident.pk}/stix/"] == 404
    assert selectors.incident_counts(partner_officer)["total"] == 0


def test_the_daily_task_afterwards_only_tidies_up(expiring, shared_incident, partner_officer, clock):
    clock.advance(days=3)
    seen = set(Incident.objects.visible_to(partner_officer).values_list("pk", flat=True))
    assert seen == set()
    agreement_services.agreements_run_daily()
    assert sharing.revoke_lapsed() == 0  # the expiry already revoked the grant in its transaction
    grant = shared_incident.grants.get()
    assert grant.end_reason == "agreement_ended"
    assert set(Incident.objects.visible_to(partner_officer).values_list("pk", flat=True)) == seen
    cancel = Alert.objects.get(incident=shared_incident, country="PL", msg_type="Cancel")
    assert cancel.payload == {"reference": shared_incident.reference, "reason": "agreement_ended"}


def test_a_share_ended_by_date_stays_ended_when_the_date_is_moved_later(
    expiring, shared_incident, partner_officer, clock
):
    """Whether or not the daily tidy-up ran in between, moving an ended agreement's expiry date
    later does not bring back the old share: the ledger records its end, and the incident comes
    back only as a new share, announced by a new Alert."""
    clock.advance(days=3)
    assert not Incident.objects.visible_to(partner_officer).exists()
    Agreement.objects.filter(pk=expiring.pk).update(expires_on=timezone.localdate() + datetime.timedelta(days=30))
    sharing.agreement_changed(expiring.pk)
    old, new = shared_incident.grants.order_by("id")
    assert old.revoked_at is not None and old.end_reason == "agreement_ended"
    assert new.revoked_at is None and new.granted_at == timezone.now()
    assert list(Alert.objects.filter(incident=shared_incident, country="PL").values_list("msg_type", flat=True)) == [
        "Alert",
        "Cancel",
        "Alert",
    ]
    assert Incident.objects.visible_to(partner_officer).exists()


def test_grants_made_before_their_end_was_recorded_get_it_from_the_migration(expiring, shared_incident):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("incidents.migrations.0011_share_grant_valid_until")
    grant = shared_incident.grants.get()
    expected = grant.valid_until
    assert expected == grant_end_of_day(expiring.expires_on)
    ShareGrant.objects.filter(pk=grant.pk).update(valid_until=None)
    migration.backfill(apps, None)
    grant.refresh_from_db()
    assert grant.valid_until == expected


def grant_end_of_day(day):
    from agreements.models import end_of_day

    return end_of_day(day)


def test_an_agreement_that_renews_itself_keeps_sharing_past_its_expiry_date(
    make_agreement, lithuania, make_incident, partner_officer, clock
):
    make_agreement(
        "in_force",
        expires_on=timezone.localdate() + datetime.timedelta(days=1),
        auto_renewal=True,
        renewal_months=12,
        clause={
            "provider": lithuania,
            "receiver": Country.objects.get(pk="PL"),
            "categories": ["smuggling_goods"],
            "max_marking": "AMBER",
            "retention_days": 30,
            "purpose": "p",
        },
    )
    incident = make_incident("validated")
    clock.advance(days=5)
    assert list(Incident.objects.visible_to(partner_officer).values_list("pk", flat=True)) == [incident.pk]


def test_suspension_ends_sharing_in_its_own_transaction_with_no_worker(
    lt_pl_in_force, make_incident, owner_liaison, partner_officer, django_capture_on_commit_callbacks
):
    incident = make_incident("validated")
    assert Incident.objects.visible_to(partner_officer).filter(pk=incident.pk).exists()
    # Nothing queued on commit runs: no worker.
    with django_capture_on_commit_callbacks(execute=False):
        agreement_services.agreement_transition(
            agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
        )
    assert not Incident.objects.visible_to(partner_officer).filter(pk=incident.pk).exists()
    assert Alert.objects.filter(incident=incident, country="PL", msg_type="Cancel").exists()


def test_a_suspension_answers_even_when_the_broker_is_down(
    lt_pl_in_force, make_incident, owner_liaison, verified_client, partner_officer, settings, monkeypatch
):
    from alerts import tasks as alert_tasks
    from incidents import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.resync_for_agreement, "delay", broker_down)
    monkeypatch.setattr(alert_tasks.send_alert, "delay", broker_down)
    make_incident("validated")
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("agreements:transition", args=[lt_pl_in_force.pk, "suspended"]), {"reason": "Review"}
    )
    assert response.status_code in {200, 302}
    lt_pl_in_force.refresh_from_db()
    assert lt_pl_in_force.status == "suspended"
    assert not Incident.objects.visible_to(partner_officer).exists()


def test_resuming_an_agreement_shares_again_through_the_outbox_even_if_the_broker_lost_the_message(
    lt_pl_in_force, make_incident, owner_liaison, partner_officer
):
    from incidents.models import SharingResync

    incident = make_incident("validated")
    agreement_services.agreement_transition(
        agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
    )
    agreement_services.agreement_transition(agreement=lt_pl_in_force, to_status="in_force", actor=owner_liaison)
    # The on-commit message never arrived (the test transaction never commits): the row waits.
    row = SharingResync.objects.filter(agreement=lt_pl_in_force, done_at__isnull=True).latest("id")
    assert not Incident.objects.visible_to(partner_officer).exists()
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert sharing.resync_sweep(now=later) >= 1
    row.refresh_from_db()
    assert row.done_at is not None
    assert list(Incident.objects.visible_to(partner_officer).values_list("pk", flat=True)) == [incident.pk]
    assert sharing.resync_sweep(now=later) == 0


def test_the_alert_feed_shows_only_a_tombstone_once_retention_ends(
    expiring, shared_incident, client, api_key, partner_agency, clock
):
    headers = partner_key(api_key, partner_agency)
    feed = client.get("/api/v1/alerts/?after=0", **headers).json()["results"]
    assert feed[0]["incident"]["description"] == SECRET and feed[0]["incident"]["person_name"] == PERSON
    expiring.expires_on = None
    expiring.save(update_fields=["expires_on"])  # only the retention (30 days) ends the share now
    sharing.sync_incident(shared_incident)
    clock.advance(days=31)
    feed = client.get("/api/v1/alerts/?after=0", **headers).json()["results"]
    assert [item["msg_type"] for item in feed] == ["Alert"]
    item = feed[0]
    assert item["incident"] is None and item["reason"] == "retention_ended"
    assert item["reference"] == shared_incident.reference
    text = json.dumps(feed)
    assert SECRET not in text and PERSON not in text
    cap = client.get(f"/api/v1/alerts/{item['id']}/cap.xml", **headers).content.decode()
    assert SECRET not in cap and "<circle>" not in cap and "<info>" not in cap
    # The tidy-up then sends the Cancel and scrubs the stored personal data.
    sharing.revoke_lapsed()
    stored = Alert.objects.get(pk=item["id"]).payload
    assert stored["person_name"] is None
    assert client.get("/api/v1/alerts/?after=0", **headers).json()["results"][-1]["msg_type"] == "Cancel"


def test_personal_data_ends_with_the_clause_that_allowed_it_even_when_another_share_continues(
    expiring, shared_incident, make_agreement, lithuania, partner_officer, client, api_key, partner_agency, clock
):
    # A second agreement keeps sharing for longer, without personal data.
    make_agreement(
        "in_force",
        clause={
            "provider": lithuania,
            "receiver": Country.objects.get(pk="PL"),
            "categories": ["smuggling_goods"],
            "max_marking": "AMBER",
            "retention_days": 90,
            "purpose": "p",
            "personal_data": False,
        },
    )
    sharing.sync_incident(shared_incident)
    assert selectors.incident_get(partner_officer, shared_incident.pk).person_name == PERSON
    clock.advance(days=3)
    seen = selectors.incident_get(partner_officer, shared_incident.pk)
    assert seen.description == SECRET and seen.person_name == "" and seen.personal_data_withheld
    headers = partner_key(api_key, partner_agency)
    assert PERSON not in client.get("/api/v1/alerts/?after=0", **headers).content.decode()
    assert PERSON not in client.get(f"/api/v1/incidents/{shared_incident.pk}/", **headers).content.decode()


@pytest.mark.parametrize("change", [{"marking": "RED"}, {"category": "trafficking"}])
def test_a_cancel_carries_no_content_to_the_country_that_lost_access(
    lt_pl_in_force, make_incident, supervisor, partner_agency, client, api_key, change
):
    from tests.helpers import Receiver

    receiver = Receiver(alert_services.new_secret())
    try:
        Subscription.objects.create(
            agency=partner_agency,
            name="Hook",
            channel="webhook",
            url=receiver.url,
            secrets=[alert_services.new_secret()],
        )
        Subscription.objects.create(agency=partner_agency, name="Desk", channel="email", emails=["desk@pl.example"])
        incident = make_incident("validated", latitude=Decimal("54.5"), longitude=Decimal("25.6"))
        services.incident_update(
            incident=incident, actor=supervisor, description="NEW RED TEXT", border_sector="Secret new place", **change
        )
        cancel = Alert.objects.get(incident=incident, country="PL", msg_type="Cancel")
        assert cancel.payload == {"reference": incident.reference, "reason": "not_shareable"}
        for delivery in AlertDelivery.objects.filter(state="pending").order_by("id"):
            alert_delivery.deliver(delivery.pk)
        headers = partner_key(api_key, partner_agency)
        feed = client.get("/api/v1/alerts/?after=0", **headers).content.decode()
        cap = client.get(f"/api/v1/alerts/{cancel.pk}/cap.xml", **headers).content.decode()
        pushed = json.dumps([body for _id, body in receiver.received])
        mailed = " ".join(f"{m.subject} {m.body}" for m in mail.outbox)
        assert "reason" in pushed and incident.reference in mailed
        for text in (feed, cap, pushed, mailed):
            assert "NEW RED TEXT" not in text and "Secret new place" not in text
            assert "trafficking" not in text and '"RED"' not in text and "TLP:RED" not in text
            assert "54.5" not in text
    finally:
        receiver.close()


def test_a_delivery_not_yet_sent_when_the_share_ends_is_cancelled(
    lt_pl_in_force, make_incident, partner_agency, owner_liaison
):
    from tests.helpers import Receiver

    receiver = Receiver(alert_services.new_secret())
    try:
        Subscription.objects.create(
            agency=partner_agency,
            name="Hook",
            channel="webhook",
            url=receiver.url,
            secrets=[alert_services.new_secret()],
        )
        incident = make_incident("validated")
        first = AlertDelivery.objects.get(alert__incident=incident, alert__msg_type="Alert")
        agreement_services.agreement_transition(
            agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
        )
        first.refresh_from_db()
        assert first.state == DeliveryState.CANCELLED
        for delivery in AlertDelivery.objects.filter(state="pending"):
            alert_delivery.deliver(delivery.pk)
        bodies = [body["data"] for _id, body in receiver.received]
        assert [body["msg_type"] for body in bodies] == ["Cancel"]
        assert bodies[0]["incident"] is None and bodies[0]["reason"] == "agreement_ended"
    finally:
        receiver.close()


def test_a_queued_delivery_sends_nothing_once_the_share_has_ended_in_time(
    lt_pl_in_force, make_incident, partner_agency, clock
):
    Subscription.objects.create(agency=partner_agency, name="Desk", channel="email", emails=["desk@pl.example"])
    incident = make_incident("validated")
    delivery = AlertDelivery.objects.get(alert__incident=incident)
    clock.advance(days=31)  # the retention ended; no task ran
    assert alert_delivery.deliver(delivery.pk) == DeliveryState.CANCELLED
    assert mail.outbox == []


def test_a_closed_incident_stays_with_partners_until_their_retention_ends(
    lt_pl_in_force, make_incident, supervisor, partner_officer, clock
):
    incident = make_incident("validated")
    services.incident_close(incident=incident, actor=supervisor)
    sharing.sync_incident(incident)  # any resync keeps the same rule
    sharing.revoke_lapsed()
    assert Incident.objects.visible_to(partner_officer).filter(pk=incident.pk).exists()
    clock.advance(days=31)
    assert not Incident.objects.visible_to(partner_officer).filter(pk=incident.pk).exists()
    sharing.revoke_lapsed()
    assert incident.grants.get().end_reason == "retention_ended"


def test_a_partners_comment_is_seen_by_the_owner_and_its_own_country_only(
    lt_pl_in_force, make_agreement, make_incident, lithuania, officer, partner_officer, verified_client, client
):
    latvia = AgencyFactory(code="LV-VRS", name="Latvian Border Guard", country=Country.objects.get(pk="LV"))
    latvian = UserFactory(username="lv.officer", agency=latvia)
    liaison = UserFactory(username="lv.liaison", agency=latvia, is_officer=False, is_liaison=True)
    agreement = agreement_services.agreement_create(
        parties=[(officer.agency, []), (latvia, [liaison])],
        actor=UserFactory(username="lt.liaison2", agency=officer.agency, is_officer=False, is_liaison=True),
        kind="mou",
        reference="LT-LV/1",
        title="Cooperation",
    )
    lt_liaison = agreement.created_by
    agreement_services.clause_save(
        agreement=agreement,
        actor=lt_liaison,
        provider=lithuania,
        receiver=latvia.country,
        categories=["smuggling_goods"],
        max_marking="AMBER",
        retention_days=30,
        purpose="p",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import PDF_BYTES

    agreement_services.agreement_transition(agreement=agreement, to_status="negotiation", actor=lt_liaison)
    agreement_services.agreement_transition(
        agreement=agreement,
        to_status="signed",
        actor=lt_liaison,
        signed_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    agreement_services.document_upload(
        agreement=agreement, actor=lt_liaison, title="Signed text", upload=SimpleUploadedFile("s.pdf", PDF_BYTES)
    )
    agreement_services.agreement_transition(
        agreement=agreement,
        to_status="in_force",
        actor=lt_liaison,
        effective_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    incident = make_incident("validated")
    assert Incident.objects.visible_to(latvian).filter(pk=incident.pk).exists()
    services.comment_add(incident=incident, actor=partner_officer, body="Polish note for Lithuania")
    services.comment_add(incident=incident, actor=officer, body="Owner answer")
    latvian_page = verified_client(latvian).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Owner answer" in latvian_page and "Polish note" not in latvian_page
    client.logout()
    owner_page = verified_client(officer).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Polish note for Lithuania" in owner_page
    client.logout()
    polish_page = verified_client(partner_officer).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Polish note for Lithuania" in polish_page and "Owner answer" in polish_page
    assert [c.body for c in access.comments_seen_by(incident, "LV")] == ["Owner answer"]


def test_the_owner_previews_an_incident_as_a_partner_receives_it(
    expiring, shared_incident, officer, partner_officer, verified_client, api_key, clock
):
    client = verified_client(officer)
    page = client.get(f"/incidents/{shared_incident.pk}/preview/?country=PL").content.decode()
    assert SECRET in page and "sees this incident now" in page
    _record, key = api_key(scopes=[APIScope.INCIDENTS_READ])
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    preview = client.get(f"/api/v1/incidents/{shared_incident.pk}/preview/?country=PL", **headers).json()
    assert preview["visible"] and preview["personal_data"] and preview["incident"]["person_name"] == PERSON
    assert [a["msg_type"] for a in preview["alerts"]] == ["Alert"]
    clock.advance(days=3)
    preview = client.get(f"/api/v1/incidents/{shared_incident.pk}/preview/?country=PL", **headers).json()
    assert preview == {**preview, "visible": False, "incident": None}
    assert preview["alerts"][0]["incident"] is None and preview["alerts"][0]["reason"] == "agreement_ended"
    # The preview matches what the partner itself gets.
    assert not Incident.objects.visible_to(partner_officer).exists()
    bad = client.get(f"/api/v1/incidents/{shared_incident.pk}/preview/?country=ZZ", **headers)
    assert bad.status_code == 400
    client.logout()
    partner = verified_client(partner_officer)
    assert partner.get(f"/incidents/{shared_incident.pk}/preview/?country=PL").status_code == 404


def test_the_guardian_permission_is_the_gate_and_ends_with_the_share(expiring, shared_incident, partner_officer, clock):
    from incidents.models import IncidentGroupObjectPermission

    row = IncidentGroupObjectPermission.objects.get(content_object=shared_incident, country_id="PL")
    assert row.group_id == Country.objects.get(pk="PL").group_id and row.permission.codename == "view_incident"
    assert partner_officer.has_perm("incidents.view_incident", shared_incident)
    clock.advance(days=3)
    # The row is still there (no task ran), and the check already says no.
    assert IncidentGroupObjectPermission.objects.filter(pk=row.pk).exists()
    assert not partner_officer.has_perm("incidents.view_incident", shared_incident)
