"""The throughput baseline: a bare WSGI app that serves the same page by raw SQL as JSON, run by
the same gunicorn settings as the portal. BENCH_COUNTRY says whose page; DATABASE_URL where."""

import os
from urllib.parse import unquote, urlsplit

import psycopg

from bench.rawsql import FIRST, page_json

_connection = None


def _cursor():
    global _connection
    if _connection is None or _connection.closed:
        url = urlsplit(os.environ["DATABASE_URL"])
        _connection = psycopg.connect(
            host=url.hostname,
            port=url.port or 5432,
            user=unquote(url.username or ""),
            password=unquote(url.password or "") or None,
            dbname=url.path.lstrip("/"),
            autocommit=True,
        )
    return _connection.cursor()


def application(environ, start_response):
    with _cursor() as cursor:
        body = page_json(cursor, os.environ["BENCH_COUNTRY"], *FIRST).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
