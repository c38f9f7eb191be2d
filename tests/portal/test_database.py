"""The PostgreSQL backend reads time stamps with psycopg's compiled loader, with Django's result."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.utils import timezone
from psycopg.pq import Format

from portal.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend is exercised on PostgreSQL")


def test_time_stamps_are_aware_utc_datetimes_equal_to_what_was_stored(postgresql):
    stamps = [
        datetime.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(1999, 12, 31, 23, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        timezone.now(),
    ]
    for stamp in stamps:
        person = UserFactory(date_joined=stamp)
        read = User.objects.values_list("date_joined", flat=True).get(pk=person.pk)
        assert read == stamp
        assert read.tzinfo is datetime.UTC
    with connection.cursor() as cursor:
        cursor.execute("SELECT NULL::timestamptz, '2026-11-25 10:00:00+03'::timestamptz")
        assert cursor.fetchone() == (None, datetime.datetime(2026, 11, 25, 7, tzinfo=datetime.UTC))


def test_time_stamps_are_parsed_by_psycopgs_own_loader_not_djangos_python_one(postgresql):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    assert not issubclass(loader, BaseTzLoader)
    assert loader.timezone is datetime.UTC  # Django's cursors compare it and add no loader of their own
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        parser = cursor.cursor.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
        assert parser is loader
    compiled = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    if psycopg.pq.__impl__ in {"binary", "c"}:
        assert compiled.__module__.startswith(("psycopg_binary", "psycopg_c"))


def test_a_connection_in_another_time_zone_gets_djangos_result(postgresql):
    """Django gives each time stamp the time zone it expects the connection to have; psycopg's
    loader is called directly only when the connection has that zone."""
    from zoneinfo import ZoneInfo

    from portal.postgresql.base import adapters_template

    oid = psycopg.adapters.types["timestamptz"].oid
    warsaw = ZoneInfo("Europe/Warsaw")
    loader_class = adapters_template(True, warsaw).get_loader(oid, Format.TEXT)
    connection.ensure_connection()
    with connection.cursor() as cursor:  # the connection's time zone is UTC
        loader = loader_class(oid, cursor.cursor)
        assert loader.load is not loader._parse
        assert loader.load(b"2026-01-01 12:00:00+00") == datetime.datetime(2026, 1, 1, 12, tzinfo=warsaw)
        utc = adapters_template(True, datetime.UTC).get_loader(oid, Format.TEXT)(oid, cursor.cursor)
        assert utc.load == utc._parse
