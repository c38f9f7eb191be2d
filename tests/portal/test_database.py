"""The PostgreSQL backend reads time stamps with psycopg's compiled loader, with Django's result."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.utils import timezone
from psycopg.pq import Format

from portal.models import User
from tests.conftest import require
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    # Skipped on a laptop with SQLite; in CI (PORTAL_REQUIRE_SERVICES=1) a missing PostgreSQL fails.
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


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


# Digests of the Django code (5.2) `portal.postgresql` builds on: the adapters Django gives each
# connection, its time-stamp loader, and the cursor's check of the loader's `timezone` before it
# registers one of its own. A digest that no longer matches means Django changed that code (for
# instance by fixing ticket #36960): read the new code, check the backend against it (the tests
# above compare results on PostgreSQL), then record the new digest.
DJANGO_CODE = {
    "psycopg_any.get_adapters_template": "25ba152d1ff913e7",
    "psycopg_any.register_tzloader": "148bdfc0e731c30e",
    "psycopg_any.BaseTzLoader": "4c1a54456d8cfdd2",
    "base.DatabaseWrapper.get_connection_params": "d08f4eb7685cbe1c",
    "base.DatabaseWrapper.create_cursor": "8210108016843b5a",
}


def test_the_django_code_the_backend_builds_on_is_unchanged():
    import hashlib
    import inspect
    import textwrap

    from django.db.backends.postgresql import base, psycopg_any

    def digest(name):
        obj = eval(name, {"base": base, "psycopg_any": psycopg_any})  # noqa: S307  (names of the table above)
        return hashlib.sha256(textwrap.dedent(inspect.getsource(obj)).encode()).hexdigest()[:16]

    changed = {name: digest(name) for name, expected in DJANGO_CODE.items() if digest(name) != expected}
    assert not changed, f"Django changed {sorted(changed)}: check portal/postgresql against it, then record {changed}"
