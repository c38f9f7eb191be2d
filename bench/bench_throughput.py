"""Throughput of the incident list API under gunicorn, with a load generator on the same machine.

wrk (Debian package `wrk`) drives the first page of the list API as an officer of the typical
country, at increasing numbers of connections; the figure is the best rate whose p95 stays under
50 ms. Baseline: a bare WSGI app serving the same page by raw SQL as JSON, under the same gunicorn
settings. Also recorded: the peak resident memory of the web processes.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from django.test import Client

from bench.harness import Figures, Result, children, memory_kb
from bench.seed import TYPICAL
from portal.testing import ROOT, database_url, free_port, make_verified, wait_for

P95_LIMIT_MS, TARGET_RPS = 50, 250
# The deployment the README describes: gunicorn's sync workers, a few per core.
GUNICORN_WORKERS = 3
CONNECTIONS = (1, 2, 4, 6, 8, 12, 16)

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d max_us=%d errors=%d non2xx=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


class Gunicorn:
    """A gunicorn process serving `app` on a free port of 127.0.0.1."""

    def __init__(self, app, workdir, env=None, workers=GUNICORN_WORKERS):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(workdir) / f"gunicorn-{self.port}.log"
        environment = {**os.environ, "DATABASE_URL": database_url(), **(env or {})}
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    app,
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.answers, 60, f"gunicorn serving {app}")

    def answers(self):
        assert self.process.poll() is None, self.log.read_text()
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310  (local)
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    @property
    def workers(self):
        return children(self.process.pid)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def wrk(url, connections, seconds, headers=()):
    """One wrk run; returns (requests per second, Figures of the latency, errors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s"]
        command += ["-s", script.name, "--timeout", "5s"]
        for header in headers:
            command += ["-H", header]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    values = dict(re.findall(r"(\w+)=(\d+)", output.split("BENCH", 1)[1]))
    values = {k: int(v) for k, v in values.items()}
    rps = values["requests"] / (values["duration_us"] / 1e6)
    figures = Figures(values["requests"], values["p50_us"] / 1000, values["p95_us"] / 1000, values["max_us"] / 1000)
    return rps, figures, values["errors"] + values["non2xx"]


def python_load(url, connections, seconds, headers=()):
    """A stand-in for wrk where it is not installed (slower: it takes CPU from the server)."""
    durations, errors, stop = [], [0], time.monotonic() + seconds
    opener = urllib.request.build_opener()
    opener.addheaders = [tuple(h.split(": ", 1)) for h in headers]

    def loop():
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                with opener.open(url, timeout=5) as response:
                    response.read()
            except OSError:
                errors[0] += 1
            durations.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(durations) / seconds, Figures.of(durations), errors[0]


def sweep(url, headers, connections, seconds):
    """Rates at increasing connections; the best one whose p95 is under the limit."""
    load = wrk if shutil.which("wrk") else python_load
    load(url, GUNICORN_WORKERS, 2, headers)  # warm up every worker (imports, first connections)
    points = []
    for count in connections:
        rps, figures, errors = load(url, count, seconds, headers)
        points.append({"connections": count, "rps": round(rps, 1), "p95_ms": figures.p95, "errors": errors})
        print(f"    {count:>3} connections: {rps:7.1f} req/s, p95 {figures.p95:6.1f} ms, errors {errors}", flush=True)
        if figures.p95 >= P95_LIMIT_MS * 1.5:
            break
    good = [p for p in points if p["p95_ms"] < P95_LIMIT_MS and not p["errors"]]
    best = max(good, key=lambda p: p["rps"]) if good else {"rps": 0.0, "connections": None, "p95_ms": None}
    return best, points, load.__name__


def run(ctx):
    from portal.models import User

    report, seeded = ctx.report, ctx.seeded
    seconds = 2 if ctx.quick else 8
    connections = (2,) if ctx.quick else CONNECTIONS
    user = User.objects.get(pk=seeded.officers[TYPICAL])
    session = make_verified(Client(), user).cookies["sessionid"].value
    headers = [f"Cookie: sessionid={session}", "Accept: application/json"]

    baseline_server = Gunicorn("bench.baseline_wsgi:application", ctx.workdir, env={"BENCH_COUNTRY": TYPICAL})
    try:
        print("  baseline (raw SQL + JSON under gunicorn):")
        baseline, baseline_points, tool = sweep(f"{baseline_server.url}/", headers, connections, seconds)
    finally:
        baseline_server.stop()

    portal = Gunicorn("portal.wsgi:application", ctx.workdir)
    try:
        idle = max(memory_kb(pid) or 0 for pid in portal.workers)
        print("  portal (GET /api/v1/incidents/):")
        best, points, tool = sweep(f"{portal.url}/api/v1/incidents/", headers, connections, seconds)
        peak = max(memory_kb(pid, peak=True) or 0 for pid in portal.workers)
    finally:
        portal.stop()
    report.add(
        Result(
            name="throughput.list_api",
            unit="req/s",
            value=best["rps"],
            baseline={"rps": baseline["rps"], "connections": baseline["connections"]},
            baseline_label="raw SQL app (rate ratio)",
            ratio=round(best["rps"] / baseline["rps"], 2) if baseline["rps"] else None,
            target=f">= {TARGET_RPS} req/s at p95 < {P95_LIMIT_MS} ms",
            met=best["rps"] >= TARGET_RPS if not ctx.quick else None,
            notes={
                "best": best,
                "sweep": points,
                "baseline_sweep": baseline_points,
                "load_generator": tool,
                "gunicorn": f"--workers {GUNICORN_WORKERS} (sync)",
            },
        )
    )
    report.add(
        Result(
            name="memory.web_worker_peak",
            unit="MB",
            value=round(peak / 1024, 1),
            baseline={"idle_mb": round(idle / 1024, 1)},
            baseline_label="idle web worker",
            ratio=round(peak / idle, 2) if idle else None,
        )
    )
