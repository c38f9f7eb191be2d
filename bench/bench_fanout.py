"""Fan-out of alerts to fifty partner endpoints, with real Celery worker processes on Redis.

Each partner endpoint is a server on 127.0.0.1 that answers 200 after 50 ms and checks the
signature. Measured: from the commit of an incident's validation to the last partner's 2xx, and
how long a burst of 5,000 deliveries takes to drain. Baseline: the same signed POSTs sent straight
from this process by a pool of as many threads as the workers run.
"""

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.db import transaction
from django.utils import timezone

from alerts.delivery import sign
from alerts.services import new_secret
from bench.harness import Figures, Result, children, memory_kb
from incidents.gate import seen_by
from portal.testing import Receiver, Worker, wait_for

PARTNERS = 50
PARTNER_DELAY = 0.05
BURST = 5000
FANOUT_LIMIT_MS, BURST_LIMIT_S = 1000, 30

# The worker settings the README recommends for webhook fan-out (I/O-bound: threads, not processes).
WORKER_PROCESSES = 2
WORKER_POOL = "threads"
WORKER_CONCURRENCY = 32
WORKER_ENV = {
    "ALERTS_ALLOW_PRIVATE_ENDPOINTS": "true",
    "ALERTS_ALLOW_HTTP": "true",
    "ALERTS_TIMEOUT": "10",
    "LOG_LEVEL": "WARNING",
}


def partners(receiving_country, receivers):
    """Fifty partner agencies of the receiving country, each with one webhook subscription."""
    from alerts.models import Subscription
    from portal.models import Agency

    Subscription.objects.filter(agency__code__startswith=f"{receiving_country}-P").delete()
    subscriptions = []
    for n, receiver in enumerate(receivers, start=1):
        agency, _created = Agency.objects.get_or_create(
            code=f"{receiving_country}-P{n:02d}",
            defaults={"name": f"Partner agency {n}", "country_id": receiving_country, "kind": "police"},
        )
        secret = receiver.secret
        subscriptions.append(
            Subscription.objects.create(
                agency=agency, name="Gateway", channel="webhook", url=receiver.url, secrets=[secret]
            )
        )
    # Only the bench partners are subscribed while this runs.
    Subscription.objects.filter(agency__country_id=receiving_country).exclude(
        pk__in=[s.pk for s in subscriptions]
    ).update(is_active=False)
    return subscriptions


def people(provider):
    """The provider's officer (reporter) and a second supervisor who validates."""
    from portal.models import Agency, User

    agency = Agency.objects.get(code=f"{provider}-BG")
    reporter = User.objects.get(username=f"bench.{provider.lower()}.officer")
    validator, _created = User.objects.get_or_create(
        username=f"bench.{provider.lower()}.supervisor",
        defaults={"agency": agency, "is_supervisor": True},
    )
    return reporter, validator


def answered_ids(receivers):
    return {message_id: at for r in receivers for message_id, status, at in list(r.answered) if 200 <= status < 300}


def one_fanout(reporter, validator, receivers, expected):
    """Validate one incident (it is shared with the receiving country at once) and time the commit
    to the last partner's 2xx. Returns milliseconds."""
    from alerts.models import AlertDelivery
    from incidents import services

    incident = services.incident_create(
        actor=reporter,
        category="search_rescue",
        occurred_at=timezone.now() - timezone.timedelta(minutes=30),
        description="Small boat in distress; rescue coordinated with the neighbour.",
        border_sector="LT sector 1",
        marking="GREEN",
        severity="high",
    )
    incident = services.incident_submit(incident=incident, actor=reporter)
    committed = {}
    with transaction.atomic():
        transaction.on_commit(lambda: committed.setdefault("at", time.monotonic()))
        services.incident_validate(incident=incident, actor=validator)
    ids = {d.message_id for d in AlertDelivery.objects.filter(alert__incident=incident).select_related("alert")}
    assert len(ids) == expected, f"{len(ids)} deliveries instead of {expected}"
    wait_for(lambda: ids <= answered_ids(receivers).keys(), 60, "every partner to answer")
    answers = answered_ids(receivers)
    return (max(answers[i] for i in ids) - committed["at"]) * 1000


