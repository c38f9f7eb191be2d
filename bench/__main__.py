"""Runs every `bench/bench_*.py` module against PostgreSQL and Redis, after seeding the data set.

python -m bench                         # everything, at production scale
python -m bench --only list,audit       # some benchmarks
python -m bench --only hits             # hit/no-hit checks (bench/bench_hits.py)
python -m bench --incidents 20000       # a smaller data set
python -m bench compare OLD.json NEW.json
"""

import argparse
import importlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The benchmarks measure a deployment: DEBUG off, behind a TLS-terminating proxy, and partner
# endpoints on 127.0.0.1 (which production refuses).
BENCH_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-that-is-long-enough-for-the-checks-0123456789",
    "EXCHANGE_HASH_KEY": "bench-only-exchange-hash-key-that-is-long-enough-0123456789",
    "SECURE_SSL_REDIRECT": "false",
    "STATIC_MANIFEST": "false",
    "DEMO_MODE": "false",
    "ALERTS_ALLOW_PRIVATE_ENDPOINTS": "true",
    "ALERTS_ALLOW_HTTP": "true",
    "LOG_LEVEL": "WARNING",
    "EMAIL_URL": "dummymail://",
}


@dataclass
class Context:
    """What each benchmark module's `run(ctx)` receives."""

    report: object
    seeded: object
    quick: bool
    workdir: Path


def refusal():
    """Why the benchmarks cannot run in this configuration, or None."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return "Benchmarks measure the deployment: set DATABASE_URL to a PostgreSQL database (SQLite is refused)."
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "Benchmarks measure the deployment: set CELERY_BROKER_URL to a Redis broker."
    return None


def setup():
    for key, value in BENCH_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def modules(only=None):
    names = sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    if only:
        unknown = set(only) - set(names)
        if unknown:
            sys.exit(f"Unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}")
        names = [n for n in names if n in only]
    return names


def run(*, incidents, audit_entries, only=None, output=None, quick=False, reseed=False, log=print):
    """Seed (or reuse) the data set, run the benchmarks, write the results file; returns the report."""
    from django.db import connection

    from bench import seed
    from bench.harness import Report

    reason = refusal()
    if reason:
        raise SystemExit(reason)
    names = modules(only)
    report = Report(
        meta={
            "incidents": incidents,
            "audit_entries": audit_entries,
            "database": connection.settings_dict["NAME"],
            "postgresql": connection.cursor().connection.info.server_version,
            "quick": quick,
        }
    )
    log("== seed")
    seeded = seed.seed(seed.Scale(incidents=incidents, audit_entries=audit_entries), force=reseed, log=log)
    report.meta["seed_seconds"] = round(seeded.seconds, 1)
    report.meta["seed_reused"] = seeded.reused
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    context = Context(report=report, seeded=seeded, quick=quick, workdir=workdir)
    for name in names:
        log(f"== {name}")
        started = time.monotonic()
        importlib.import_module(f"bench.bench_{name}").run(context)
        log(f"   ({time.monotonic() - started:.0f} s)")
    path = Path(output) if output else workdir / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report.write(path)
    log(f"== results written to {path}")
    if report.missed:
        log("== targets missed: " + ", ".join(r.name for r in report.missed))
    return report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        from bench.harness import compare

        if len(argv) != 3:
            sys.exit("usage: python -m bench compare OLD.json NEW.json")
        compare(argv[1], argv[2])
        return
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of the portal.")
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents in the data set")
    parser.add_argument("--audit-entries", type=int, default=1_000_000, help="entries in the audit log")
    parser.add_argument("--only", help="comma-separated benchmarks: " + ", ".join(modules()))
    parser.add_argument("--output", help="results file (default var/bench/results-<time>.json)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller bursts (a smoke run)")
    parser.add_argument("--reseed", action="store_true", help="seed again even when a seed of this size exists")
    args = parser.parse_args(argv)
    setup()
    run(
        incidents=args.incidents,
        audit_entries=args.audit_entries,
        only=args.only.split(",") if args.only else None,
        output=args.output,
        quick=args.quick,
        reseed=args.reseed,
    )


if __name__ == "__main__":
    main()
