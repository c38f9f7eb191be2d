"""The daily task: expiry and notice warnings once each, renewals and expiries; the clock is moved."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from agreements.models import AgreementEvent
from agreements.services import agreements_run_daily
from portal.models import Notification
from tests.helpers import audit_log

TODAY = timezone.localdate()


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(today):
        with django_capture_on_commit_callbacks(execute=True):
            return agreements_run_daily(today=today)

    return _run


@pytest.fixture
def expiring(make_agreement):
    return make_agreement("in_force", expires_on=TODAY + days(200))


@pytest.fixture
def with_notice(make_agreement):
    return make_agreement("in_force", expires_on=TODAY + days(200), notice_period_days=45)


def titles(user):
    return sorted(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_warnings_90_30_7_days_before_expiry_each_once(expiring, run, owner_liaison, partner_liaison):
    expiry = expiring.expires_on
    assert run(expiry - days(100)) == 0
    assert run(expiry - days(90)) == 1
    assert run(expiry - days(90)) == 0, "running twice the same day sends nothing more"
    assert run(expiry - days(89)) == 0
    assert len(titles(owner_liaison)) == len(titles(partner_liaison)) == 1
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {owner_liaison.email, partner_liaison.email}
    assert run(expiry - days(30)) == 1
    run(expiry - days(30))
    assert run(expiry - days(7)) == 1
    assert run(expiry - days(3)) == 0
    assert [t.split(" expires in ")[1] for t in titles(owner_liaison) if " expires in " in t] == [
        "30 days",
        "7 days",
        "90 days",
    ]


def test_late_first_run_sends_only_the_current_warning(expiring, run, owner_liaison):
    run(expiring.expires_on - days(20))
    assert titles(owner_liaison) == [f"{expiring.reference} expires in 20 days"]
    run(expiring.expires_on - days(19))
    assert len(titles(owner_liaison)) == 1


def test_notice_period_end_warned_once(with_notice, run, owner_liaison):
    deadline = with_notice.expires_on - days(45)
    run(deadline - days(1))
    assert not any("Notice period" in t for t in titles(owner_liaison))
    run(deadline)
    run(deadline)
    run(deadline + days(1))
    assert sum("Notice period" in t for t in titles(owner_liaison)) == 1


def test_past_expiry_becomes_expired_once(expiring, run):
    run(expiring.expires_on + days(1))
    expiring.refresh_from_db()
    assert expiring.status == "expired"
    assert AgreementEvent.objects.filter(agreement=expiring, to_status="expired").count() == 1
    assert audit_log().filter(action="agreement.status_changed", details__to="expired").count() == 1
    run(expiring.expires_on + days(2))
    assert AgreementEvent.objects.filter(agreement=expiring, to_status="expired").count() == 1


def test_suspended_agreement_expires_too(expiring, run, owner_liaison):
    from agreements import services

    services.agreement_transition(agreement=expiring, to_status="suspended", actor=owner_liaison, reason="r")
    run(expiring.expires_on + days(1))
    expiring.refresh_from_db()
    assert expiring.status == "expired"


def test_automatic_renewal_extends_instead_of_expiring(make_agreement, run):
    agreement = make_agreement("in_force", expires_on=TODAY + days(10), auto_renewal=True, renewal_months=12)
    old_expiry = agreement.expires_on
    run(old_expiry + days(1))
    agreement.refresh_from_db()
    assert agreement.status == "in_force"
    assert agreement.expires_on > old_expiry + days(300)
    assert agreement.events.filter(kind="renewal").count() == 1
    assert audit_log().filter(action="agreement.renewed").exists()
    run(old_expiry + days(1))
    assert agreement.events.filter(kind="renewal").count() == 1


def test_drafts_and_open_ended_agreements_are_ignored(make_agreement, run):
    make_agreement("draft", expires_on=TODAY + days(5))
    make_agreement("in_force")
    assert run(TODAY + days(6)) == 0
    assert Notification.objects.count() == 0


def test_inactive_liaison_officer_gets_nothing(expiring, run, owner_liaison, partner_liaison):
    owner_liaison.is_active = False
    owner_liaison.save()
    run(expiring.expires_on - days(7))
    assert titles(owner_liaison) == []
    assert len(titles(partner_liaison)) == 1


def test_email_of_a_notification_is_sent_once(owner_liaison):
    from portal import services

    (note,) = services.notify(users=[owner_liaison], title="t", body="b", url="/agreements/")
    assert services.notification_send_email(notification=note) is True
    note.refresh_from_db()
    assert services.notification_send_email(notification=note) is False
    assert len(mail.outbox) == 1


def test_sweeper_sends_what_was_never_sent(owner_liaison):
    from portal.tasks import sweep_unsent_notifications

    note = Notification.objects.create(user=owner_liaison, title="Lost", body="b")
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    sweep_unsent_notifications()
    sweep_unsent_notifications()
    assert [m.subject for m in mail.outbox] == ["[Joint Operations Portal] Lost"]


def test_daily_task_is_scheduled(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["agreements-daily"]["task"] == "agreements.tasks.run_daily"
