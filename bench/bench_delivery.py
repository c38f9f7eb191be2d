"""The delivery rate of alert workers, and how it grows with workers, with the recommended settings.

Fifty partner endpoints on 127.0.0.1 answer each POST after 0.3 s (a partner's gateway across a
border). A burst of deliveries is committed at once and drained by one worker, then by two, each
`celery worker --pool=threads --concurrency=32` on the alerts queue with the default delivery
settings (deadline, a partner's share of the workers, sweeper). Measured: deliveries recorded as
delivered per second. Baseline: the same signed POSTs sent straight from this process by as many
threads as the workers run (what the network and the partners allow).
"""

import time

from bench.bench_fanout import burst, direct_posts, partners
from bench.harness import Result
from portal.testing import Receiver, Worker

PARTNERS = 50
PARTNER_DELAY = 0.3
POOL, CONCURRENCY = "threads", 32
WORKER_ENV = {
    "ALERTS_ALLOW_PRIVATE_ENDPOINTS": "true",
    "ALERTS_ALLOW_HTTP": "true",
    "LOG_LEVEL": "WARNING",
}


def drain_rate(ctx, receivers, subscriptions, workers_count, size):
    from portal.celery import app

    app.control.purge()
    workers = [
        Worker(app.conf.broker_write_url, ctx.workdir, WORKER_ENV, pool=POOL, concurrency=CONCURRENCY).start()
        for _ in range(workers_count)
    ]
    try:
        seconds, total = burst(size, receivers, subscriptions)
    finally:
        for worker in workers:
            worker.stop()
    return total / seconds, total, seconds


def run(ctx):
    from alerts.models import Subscription
    from alerts.services import new_secret

    report, seeded = ctx.report, ctx.seeded
    # Each worker thread holds a database connection: a third worker of 32 threads would pass
    # PostgreSQL's default of 100 connections (a deployment with more workers raises it or pools).
    counts = (1, 2)
    size = 300 if ctx.quick else 2000
    receivers = [Receiver(new_secret(), delay=PARTNER_DELAY) for _ in range(PARTNERS)]
    try:
        subscriptions = partners(seeded.fanout_receiver, receivers)
        rates = {}
        for workers_count in counts:
            rate, total, seconds = drain_rate(ctx, receivers, subscriptions, workers_count, size)
            started = time.monotonic()
            direct_posts(receivers, total, workers_count * CONCURRENCY)
            floor = total / (time.monotonic() - started)
            rates[workers_count] = rate
            report.add(
                Result(
                    name=f"delivery.rate_{workers_count}_worker{'s' if workers_count > 1 else ''}",
                    unit="deliveries/s",
                    value=round(rate, 1),
                    baseline={"per_second": round(floor, 1)},
                    baseline_label=f"{total} direct POSTs by {workers_count * CONCURRENCY} threads",
                    ratio=round(rate / floor, 2),
                    notes={
                        "deliveries": total,
                        "seconds": round(seconds, 2),
                        "partners": PARTNERS,
                        "partner_answers_after_s": PARTNER_DELAY,
                        "workers": f"{workers_count} x celery --pool={POOL} --concurrency={CONCURRENCY}",
                        "growth_over_one_worker": round(rate / rates[1], 2),
                    },
                )
            )
    finally:
        for receiver in receivers:
            receiver.close()
        Subscription.objects.filter(agency__code__startswith=f"{seeded.fanout_receiver}-P").update(is_active=False)