def burst(size, receivers, subscriptions):
    """Write `size` deliveries in one transaction (alerts about already shared incidents, to every
    partner) and time the commit to the last delivery recorded as delivered. Returns seconds."""
    from alerts.models import AlertDelivery, AlertType
    from alerts.services import alert_create
    from incidents.models import Incident

    count = max(1, size // len(subscriptions))
    country = subscriptions[0].agency.country
    # Only incidents the receiving country may still see: an alert about one whose share ended
    # is cancelled at delivery, never sent, and would not measure a delivery.
    shared = Incident.objects.filter(country_id="LT", status="shared")
    incidents = list(
        seen_by(shared, country.pk, timezone.now()).select_related("agency", "exercise").order_by("-pk")[:count]
    )
    committed = {}
    with transaction.atomic():
        # Registered first, so it runs first at commit, before the deliveries are enqueued.
        transaction.on_commit(lambda: committed.setdefault("at", time.monotonic()))
        made = [
            alert_create(incident=i, country=country, msg_type=AlertType.ALERT, personal_data=False) for i in incidents
        ]
    start = committed["at"]
    deliveries = AlertDelivery.objects.filter(alert__in=made)
    total = deliveries.count()
    wait_for(
        lambda: not deliveries.filter(state__in=["pending", "sending"]).exists(),
        600,
        "the burst to drain",
        interval=0.1,
    )
    seconds = time.monotonic() - start
    delivered = deliveries.filter(state="delivered").count()
    assert delivered == total, f"{total - delivered} of {total} deliveries were not delivered"
    return seconds, total


def direct_posts(receivers, count, threads):
    """The baseline: `count` signed POSTs straight from here, `threads` at a time."""
    body = json.dumps({"identifier": "bench", "incident": {"reference": "BENCH"}}).encode()

    def post(n):
        receiver = receivers[n % len(receivers)]
        stamp = str(int(time.time()))
        message_id = f"msg_direct_{n}"
        secret = receiver.secret
        request = urllib.request.Request(  # noqa: S310  (a local receiver)
            receiver.url,
            data=body,
            method="POST",
            headers={
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": stamp,
                "webhook-signature": sign(message_id, stamp, body, [secret]),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status

    start = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(post, range(count)))
    assert all(s == 200 for s in statuses)
    return time.monotonic() - start


def worker_memory_kb(worker):
    pids = [worker.pid, *children(worker.pid)]
    return sum(memory_kb(p, peak=True) or 0 for p in pids), sum(memory_kb(p) or 0 for p in pids)


def run(ctx):
    from alerts.models import Subscription
    from portal.celery import app

    report, seeded = ctx.report, ctx.seeded
    runs = 3 if ctx.quick else 20
    burst_size = 200 if ctx.quick else BURST
    app.control.purge()
    receivers = [Receiver(new_secret(), delay=PARTNER_DELAY) for _ in range(PARTNERS)]
    workers = []
    try:
        subscriptions = partners(seeded.fanout_receiver, receivers)
        reporter, validator = people(seeded.fanout_provider)
        threads = WORKER_PROCESSES * WORKER_CONCURRENCY
        for _ in range(WORKER_PROCESSES):
            workers.append(
                Worker(
                    # The broker this process publishes to (broker_url would prefer $CELERY_BROKER_URL).
                    app.conf.broker_write_url,
                    ctx.workdir,
                    WORKER_ENV,
                    pool=WORKER_POOL,
                    concurrency=WORKER_CONCURRENCY,
                ).start()
            )
        idle = [worker_memory_kb(w)[1] for w in workers]
        one_fanout(reporter, validator, receivers, PARTNERS)  # warm-up: connections, imports
        fanout = Figures.of([one_fanout(reporter, validator, receivers, PARTNERS) for _ in range(runs)])
        direct = Figures.of([direct_posts(receivers, PARTNERS, threads) * 1000 for _ in range(runs)])
        report.latency(
            "fanout.commit_to_last_2xx",
            fanout,
            baseline=direct,
            baseline_label="50 direct POSTs",
            limit_ms=FANOUT_LIMIT_MS,
            notes={
                "partners": PARTNERS,
                "partner_answers_after_ms": PARTNER_DELAY * 1000,
                "workers": f"{WORKER_PROCESSES} x celery --pool={WORKER_POOL} --concurrency={WORKER_CONCURRENCY}",
            },
        )
        seconds, total = burst(burst_size, receivers, subscriptions)
        floor = direct_posts(receivers, total, threads)
        report.add(
            Result(
                name="fanout.burst_drain",
                unit="s",
                value=round(seconds, 2),
                baseline={"seconds": round(floor, 2)},
                baseline_label=f"{total} direct POSTs",
                ratio=round(seconds / floor, 2),
                target=f"<= {BURST_LIMIT_S} s for {BURST} deliveries" if burst_size == BURST else "",
                met=seconds <= BURST_LIMIT_S if burst_size == BURST else None,
                notes={"deliveries": total, "per_second": round(total / seconds, 1)},
            )
        )
        peaks = [worker_memory_kb(w)[0] for w in workers]
        report.add(
            Result(
                name="memory.worker_peak_during_burst",
                unit="MB",
                value=round(max(peaks) / 1024, 1),
                baseline={"idle_mb": round(max(idle) / 1024, 1)},
                baseline_label="idle worker",
                ratio=round(max(peaks) / max(idle), 2) if max(idle) else None,
                notes={"per_worker_mb": [round(p / 1024, 1) for p in peaks]},
            )
        )
    finally:
        for worker in workers:
            worker.stop()
        for receiver in receivers:
            receiver.close()
        Subscription.objects.filter(agency__code__startswith=f"{seeded.fanout_receiver}-P").update(is_active=False)
