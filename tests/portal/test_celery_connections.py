"""Workers keep database connections between tasks, but never one that failed or grew too old."""

import time
from types import SimpleNamespace

import pytest
from django.db import connection

from portal.celery import _usable_database_connections


def worker_task():
    return SimpleNamespace(request=SimpleNamespace(is_eager=False))


@pytest.mark.django_db(transaction=True)
def test_a_task_starts_with_a_fresh_connection_after_an_error_or_its_age():
    connection.ensure_connection()
    connection.close_at = time.monotonic() + 60  # a persistent connection (CONN_MAX_AGE)
    _usable_database_connections(task=worker_task())
    assert connection.connection is not None, "a healthy connection is kept"

    connection.close_at = time.monotonic() - 1  # older than CONN_MAX_AGE
    _usable_database_connections(task=worker_task())
    assert connection.connection is None

    connection.ensure_connection()
    connection.connection.close()  # the database went away under it
    connection.errors_occurred = True
    _usable_database_connections(task=worker_task())
    assert connection.connection is None
    with connection.cursor() as cursor:  # and the next task's query simply works
        cursor.execute("SELECT 1")


def test_eager_tasks_and_open_transactions_are_left_alone(db):
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1
    _usable_database_connections(task=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
    _usable_database_connections(task=worker_task())  # inside the test's transaction
    assert connection.connection is not None
