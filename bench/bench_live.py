"""Live updates: 200 open dashboards polling the portal under gunicorn, as docker-compose runs it.

Each simulated dashboard runs the browser's protocol (`static/js/live.js`): it opens the
dashboard page (its cursor and ETag are in the page), then polls `/incidents/live/` every
LIVE_POLL_SECONDS (with the same +-10 % spread) with `If-None-Match`, and takes the items of
each 200. 190 are officers of the receiving country (Poland), 10 of a country that receives
nothing of these incidents (Iceland): the check that nothing leaks. Meanwhile incidents of
Lithuania are validated, each shared with Poland automatically on commit.

Measured: commit to screen (from the commit of the validation to the poll answer, items
included, in which a dashboard first has the incident), and the CPU of the gunicorn processes
(master and workers) per wall second, as % of one core, while the 200 dashboards poll and the
incidents are committed. Baselines from the same run: for the latency, one poll sent at the
moment of the commit (the path itself, without the wait between polls); for the CPU, the idle
server, and the 200 dashboards polling with nothing committed. PostgreSQL's CPU for the
portal's connections is noted beside it.
"""

import asyncio
import html
import os
import random
import re
import threading
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bench.bench_fanout import people
from bench.bench_throughput import Gunicorn
from bench.harness import Figures, Result
from bench.seed import RARE, TYPICAL
from portal.testing import make_verified

DASHBOARDS = 200
OUTSIDERS = 10  # of the 200: a country that never receives these incidents
LATENCY_LIMIT_MS = 5000
CPU_LIMIT_PCT = 20.0
POLL = "/incidents/live/"


def cpu_seconds(pids):
    """User + system CPU seconds of these processes so far (/proc/<pid>/stat); unreadable ones count 0."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def database_cpu_seconds():
    """CPU seconds of the PostgreSQL server on this machine: its processes, and the server
    processes that have ended (counted in the postmaster's children's time); None if not local."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        if name not in {"postgres", "postmaster"}:
            continue
        found = True
        total += int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])  # own and ended children's
    return total / ticks if found else None


class Window:
    """CPU of the web processes, of PostgreSQL and of this process (the load) over a stretch of time."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        self.pids = [self.server.process.pid, *self.server.workers]
        self.start, self.cpu = time.monotonic(), cpu_seconds(self.pids)
        self.db_cpu, self.own_cpu = database_cpu_seconds(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.start
        self.web = (cpu_seconds(self.pids) - self.cpu) / self.wall * 100
        db = database_cpu_seconds()
        self.db = None if db is None or self.db_cpu is None else (db - self.db_cpu) / self.wall * 100
        self.load = (time.process_time() - self.own_cpu) / self.wall * 100


def bench_users(country, count):
    """`count` officers of the country's border guard (created once, reused)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.models import Agency, Country, User
    from portal.services import country_group

    agency = Agency.objects.get(code=f"{country}-BG")
    group = country_group(Country.objects.get(pk=country))
    users = []
    for n in range(count):
        user, created = User.objects.get_or_create(
            username=f"bench.live.{country.lower()}.{n:03d}", defaults={"agency": agency, "is_officer": True}
        )
        if created:
            user.groups.add(group)
            TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
        users.append(user)
    return users


class Dashboard:
    """One open dashboard: its session, cursor, ETag, and when each incident reached it."""

    def __init__(self, session, outsider):
        self.session, self.outsider = session, outsider
        self.cursor = self.etag = None
        self.arrived = {}  # incident id -> monotonic time of the answer that carried it
        self.not_modified_ms = []
        self.answers = self.errors = 0


PAGE_STATE = re.compile(r'data-live-cursor="([^"]*)" data-live-etag="([^"]*)"')


async def open_dashboard(http, dashboard):
    response = await http.get("/", cookies={"sessionid": dashboard.session})
    response.raise_for_status()
    found = PAGE_STATE.search(response.text)
    assert found, "the dashboard has no live state"
    dashboard.cursor, dashboard.etag = found.group(1), html.unescape(found.group(2))


