"""Live updates: the poll answers 304 while nothing changed for the reader, sends what changed
through the gate, and tells a country nothing about incidents it may not see."""

import pytest
from django.test import Client
from django.urls import reverse

from incidents import live, services
from incidents.models import IncidentChange
from portal.middleware import SessionIdleMiddleware
from portal.services import notify
from tests.conftest import lt_to_pl_clause, make_verified

POLL = reverse("incidents:live")


@pytest.fixture
def people(officer, partner_officer, outsider_officer):
    """A signed-in browser for each persona: the owner's country, a partner, a country without a clause."""
    return {
        name: make_verified(Client(), user)
        for name, user in [
            ("owner", officer),
            ("partner", partner_officer),
            ("outsider", outsider_officer),
        ]
    }


class Page:
    """A live page as the browser runs it: a cursor and the ETag of its last answer."""

    def __init__(self, client, query=""):
        self.client, self.query = client, query
        first = self.client.get(f"{POLL}?{query}")
        assert first.status_code == 200
        self.cursor, self.etag = first.json()["cursor"], first["ETag"]

    def poll(self):
        separator = "&" if self.query else ""
        response = self.client.get(f"{POLL}?{self.query}{separator}cursor={self.cursor}", HTTP_IF_NONE_MATCH=self.etag)
        assert response["Cache-Control"] == "private, no-store"
        if response.status_code == 200:
            self.cursor, self.etag = response.json()["cursor"], response["ETag"]
        return response


def references(response):
    return [item["reference"] for item in response.json()["items"]]


def test_poll_answers_304_while_nothing_changed(lt_pl_in_force, people):
    page = Page(people["partner"])
    response = page.poll()
    assert response.status_code == 304
    assert response.content == b""
    assert page.poll().status_code == 304


def test_a_share_reaches_the_partner_and_nothing_reaches_the_outsider(lt_pl_in_force, make_incident, people):
    pages = {name: Page(client) for name, client in people.items()}
    incident = make_incident("validated", latitude="54.540000", longitude="25.640000")

    partner = pages["partner"].poll()
    assert partner.status_code == 200
    (item,) = partner.json()["items"]
    assert item["reference"] == incident.reference
    assert item["new"] is True and item["own"] is False and item["country"] == "LT"
    assert item["latitude"] == pytest.approx(54.54)
    assert "description" not in item and "person_name" not in item
    assert references(pages["owner"].poll()) == [incident.reference]
    # Not even "something changed": the outsider's answer stays the same.
    assert pages["outsider"].poll().status_code == 304
    # And from the very start of the log, nothing of LT's reaches it.
    start = people["outsider"].get(f"{POLL}?cursor=0.0").json()
    assert start["items"] == [] and start["gone"] == []
    assert pages["partner"].poll().status_code == 304


def test_a_draft_is_seen_live_by_the_owner_only(lt_pl_in_force, make_incident, people):
    pages = {name: Page(client) for name, client in people.items()}
    incident = make_incident("draft")
    assert references(pages["owner"].poll()) == [incident.reference]
    assert pages["partner"].poll().status_code == 304
    services.incident_submit(incident=incident, actor=incident.reporter)
    assert references(pages["owner"].poll()) == [incident.reference]
    assert pages["partner"].poll().status_code == 304
    assert pages["outsider"].poll().status_code == 304


def test_a_share_that_ended_in_time_sends_no_content(
    make_agreement, lithuania, make_incident, partner_officer, people, clock
):
    make_agreement("in_force", clause=lt_to_pl_clause(lithuania, retention_days=30))
    page = Page(people["partner"])
    incident = make_incident("validated")
    assert references(page.poll()) == [incident.reference]

    clock.advance(days=31)  # the retention ended; no task has run, no row was written
    assert page.poll().status_code == 401  # and the idle session ended long ago
    page.client = people["partner"] = make_verified(Client(), partner_officer)  # the same page, signed in again
    ended = page.poll()
    assert ended.status_code == 200
    assert ended.json()["items"] == []
    assert ended.json()["gone"] == [incident.pk]
    # A page that asks from the start of the log gets no content either.
    again = people["partner"].get(f"{POLL}?cursor=0.0").json()
    assert again["items"] == [] and incident.pk in again["gone"]
    assert page.poll().status_code == 304


def test_the_page_filters_apply_to_what_the_poll_sends(lt_pl_in_force, make_incident, people):
    page = Page(people["partner"], "category=document_fraud")
    incident = make_incident("validated")
    answer = page.poll().json()
    assert answer["items"] == [] and answer["gone"] == [incident.pk]


def test_the_notification_count_follows_without_a_reload(lt_pl_in_force, partner_officer, people):
    page = Page(people["partner"])
    notify(users=[partner_officer], title="Handover requested")
    answer = page.poll()
    assert answer.status_code == 200 and answer.json()["unread_notifications"] == 1
    people["partner"].get(reverse("notifications"))  # opening the page reads them
    assert page.poll().json()["unread_notifications"] == 0
    assert page.poll().status_code == 304


