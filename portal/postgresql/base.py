"""Django's PostgreSQL backend with one change: time stamps (`timestamptz`) are parsed by psycopg's
compiled loader instead of its pure-Python one.

Django registers its own time-stamp loader on every connection, a subclass of psycopg's Python
`TimestamptzLoader`, so that each value is given the connection's time zone. The compiled
loader of `psycopg-binary` cannot be subclassed, so every time stamp read from the database was
parsed in Python: a sixth of the CPU time of a 50-row page of incidents (Django ticket #36960).

The loader here has the same result as Django's, `value.replace(tzinfo=<connection time zone>)`,
but hands the parsing to the loader psycopg itself uses for `timestamptz` (the compiled one
when `psycopg-binary` is installed, the Python one otherwise). Everything else is Django's.

Django has no public setting for this: the backend builds on Django's adapters for a connection
(`psycopg_any.get_adapters_template`, not a public API) and on its cursors registering a loader
of their own unless the connection's loader has the `timezone` they expect. The tests of
`tests/portal/test_database.py` compare the results with Django's on PostgreSQL (they fail,
rather than skip, in CI when PostgreSQL is missing) and pin that Django code, so that a Django
upgrade changing it fails there.
"""

import functools
from typing import cast

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]  # not in django-stubs
    get_adapters_template,
)
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
# psycopg's own loader for the type: the compiled one when psycopg-binary (or psycopg-c) is there
# (psycopg always has one for `timestamptz`; get_loader's type allows for types that have none).
PSYCOPG_LOADER = cast(type[Loader], psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT))


class TimestamptzLoader(Loader):
    """Parses with psycopg's own `timestamptz` loader, then sets `timezone` as Django does.

    `timezone` is the attribute Django's cursor compares with the connection's time zone before
    registering a loader of its own on a cursor."""

    timezone = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._parse = PSYCOPG_LOADER(oid, context).load
        if self._parse(b"2000-01-01 00:00:00+00").tzinfo is self.timezone:
            # The connection's time zone is the one Django asks for (UTC, as Django sets it):
            # psycopg's result already is Django's, so psycopg's loader is called directly.
            self.load = self._parse  # type: ignore[method-assign]  # on purpose: the instance's own load

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.lru_cache
def adapters_template(use_tz, timezone):
    """Django's adapters for these settings, with the time-stamp loader replaced."""
    context = AdaptersMap(get_adapters_template(use_tz, timezone))
    loader = type("ZonedTimestamptzLoader", (TimestamptzLoader,), {"timezone": timezone})
    context.register_loader("timestamptz", loader)
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = adapters_template(settings.USE_TZ, self.timezone)
        return params