async def keep_polling(http, dashboard, interval, stop):
    """live.js's loop: wait about one interval, ask with the ETag, take the answer. The pages
    were opened at different moments: each starts at a random point of its interval."""
    await asyncio.sleep(interval * random.random())
    while not stop.is_set():
        await asyncio.sleep(interval * random.uniform(0.9, 1.1))
        start = time.perf_counter()
        try:
            response = await http.get(
                POLL,
                params={"cursor": dashboard.cursor},
                headers={"If-None-Match": dashboard.etag, "Accept": "application/json"},
                cookies={"sessionid": dashboard.session},
            )
        except httpx.HTTPError:
            dashboard.errors += 1
            continue
        if response.status_code == 304:
            dashboard.not_modified_ms.append((time.perf_counter() - start) * 1000)
            continue
        if response.status_code != 200:
            dashboard.errors += 1
            continue
        received = time.monotonic()
        answer = response.json()
        dashboard.answers += 1
        dashboard.cursor, dashboard.etag = answer["cursor"], response.headers["etag"]
        for item in answer["items"]:
            dashboard.arrived.setdefault(item["id"], received)


class Dashboards:
    """The simulated browsers, on an event loop in a thread of their own (they use no ORM)."""

    def __init__(self, base_url, dashboards, interval):
        self.base_url, self.dashboards, self.interval = base_url, dashboards, interval
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stop = None
        self.tasks = []

    def run(self, coroutine, timeout=600):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def open(self):
        async def go():
            self.http = httpx.AsyncClient(
                base_url=self.base_url, timeout=30, limits=httpx.Limits(max_connections=DASHBOARDS + 10)
            )
            gate = asyncio.Semaphore(6)  # opening 200 pages at once would only queue at 3 workers

            async def one(dashboard):
                async with gate:
                    await open_dashboard(self.http, dashboard)

            await asyncio.gather(*(one(d) for d in self.dashboards))
            self.stop = asyncio.Event()

        self.run(go())

    def start(self):
        async def go():
            self.tasks = [
                asyncio.ensure_future(keep_polling(self.http, d, self.interval, self.stop)) for d in self.dashboards
            ]

        self.run(go())

    def close(self):
        async def go():
            if self.stop is not None:
                self.stop.set()
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if hasattr(self, "http"):
                await self.http.aclose()

        try:
            self.run(go(), timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def direct_poll(self, dashboard, incident_id):
        """The baseline: one poll of this dashboard's session sent now; ms until an answer carries it."""

        async def go():
            start = time.monotonic()
            cursor, etag = dashboard.cursor, dashboard.etag
            while time.monotonic() - start < 10:
                response = await self.http.get(
                    POLL,
                    params={"cursor": cursor},
                    headers={"If-None-Match": etag, "Accept": "application/json"},
                    cookies={"sessionid": dashboard.session},
                )
                if response.status_code == 200 and any(i["id"] == incident_id for i in response.json()["items"]):
                    return time.monotonic()
            raise AssertionError("a direct poll never carried the incident")

        return self.run(go())


def commit_one(reporter, validator):
    """File and submit an incident of the provider (its own country sees that), then validate it:
    shared with the receiving country at commit. Returns (incident id, monotonic time of the commit)."""
    from incidents import services

    incident = services.incident_create(
        actor=reporter,
        category="search_rescue",
        occurred_at=timezone.now() - timezone.timedelta(minutes=5),
        description="Small boat in distress; rescue coordinated with the neighbour.",
        border_sector="LT sector 1",
        latitude="55.100000",
        longitude="21.000000",
        marking="GREEN",
        severity="high",
    )
    incident = services.incident_submit(incident=incident, actor=reporter)
    committed = {}
    with transaction.atomic():
        # Registered first, so it runs first at commit (before the numbering of the change).
        transaction.on_commit(lambda: committed.setdefault("at", time.monotonic()))
        services.incident_validate(incident=incident, actor=validator)
    return incident.pk, committed["at"]


def _round(value):
    return None if value is None else round(value, 1)


def sessions(users):
    return [make_verified(Client(), user).cookies["sessionid"].value for user in users]


def run(ctx):
    report, seeded = ctx.report, ctx.seeded
    quick = ctx.quick
    total = 20 if quick else DASHBOARDS
    outsiders = 2 if quick else OUTSIDERS
    commits = 3 if quick else 8
    idle_seconds, polling_seconds, commit_every = (3, 5, 3) if quick else (15, 30, 10)
    interval = settings.LIVE_POLL_SECONDS
    reporter, validator = people(seeded.fanout_provider)
    receiving = bench_users(TYPICAL, total - outsiders)
    foreign = bench_users(RARE, outsiders)
    dashboards = [Dashboard(s, False) for s in sessions(receiving)] + [Dashboard(s, True) for s in sessions(foreign)]

    server = Gunicorn("portal.wsgi:application", ctx.workdir)
    browsers = None
    try:
        with Window(server) as idle:
            time.sleep(idle_seconds)
        browsers = Dashboards(server.url, dashboards, interval)
        browsers.open()
        browsers.start()
        time.sleep(interval * 2)  # every dashboard has polled at least once
        with Window(server) as polling:
            time.sleep(polling_seconds)
        committed = {}
        direct = []
        polls_before = sum(len(d.not_modified_ms) + d.answers for d in dashboards)
        with Window(server) as busy:
            for _ in range(commits):
                time.sleep(commit_every * random.uniform(0.8, 1.2))
                incident_id, at = commit_one(reporter, validator)
                committed[incident_id] = at
                direct.append((browsers.direct_poll(dashboards[0], incident_id) - at) * 1000)
            time.sleep(interval * 2 + 1)  # the last commit reaches every dashboard
        polls_in_window = sum(len(d.not_modified_ms) + d.answers for d in dashboards) - polls_before
        latencies, missing = [], 0
        for dashboard in dashboards:
            for incident_id, at in committed.items():
                arrived = dashboard.arrived.get(incident_id)
                if dashboard.outsider:
                    assert arrived is None, f"incident {incident_id} reached a country it is not shared with"
                elif arrived is None:
                    missing += 1
                else:
                    latencies.append((arrived - at) * 1000)
    finally:
        if browsers is not None:
            browsers.close()
        server.stop()

    polls = sum(len(d.not_modified_ms) + d.answers for d in dashboards)
    not_modified = [ms for d in dashboards for ms in d.not_modified_ms]
    errors = sum(d.errors for d in dashboards)
    nm = Figures.of(not_modified)
    notes = {
        "dashboards": total,
        "of_which_outsiders": outsiders,
        "outsider_items": 0,
        "commits": commits,
        "poll_interval_s": interval,
        "never_arrived": missing,
        "gunicorn": "--workers 3 (sync), as docker-compose.yml",
    }
    result = report.latency(
        "live.commit_to_screen",
        Figures.of(latencies),
        baseline=Figures.of(direct),
        baseline_label="one poll at the commit",
        limit_ms=LATENCY_LIMIT_MS,
        notes=notes,
    )
    if missing:
        result.met = False  # a dashboard that never showed an incident has no latency to count
    report.add(
        Result(
            name="live.cpu_200_dashboards" if total == DASHBOARDS else f"live.cpu_{total}_dashboards",
            unit="% of a core",
            value=round(busy.web, 1),
            baseline={"idle_server_pct": round(idle.web, 2), "polling_no_commits_pct": round(polling.web, 1)},
            baseline_label="idle server (difference in points)",
            ratio=None,
            target=f"<= {CPU_LIMIT_PCT:.0f} % of one core",
            met=(busy.web <= CPU_LIMIT_PCT) and errors == 0,
            notes={
                "requests_per_s": round(polls_in_window / busy.wall, 1) if busy.wall else None,
                "share_304": round(len(not_modified) / polls, 3) if polls else None,
                "errors": errors,
                "not_modified_answer_ms": {"median": nm.median, "p95": nm.p95},
                "over_idle_pct_points": round(busy.web - idle.web, 1),
                "postgresql_pct_idle": _round(idle.db),
                "postgresql_pct_polling": _round(polling.db),
                "postgresql_pct_with_commits": _round(busy.db),
                "load_generator_pct_with_commits": _round(busy.load),
                "commit_every_s": commit_every,
                "window_s": round(busy.wall, 1),
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            },
        )
    )