def test_seen_clears_the_new_marks_and_never_moves_back(lt_pl_in_force, make_incident, people):
    page = Page(people["partner"])
    incident = make_incident("validated")
    (item,) = page.poll().json()["items"]
    assert item["new"] is True
    seen_url = reverse("incidents:live_seen")
    answer = people["partner"].post(seen_url, {"seq": item["seq"]}, HTTP_ACCEPT="application/json").json()
    assert answer["seen"] == item["seq"]
    assert page.poll().json()["seen"] == item["seq"]  # another device's mark changes the answer
    (again,) = people["partner"].get(f"{POLL}?cursor=0.0").json()["items"]
    assert again["reference"] == incident.reference and again["new"] is False
    assert people["partner"].post(seen_url, {"seq": 0}, HTTP_ACCEPT="application/json").json()["seen"] == item["seq"]
    beyond = people["partner"].post(seen_url, {"seq": 10_000}, HTTP_ACCEPT="application/json").json()
    assert beyond["seen"] == item["seq"]


def test_the_dashboard_and_the_list_mark_what_is_new(
    lt_pl_in_force, make_incident, people, django_capture_on_commit_callbacks
):
    people["partner"].get("/")  # the first look: what happened before it counts as seen
    with django_capture_on_commit_callbacks(execute=True):  # numbered at commit
        incident = make_incident("validated")
    dashboard = people["partner"].get("/").content.decode()
    assert incident.reference in dashboard and 'class="badge-new"' in dashboard
    listing = people["partner"].get(reverse("incidents:list")).content.decode()
    assert 'class="badge-new"' in listing
    people["partner"].post(reverse("incidents:live_seen"), {"next": "/"})
    assert 'class="badge-new"' not in people["partner"].get("/").content.decode()
    outsider = people["outsider"].get("/").content.decode()
    assert incident.reference not in outsider


def test_a_poll_does_not_keep_an_idle_session_alive(lt_pl_in_force, people):
    client = people["partner"]
    assert client.get(f"{POLL}?cursor=0.0").status_code == 200
    assert SessionIdleMiddleware.KEY not in client.session
    client.get("/")
    assert SessionIdleMiddleware.KEY in client.session


def test_a_poll_without_a_session_is_refused_not_redirected(db):
    response = Client().get(f"{POLL}?cursor=0.0")
    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_changes_are_numbered_per_country_without_gaps(lt_pl_in_force, make_incident):
    make_incident("validated")
    make_incident("validated")
    live.sequence()
    for country in ("LT", "PL"):
        numbers = sorted(IncidentChange.objects.filter(country_id=country).values_list("seq", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    assert not IncidentChange.objects.filter(country_id="FI").exists()
    assert live.sequence() == 0


def test_old_changes_are_pruned_and_a_page_that_far_behind_is_told(
    lt_pl_in_force, make_incident, partner_officer, people, clock
):
    page = Page(people["partner"])
    make_incident("validated")
    clock.advance(days=3)
    second = make_incident("validated")
    live.sequence()
    assert live.prune() >= 1
    page.client = make_verified(Client(), partner_officer)  # a laptop waking up after days
    answer = page.poll().json()
    assert answer["more"] is True
    assert [item["reference"] for item in answer["items"]] == [second.reference]


def test_the_dashboards_compiled_read_is_the_gates_own(make_agreement, lithuania, make_incident, clock):
    """The bare gate's statement, compiled once with stand-ins, reads exactly what the ORM's
    gate reads for each country at each moment: a share window that ends closes it too."""
    from incidents.gate import seen_by
    from incidents.models import Incident

    make_agreement("in_force", clause=lt_to_pl_clause(lithuania, retention_days=30))
    shared = make_incident("validated")
    draft = make_incident("draft")
    ids = [shared.pk, draft.pk, 10**9]
    assert live._gate_statement("default", len(ids)) is not None  # the compiled path, not the fallback

    def seen(country):
        now = live.timezone.now()
        rows = sorted(live.gate_rows(country, now, ids))
        assert rows == sorted(
            seen_by(Incident.objects.all(), country, now).filter(pk__in=ids).values_list(*live._FIELDS)
        )
        return [row[0] for row in rows]

    assert seen("LT") == [shared.pk, draft.pk]
    assert seen("PL") == [shared.pk]
    assert seen("FI") == []
    clock.advance(days=29)
    assert seen("PL") == [shared.pk]
    clock.advance(days=2)  # the retention ended; no task has run
    assert seen("PL") == []
    assert seen("LT") == [shared.pk, draft.pk]


def test_the_compiled_read_runs_on_the_readers_own_connection(make_agreement, lithuania, make_incident):
    """Web servers answer on many threads: a statement compiled on one thread is read on another
    with that thread's connection (Django refuses a connection shared between threads)."""
    import threading

    make_agreement("in_force", clause=lt_to_pl_clause(lithuania, retention_days=30))
    shared = make_incident("validated")
    ids = [shared.pk, 10**9]
    live._gate_statement.cache_clear()
    compiled = threading.Thread(target=live._gate_statement, args=("default", len(ids)))
    compiled.start()
    compiled.join()
    try:
        assert [row[0] for row in live.gate_rows("PL", live.timezone.now(), ids)] == [shared.pk]
    finally:
        live._gate_statement.cache_clear()
