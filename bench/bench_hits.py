"""Hit/no-hit checks read in-process, for an officer of a typical country: the search read of
`exchange.hits.hit_check` (`hit_lookup`: the countries whose clauses allow the kind now, and the
digest's records among them), over a few hundred identifiers of the seed that are hits and that
are misses, and the whole check with its writes (the check, its hits, the audit entry).

Baseline: the same lookup by raw SQL (`bench.rawsql.raw_hit_lookup`), in the same run, checked
to give the same answer for every identifier.
"""

import itertools

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.harness import timed
from bench.rawsql import raw_hit_lookup
from bench.seed import TYPICAL, identifiers_of

LOOKUP_LIMIT_MS, LOOKUP_MAX_RATIO, MAX_QUERIES, CHECK_LIMIT_MS = 10, 3, 3, 40
HIT_STATES = ("validated", "shared", "closed")


def samples(searcher, count):
    """(kind, value, country, expected hit) for `count` identifiers of incidents of other
    countries, spread by a hash over the seed (about 1 in 8 is a draft, a submitted or a RED
    record: a miss), and as many that no incident carries."""
    from incidents.identifiers import Identifier

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, country_id, status, marking FROM incidents_incident WHERE country_id <> %s"
            " ORDER BY hashint8extended(id, 7) LIMIT %s",
            [searcher, count],
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT coalesce(max(id), 0) FROM incidents_incident")
        beyond = cursor.fetchone()[0] + 1_000
    found, missing = [], []
    for n, (pk, country, status, marking) in enumerate(rows):
        kind, value, issued_by = identifiers_of(pk, country)[n % 3]
        found.append((Identifier(kind, value, issued_by), status in HIT_STATES and marking != "RED"))
        kind, value, issued_by = identifiers_of(beyond + n, country)[n % 3]
        missing.append((Identifier(kind, value, issued_by), False))
    return found, missing


def run(ctx):
    from exchange import hits
    from exchange.models import HitCheck
    from portal.models import User

    runs = 60 if ctx.quick else 300
    searcher = TYPICAL
    found, missing = samples(searcher, runs)
    today = timezone.localdate()
    # Same answer, identifier by identifier, from the portal's read and the raw one.
    hit_count = 0
    for identifier, expected in found + missing:
        digest = identifier.digest()
        checked, held = hits.hit_lookup(country=searcher, kind=identifier.kind, digest=digest)
        raw_checked, raw_held = raw_hit_lookup(searcher, identifier.kind, digest, today)
        portal_held = {holder: [(pk, ref) for pk, ref, _agency in rows] for holder, rows in held.items()}
        assert (checked, portal_held) == (raw_checked, raw_held), identifier
        assert bool(held) == expected, (identifier, held)
        hit_count += bool(held)
    assert hit_count, "no identifier of the seed was a hit"
    partners = len(hits.hit_lookup(country=searcher, kind="plate", digest="")[0])

    for label, chosen in (("hit", [s for s in found if s[1]]), ("miss", missing)):
        digests = [(identifier.kind, identifier.digest()) for identifier, _expected in chosen]
        portal_next = itertools.cycle(digests).__next__
        raw_next = itertools.cycle(digests).__next__

        def portal_read(following=portal_next):
            kind, digest = following()
            return hits.hit_lookup(country=searcher, kind=kind, digest=digest)

        def raw_read(following=raw_next):
            kind, digest = following()
            return raw_hit_lookup(searcher, kind, digest, timezone.localdate())

        baseline = timed(raw_read, runs)
        figures = timed(portal_read, runs)
        ctx.report.latency(
            f"hits.lookup.{label}",
            figures,
            baseline=baseline,
            baseline_label="raw SQL lookup",
            limit_ms=LOOKUP_LIMIT_MS,
            max_ratio=LOOKUP_MAX_RATIO,
            notes={"identifiers": len(digests), "countries_checked_for_plates": partners},
        )

    kind, digest = found[0][0].kind, found[0][0].digest()
    with CaptureQueriesContext(connection) as queries:
        hits.hit_lookup(country=searcher, kind=kind, digest=digest)
    ctx.report.add_queries(
        "hits.lookup.queries",
        len(queries.captured_queries),
        MAX_QUERIES,
        [q["sql"][:160] for q in queries.captured_queries],
    )

    # The whole check, with what it writes; the searcher's hourly limit is lifted for the run.
    officer = User.objects.select_related("agency__country").get(pk=ctx.seeded.officers[searcher])
    next_sample = itertools.cycle(found + missing).__next__
    before = HitCheck.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def whole_check():
        identifier, _expected = next_sample()
        hits.hit_check(
            actor=officer,
            kind=identifier.kind,
            value=identifier.value,
            country=identifier.country_id,
            purpose="Benchmark of the hit/no-hit check",
        )

    with override_settings(HIT_CHECKS_PER_HOUR_PERSON=10**9):
        checks = timed(whole_check, max(20, runs // 3))
    baseline = timed(lambda: raw_hit_lookup(searcher, kind, digest, timezone.localdate()), max(20, runs // 3))
    HitCheck.objects.filter(id__gt=before).delete()
    ctx.report.latency(
        "hits.check", checks, baseline=baseline, baseline_label="raw SQL lookup", limit_ms=CHECK_LIMIT_MS
    )
