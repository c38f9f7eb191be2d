"""A smoke run of `make bench` on a handful of rows, so that the harness does not rot: seeding,
every benchmark (gunicorn and wrk, Celery workers on Redis, partner servers on 127.0.0.1, the
audit chain) and the results file, against the test database."""

import json

import pytest
from django.db import connection

from bench.__main__ import modules
from bench.__main__ import run as run_benchmarks
from tests.conftest import require

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_harness_runs_every_benchmark_on_a_small_data_set(broker, settings, tmp_path):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    settings.CELERY_BROKER_URL = broker.url
    output = tmp_path / "results.json"
    report = run_benchmarks(incidents=3000, audit_entries=500, quick=True, output=output)
    data = json.loads(output.read_text())
    names = {r["name"] for r in data["results"]}
    assert {"list.api.typical.first", "list.api.rare.deep", "map.geojson.typical", "audit.verify_chain"} <= names
    assert {"throughput.list_api", "fanout.commit_to_last_2xx", "fanout.burst_drain"} <= names
    assert {"delivery.rate_1_worker", "delivery.rate_2_workers"} <= names
    assert {"live.commit_to_screen", "live.cpu_20_dashboards"} <= names
    assert {"hits.lookup.hit", "hits.lookup.miss", "hits.lookup.queries", "hits.check"} <= names
    assert len(modules()) == 7
    for result in report.results:
        assert result.value is not None
        if result.unit == "ms":
            assert result.figures["runs"] > 0 and result.baseline, result.name
    # A second run finds the seed and reuses it.
    again = run_benchmarks(incidents=3000, audit_entries=500, quick=True, only=["audit"], output=output)
    assert again.meta["seed_reused"] is True
