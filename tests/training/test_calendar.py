"""The calendar pages and the iCalendar feed, read back with the `icalendar` parser."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from training.services import lifecycle
from training.services.calendar import calendar_feed_issue


def feed_events(client, token):
    response = client.get(reverse("training:ical", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def feed(partner_officer):
    return calendar_feed_issue(user=partner_officer)


def test_feed_events_have_stable_uids_raised_sequence_and_cancellations(
    plan_patrol, feed, client, owner_liaison, settings
):
    patrol = plan_patrol()
    first = feed_events(client, feed)
    assert len(first) == 1
    uid, event = next(iter(first.items()))
    assert uid == f"patrol-{patrol.uid}@joint-operations-portal"
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert event["DTSTART"].dt == patrol.starts_at
    assert event["DTSTART"].to_ical().endswith(b"Z")
    assert str(event["STATUS"]) == "CONFIRMED"

    lifecycle.activity_transition(activity=patrol, to_status="cancelled", reason="Storm", actor=owner_liaison)
    second = feed_events(client, feed)
    assert set(second) == {uid}
    assert int(second[uid]["SEQUENCE"]) == 1
    assert str(second[uid]["STATUS"]) == "CANCELLED"


def test_times_are_correct_across_time_zones(plan_patrol, feed, client, settings):
    vilnius = zoneinfo.ZoneInfo("Europe/Vilnius")
    start = datetime.datetime(2027, 7, 1, 9, 0, tzinfo=vilnius)  # summer time, UTC+3
    plan_patrol(starts_at=start, ends_at=start + datetime.timedelta(hours=4), officers=[])
    event = next(iter(feed_events(client, feed).values()))
    assert event["DTSTART"].to_ical() == b"20270701T060000Z"
    assert event["DTEND"].to_ical() == b"20270701T100000Z"


def test_feed_lists_exercises_and_courses_too(plan_patrol, plan_exercise, feed, client):
    plan_patrol()
    plan_exercise()
    events = feed_events(client, feed)
    kinds = sorted(uid.split("-")[0] for uid in events)
    assert kinds == ["exercise", "patrol"]
    exercise = next(e for uid, e in events.items() if uid.startswith("exercise"))
    assert str(exercise["SUMMARY"]).startswith("[EXERCISE]")


def test_outsider_feed_stays_empty(plan_patrol, outsider_officer, client):
    plan_patrol()
    token = calendar_feed_issue(user=outsider_officer)
    assert feed_events(client, token) == {}


def test_revoked_or_replaced_address_stops_working(partner_officer, client, verified_client):
    old = calendar_feed_issue(user=partner_officer)
    new = calendar_feed_issue(user=partner_officer)
    assert client.get(reverse("training:ical", args=[old])).status_code == 404
    assert client.get(reverse("training:ical", args=[new])).status_code == 200
    page = verified_client(partner_officer)
    page.post(reverse("training:calendar_feed"), {"action": "revoke"})
    assert client.get(reverse("training:ical", args=[new])).status_code == 404


def test_a_deactivated_person_feed_stops_working(partner_officer, client):
    token = calendar_feed_issue(user=partner_officer)
    partner_officer.is_active = False
    partner_officer.save()
    assert client.get(reverse("training:ical", args=[token])).status_code == 404


def test_the_address_is_shown_once_and_only_a_hash_is_kept(partner_officer, verified_client):
    client = verified_client(partner_officer)
    page = client.post(reverse("training:calendar_feed"), {"action": "issue"}).content.decode()
    assert "/training/calendar/" in page and ".ics" in page
    token = page.split("/training/calendar/")[1].split(".ics")[0]
    assert partner_officer.calendar_feed.token_hash != token
    assert token not in client.get(reverse("training:calendar_feed")).content.decode()


def test_month_and_week_views_show_what_the_user_may_see(
    plan_patrol, verified_client, partner_officer, outsider_officer
):
    patrol = plan_patrol()
    day = patrol.starts_at.date().isoformat()
    client = verified_client(partner_officer)
    for view in ("month", "week"):
        page = client.get(reverse("training:calendar"), {"view": view, "date": day}).content.decode()
        assert "Night watch on the Neris" in page, view
    mine = client.get(reverse("training:calendar"), {"date": day, "mine": "1"}).content.decode()
    assert "Night watch on the Neris" in mine
    outsider = verified_client(outsider_officer).get(reverse("training:calendar"), {"date": day}).content.decode()
    assert "Night watch" not in outsider


def test_only_mine_hides_what_the_user_is_not_on(plan_patrol, verified_client, partner_supervisor, officer):
    patrol = plan_patrol(officers=[officer])
    client = verified_client(partner_supervisor)
    day = patrol.starts_at.date().isoformat()
    assert "Night watch" in client.get(reverse("training:calendar"), {"date": day}).content.decode()
    assert "Night watch" not in client.get(reverse("training:calendar"), {"date": day, "mine": "1"}).content.decode()


def test_bad_dates_fall_back_to_today(verified_client, officer):
    response = verified_client(officer).get(reverse("training:calendar"), {"date": "not-a-date", "view": "week"})
    assert response.status_code == 200
