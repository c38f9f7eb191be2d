"""Incident lists read in-process: the API (first page and a cursor 50,000 rows deep), the HTML
page and the map's GeoJSON, for an officer of a typical and of a rare country.

Baseline: the same page read by raw SQL on the visibility index and turned into JSON. Reference:
django-guardian's stock `get_objects_for_user` for the same page.
"""

import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.pagination import Cursor

from bench.harness import timed
from bench.rawsql import FIRST, PAGE, raw_geojson, raw_page
from bench.seed import RARE, TYPICAL

API_LIMIT_MS, API_MAX_RATIO, PAGE_LIMIT_MS, MAX_QUERIES = 15, 5, 40, 4
DEPTH = 50_000


def position(country, depth):
    """(occurred_at, incident id) of the row `depth` rows down the country's list, and the depth
    actually reached (a rare country's whole list is shorter than 50,000 rows)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM incidents_incidentgroupobjectpermission"
            " WHERE country_id = %s AND (expires_at IS NULL OR expires_at > now())",
            [country],
        )
        total = cursor.fetchone()[0]
        depth = max(0, min(depth, total - PAGE - 1))
        cursor.execute(
            "SELECT occurred_at, content_object_id FROM incidents_incidentgroupobjectpermission"
            " WHERE country_id = %s AND (expires_at IS NULL OR expires_at > now())"
            " ORDER BY occurred_at DESC, content_object_id DESC OFFSET %s LIMIT 1",
            [country, depth],
        )
        at, pk = cursor.fetchone()
    return at, pk, depth, total


def api_cursor(at):
    """The API's own cursor for "after this row" (made by its paginator, so it stays in step)."""
    from incidents.api.views import IncidentCursor

    paginator = IncidentCursor()
    paginator.base_url = reverse("api_incident_list")
    return paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(at)))


def guardian_page(user, after_at, after_id):
    """django-guardian's stock read for the same page (the reference)."""
    from django.db.models import Q
    from guardian.shortcuts import get_objects_for_user

    from incidents.models import Incident

    incidents = get_objects_for_user(user, "incidents.view_incident", klass=Incident, accept_global_perms=False)
    if after_id is not None:
        incidents = incidents.filter(Q(occurred_at__lt=after_at) | Q(occurred_at=after_at, id__lt=after_id))
    return list(incidents.select_related("agency", "country").order_by("-occurred_at", "-id")[:PAGE])


def _get(client, url):
    response = client.get(url, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return len(queries.captured_queries), [q["sql"][:160] for q in queries.captured_queries]


def run(ctx):
    from portal.models import User
    from portal.testing import make_verified

    counts = {"runs": 15, "page_runs": 10, "guardian_runs": 3} if ctx.quick else {}
    for label, country in (("typical", TYPICAL), ("rare", RARE)):
        user = User.objects.select_related("agency__country").get(pk=ctx.seeded.officers[country])
        measure_country(ctx.report, label, country, user, make_verified(Client(), user), **counts)


def measure_country(report, label, country, user, client, runs=200, page_runs=100, guardian_runs=7):
    list_url, html_url, geo_url = reverse("api_incident_list"), reverse("incidents:list"), reverse("incidents:geojson")
    at, pk, depth, total = position(country, DEPTH)
    print(f"  {label} country {country}: {total:,} visible incidents; deep page after row {depth:,}")
    for first, after_at, after_id in ((True, *FIRST), (False, at, pk)):
        page = "first page" if first else f"{depth:,} rows deep"
        name = f"{label}.{'first' if first else 'deep'}"
        api = list_url if first else f"{list_url}?cursor={api_cursor(after_at).split('cursor=')[1]}"
        html = html_url if first else f"{html_url}?after={after_at.isoformat()}|{after_id}"
        got = json.loads(_get(client, api).content)["results"]
        expected = json.loads(raw_page(country, after_at, after_id))["results"]
        assert [r["id"] for r in got] == [r["id"] for r in expected], "the API and the raw read disagree"
        baseline = timed(lambda c=country, a=after_at, i=after_id: raw_page(c, a, i), runs)
        count, sql = queries_of(client, api)
        report.latency(
            f"list.api.{name}",
            timed(lambda u=api: _get(client, u), runs),
            baseline=baseline,
            baseline_label="raw SQL + JSON",
            limit_ms=API_LIMIT_MS,
            max_ratio=API_MAX_RATIO,
            notes={"page": page, "rows": len(got), "queries": count},
        )
        report.add_queries(f"list.api.{name}.queries", count, MAX_QUERIES, sql)
        report.latency(
            f"list.html.{name}",
            timed(lambda u=html: _get(client, u), page_runs),
            baseline=baseline,
            baseline_label="raw SQL + JSON",
            limit_ms=PAGE_LIMIT_MS,
            notes={"page": page, "queries": queries_of(client, html)[0]},
        )
        since = None if first else after_id
        report.latency(
            f"list.guardian.{name}",
            timed(lambda a=after_at, i=since: guardian_page(user, a, i), guardian_runs, 1),
            baseline=baseline,
            baseline_label="raw SQL + JSON",
            notes={"page": page, "what": "stock get_objects_for_user, for reference"},
        )
    features = len(json.loads(_get(client, geo_url).content)["features"])
    report.latency(
        f"map.geojson.{label}",
        timed(lambda: _get(client, geo_url), page_runs),
        baseline=timed(lambda: raw_geojson(country), page_runs),
        baseline_label="raw SQL + JSON",
        limit_ms=PAGE_LIMIT_MS,
        notes={"features": features, "queries": queries_of(client, geo_url)[0]},
    )
