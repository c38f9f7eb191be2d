"""The pull feed follows commit order: an alert whose transaction commits late, with a lower id
than alerts a partner has already polled past, is still given to that partner."""

import threading

import pytest
from django.db import connection, transaction

from alerts import feed
from alerts.models import Alert
from alerts.services import alert_create
from portal.models import Country
from tests.conftest import require


def poll(client, headers, after=None):
    params = {} if after is None else {"after": after}
    page = client.get("/api/v1/alerts/", params, **headers).json()
    return [item["id"] for item in page["results"]], page["next_after"]


@pytest.fixture
def partner_key(api_key, partner_agency):
    _key, raw = api_key(agency=partner_agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def test_alerts_are_numbered_once_in_order_and_served_by_their_number(
    lt_pl_in_force, make_incident, client, partner_key
):
    first, second = make_incident("validated"), make_incident("validated")
    ids, cursor = poll(client, partner_key)
    alerts = list(Alert.objects.filter(incident__in=[first, second]).order_by("id"))
    assert ids == [a.pk for a in alerts]
    assert [a.seq for a in Alert.objects.order_by("id")] == sorted(a.seq for a in Alert.objects.all())
    assert cursor == max(a.seq for a in Alert.objects.all())
    assert poll(client, partner_key, cursor) == ([], cursor), "nothing repeats"
    assert feed.sequence() == 0, "numbers are given once"


def test_an_alert_numbered_late_comes_after_the_cursor_whatever_its_id(
    lt_pl_in_force, make_incident, client, partner_key
):
    make_incident("validated")
    late = Alert.objects.get()
    Alert.objects.filter(pk=late.pk).update(seq=None)  # as if its transaction had not committed
    make_incident("validated")
    early = Alert.objects.exclude(pk=late.pk).get()
    Alert.objects.filter(pk=early.pk).update(seq=1)
    ids, cursor = poll(client, partner_key, 0)  # numbers `late` now, after `early`
    assert ids == [early.pk, late.pk] and late.pk < early.pk
    assert poll(client, partner_key, cursor) == ([], cursor)


def partner_agency_country():
    return Country.objects.get(pk="PL")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_held_open_is_not_skipped_by_a_poller_that_moved_on(
    lt_pl_in_force, make_incident, client, partner_key
):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    first = make_incident("validated")
    _ids, cursor = poll(client, partner_key)
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()
    held: dict[str, int] = {}

    def slow_update():
        # Another connection: it writes an Update of the first incident (taking the lower id)
        # and waits before it commits.
        try:
            with transaction.atomic():
                update = alert_create(
                    incident=first, country=partner_agency_country(), msg_type="Update", personal_data=False
                )
                held["id"] = update.pk
                inserted.set()
                release.wait(30)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_update)
    thread.start()
    assert inserted.wait(30)
    make_incident("validated")  # commits at once, with a higher id
    ids, cursor = poll(client, partner_key, cursor)
    assert len(ids) == 1 and ids[0] > held["id"], "only the committed alert is given"
    release.set()
    assert done.wait(30)
    thread.join()
    ids, cursor = poll(client, partner_key, cursor)
    assert ids == [held["id"]], "the late commit comes after the cursor the poller already holds"
