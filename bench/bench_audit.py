"""Verification of the audit log's hash chain over the whole seeded log (`manage.py verify_audit_log`).

Baseline: reading the same rows with a raw server-side cursor, without checking anything.
"""

import os
import subprocess
import sys
import time

from django.db import connection, transaction

from bench.harness import Figures
from portal.testing import ROOT, database_url

LIMIT_S = 10


def raw_read():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DECLARE bench_audit NO SCROLL CURSOR FOR SELECT id, prev_hash, hash, timestamp, actor_id, actor_label,"
            " agency_id, action, object_type, object_id, object_repr, ip_address, details"
            " FROM portal_auditentry ORDER BY id"
        )
        rows = 0
        while True:
            cursor.execute("FETCH 5000 FROM bench_audit")
            batch = cursor.fetchall()
            if not batch:
                break
            rows += len(batch)
        cursor.execute("CLOSE bench_audit")
    return rows


def verify_once():
    """One run of the command in its own process: (seconds, peak memory in MB, its output)."""
    env = {**os.environ, "DATABASE_URL": database_url()}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "verify_audit_log"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, output
    return seconds, usage.ru_maxrss / 1024, output.strip()


def run(ctx):
    from portal.models import AuditEntry

    report = ctx.report
    entries = AuditEntry.objects.count()
    runs = 1 if ctx.quick else 3
    baseline = []
    for _ in range(runs):
        start = time.perf_counter()
        raw_read()
        baseline.append((time.perf_counter() - start) * 1000)
    results = [verify_once() for _ in range(runs)]
    figures = Figures.of([seconds * 1000 for seconds, _mb, _out in results])
    report.latency(
        "audit.verify_chain",
        figures,
        baseline=Figures.of(baseline),
        baseline_label="raw read of the rows",
        limit_ms=LIMIT_S * 1000,
        notes={
            "entries": entries,
            "peak_memory_mb": round(max(mb for _s, mb, _o in results), 1),
            "output": results[-1][2],
        },
    )
