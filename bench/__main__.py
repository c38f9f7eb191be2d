"""Runs every `bench/bench_*.py` module's `main()` against PostgreSQL and Redis."""

import importlib
import os
import sys
from pathlib import Path


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Benchmarks measure the deployment: set DATABASE_URL to a PostgreSQL database (SQLite is refused).")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("Benchmarks measure the deployment: set CELERY_BROKER_URL to a Redis broker.")
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if not modules:
        print("No benchmarks are defined yet.")
        return
    for name in modules:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
