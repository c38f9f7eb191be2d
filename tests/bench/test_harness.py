"""The benchmark harness's own pieces, which run anywhere (the full smoke run is in
tests/integration/test_bench_smoke.py, on PostgreSQL and Redis)."""

import json

import pytest
from django.db import connection

from bench.__main__ import refusal
from bench.harness import Figures, Report, compare


def test_figures_give_median_p95_and_max():
    figures = Figures.of(list(range(1, 101)))
    assert (figures.runs, figures.median, figures.p95, figures.max) == (100, 50.5, 95, 100)


def test_a_report_is_written_as_json_with_the_ratio_to_its_baseline(tmp_path, capsys):
    report = Report()
    report.latency("list.api", Figures.of([10, 12, 14]), baseline=Figures.of([4, 4, 4]), limit_ms=15, max_ratio=5)
    report.latency("list.slow", Figures.of([30]), limit_ms=15)
    path = report.write(tmp_path / "results.json")
    data = json.loads(path.read_text())
    first, second = data["results"]
    assert first["ratio"] == 3.5 and first["met"] is True
    assert second["met"] is False and [r.name for r in report.missed] == ["list.slow"]
    assert "list.api" in capsys.readouterr().out
    compare(path, path)
    assert "1.00x" in capsys.readouterr().out


@pytest.mark.django_db
def test_sqlite_is_refused_with_a_clear_message():
    if connection.vendor == "postgresql":
        assert refusal() is None or "Redis" in refusal()
    else:
        assert "set DATABASE_URL to a PostgreSQL database (SQLite is refused)" in refusal()
