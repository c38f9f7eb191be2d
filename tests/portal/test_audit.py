"""The audit log is append-only and hash-chained; verify_audit_log finds the first broken entry."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from portal import audit
from portal.models import AppendOnlyError, AuditEntry, AuditQueueEntry
from tests.conftest import require


def write_entries(actor, count=5):
    """Record `count` entries and return them as chained in the log, oldest first."""
    for i in range(count):
        audit.record(f"test.event{i}", actor=actor, obj=actor, details={"n": i, "text": "é"})
    audit.integrate()  # the beat's step
    return list(AuditEntry.objects.order_by("-id")[:count])[::-1]


def raw_update(sql, params):
    """Tamper with a row below the ORM, as an intruder with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE portal_auditentry DISABLE TRIGGER portal_auditentry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditentry ENABLE TRIGGER portal_auditentry_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_intact_chain_verifies(officer, capsys):
    write_entries(officer)
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == AuditEntry.objects.count()
    call_command("verify_audit_log")
    assert "intact" in capsys.readouterr().out


def test_entries_link_to_their_predecessor(officer):
    first, second = write_entries(officer, 2)
    assert second.prev_hash == first.hash


def test_changed_content_is_reported_at_that_entry(officer):
    entries = write_entries(officer)
    target = entries[2]
    raw_update("UPDATE portal_auditentry SET action = %s WHERE id = %s", ["harmless", target.pk])
    report = audit.verify_chain()
    assert report.broken_at == target.pk
    with pytest.raises(CommandError, match=f"at entry {target.pk}"):
        call_command("verify_audit_log")


def test_changed_details_are_reported(officer):
    entries = write_entries(officer)
    raw_update("UPDATE portal_auditentry SET details = %s WHERE id = %s", ['{"n": 99}', entries[1].pk])
    assert audit.verify_chain().broken_at == entries[1].pk


def test_deleted_entry_is_reported_at_its_successor(officer):
    entries = write_entries(officer)
    raw_update("DELETE FROM portal_auditentry WHERE id = %s", [entries[2].pk])
    assert audit.verify_chain().broken_at == entries[3].pk


def test_deleted_last_entry_is_reported(officer):
    entries = write_entries(officer)
    raw_update("DELETE FROM portal_auditentry WHERE id = %s", [entries[-1].pk])
    report = audit.verify_chain()
    assert not report.ok
    assert "missing at the end" in report.reason


def test_orm_refuses_to_change_or_delete_entries(officer):
    entry = write_entries(officer, 1)[0]
    entry.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_database_refuses_updates_on_postgresql(officer):
    # The append-only trigger exists on PostgreSQL; SQLite relies on the model guard. In CI
    # (PORTAL_REQUIRE_SERVICES=1) a missing PostgreSQL fails rather than skips.
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    entry = write_entries(officer, 1)[0]
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE portal_auditentry SET action = 'x' WHERE id = %s", [entry.pk])


def test_entry_records_actor_agency_object_and_ip(officer, rf):
    request = rf.get("/", REMOTE_ADDR="192.0.2.7")
    entry = audit.record("user.viewed", actor=officer, obj=officer, request=request, details={"why": "test"})
    assert entry.actor == officer
    assert entry.agency == officer.agency
    assert entry.object_type == "portal.user"
    assert entry.object_id == str(officer.pk)
    assert entry.ip_address == "192.0.2.7"


def test_recording_queues_and_chaining_is_an_explicit_step(officer, django_assert_num_queries):
    with django_assert_num_queries(1):  # one INSERT, no lock on the chain
        queued = audit.record("user.viewed", actor=officer, obj=officer)
    assert AuditQueueEntry.objects.filter(pk=queued.pk).exists()
    assert not AuditEntry.objects.filter(action="user.viewed").exists(), "reading the log does not chain"
    assert audit.integrate() == 1
    newest = AuditEntry.objects.first()
    assert (newest.action, newest.timestamp, newest.actor_id) == ("user.viewed", queued.timestamp, officer.pk)
    assert not AuditQueueEntry.objects.exists()
    assert audit.verify_chain().ok


def test_reading_the_log_never_writes(officer):
    from django.test.utils import CaptureQueriesContext

    audit.record("user.viewed", actor=officer, obj=officer)
    with CaptureQueriesContext(connection) as queries:
        list(AuditEntry.objects.none())
        list(AuditEntry.objects.all())
        AuditEntry.objects.count()
        shown = audit.recent(10, agency_id=officer.agency_id)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert set(statements) <= {"SELECT"}, statements
    assert not any("FOR UPDATE" in q["sql"].upper() for q in queries.captured_queries)
    assert AuditQueueEntry.objects.count() == 1, "the entry is still queued"
    assert [(e.action, e.chained) for e in shown] == [("user.viewed", False)], "a queued entry is shown"


def test_recent_shows_an_entry_once_whether_queued_or_chained(officer):
    audit.record("user.viewed", actor=officer, obj=officer)
    audit.integrate()
    audit.record("user.updated", actor=officer, obj=officer)
    shown = audit.recent(10, agency_id=officer.agency_id)
    assert [(e.action, e.chained) for e in shown][:2] == [("user.updated", False), ("user.viewed", True)]
    # An entry chained between the two reads is in both snapshots: it is shown once.
    chained = AuditEntry.objects.get(action="user.viewed")
    AuditQueueEntry.objects.create(**{name: getattr(chained, name) for name in audit.HASHED_FIELDS})
    assert [e.action for e in audit.recent(10, agency_id=officer.agency_id)].count("user.viewed") == 1


def test_the_beat_task_chains_the_queue(officer):
    from portal.tasks import integrate_audit_log

    for i in range(3):
        audit.record(f"test.event{i}", actor=officer)
    assert integrate_audit_log() == 3
    assert integrate_audit_log() == 0
    assert [e.action for e in AuditEntry.objects.order_by("id")][-3:] == ["test.event0", "test.event1", "test.event2"]
    assert audit.verify_chain().ok


def test_entry_of_rolled_back_action_disappears_with_it(officer):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("user.updated", actor=officer, obj=officer)
        raise RuntimeError("the action failed")
    assert AuditEntry.objects.count() == before
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_log_is_verified_in_parallel_with_the_same_answer(officer, monkeypatch):
    # The log is split over processes on PostgreSQL only.
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    monkeypatch.setattr(audit, "PARALLEL_FROM", 0)
    entries = write_entries(officer, 9)
    assert audit.verify_chain().ok and audit.verify_chain().checked == AuditEntry.objects.count()
    raw_update("UPDATE portal_auditentry SET action = %s WHERE id = %s", ["harmless", entries[6].pk])
    assert audit.verify_chain().broken_at == entries[6].pk
    raw_update("DELETE FROM portal_auditentry WHERE id = %s", [entries[2].pk])
    report = audit.verify_chain()
    assert report.broken_at == entries[3].pk and report.reason.startswith("previous hash")
