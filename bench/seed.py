"""Bulk seeding of the benchmark data set: incidents over thirty countries, their grants,
guardian permissions and visibility rows, the hit/no-hit index (three identifiers per incident, as
keyed digests), and a hash-chained audit log.

Everything is loaded in bulk (INSERT ... SELECT generate_series, and COPY for the audit log),
never one save at a time. A marker table records what was seeded; a later run that finds the
same version and size reuses it.
"""

import datetime
import hashlib
import json
import time
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.utils import timezone

SEED_VERSION = 5
MARKER_TABLE = "bench_seed_marker"

# Thirty countries, busiest first. `owner` weights how many incidents a country files; `sees`
# is the share of all incidents that partners share with it (0.10 of a million: 100,000).
COUNTRIES = [
    ("PL", 1.00, 0.100),
    ("DE", 0.95, 0.095),
    ("LT", 0.90, 0.090),
    ("FI", 0.85, 0.085),
    ("LV", 0.60, 0.050),
    ("EE", 0.55, 0.045),
    ("RO", 0.50, 0.040),
    ("HU", 0.45, 0.035),
    ("GR", 0.42, 0.030),
    ("BG", 0.40, 0.025),
    ("SK", 0.35, 0.020),
    ("CZ", 0.30, 0.020),
    ("AT", 0.28, 0.015),
    ("SI", 0.25, 0.015),
    ("HR", 0.22, 0.008),
    ("FR", 0.20, 0.007),
    ("ES", 0.20, 0.006),
    ("IT", 0.18, 0.005),
    ("NL", 0.12, 0.004),
    ("BE", 0.10, 0.003),
    ("PT", 0.08, 0.003),
    ("SE", 0.07, 0.002),
    ("NO", 0.06, 0.002),
    ("DK", 0.05, 0.001),
    ("IE", 0.03, 0.0008),
    ("LU", 0.02, 0.0006),
    ("MT", 0.02, 0.0005),
    ("CY", 0.015, 0.0004),
    ("CH", 0.012, 0.0003),
    ("IS", 0.01, 0.0003),
]
TYPICAL = "PL"  # sees about 100,000 shared incidents at full scale, and files the most
RARE = "IS"  # sees a few hundred, files a few thousand

CATEGORIES = [
    ("illegal_crossing", 30),
    ("smuggling_goods", 15),
    ("smuggling_tobacco", 15),
    ("migrant_smuggling", 10),
    ("document_fraud", 10),
    ("smuggling_drugs", 6),
    ("stolen_vehicle", 5),
    ("trafficking", 3),
    ("search_rescue", 3),
    ("smuggling_weapons", 1),
    ("terrorism", 1),
    ("other", 1),
]
# Rough centres of the countries' borders, for points on the map.
CENTRES = {
    "PL": (52.1, 21.0),
    "DE": (51.0, 10.4),
    "LT": (55.2, 23.9),
    "FI": (63.0, 27.0),
    "LV": (56.9, 24.6),
    "EE": (58.6, 25.0),
    "RO": (45.9, 24.9),
    "HU": (47.2, 19.5),
    "GR": (39.1, 22.0),
    "BG": (42.7, 25.5),
    "SK": (48.7, 19.7),
    "CZ": (49.8, 15.5),
    "AT": (47.5, 14.6),
    "SI": (46.1, 14.9),
    "HR": (45.1, 15.2),
    "FR": (46.2, 2.2),
    "ES": (40.4, -3.7),
    "IT": (42.8, 12.6),
    "NL": (52.1, 5.3),
    "BE": (50.5, 4.5),
    "PT": (39.4, -8.2),
    "SE": (60.1, 18.6),
    "NO": (60.5, 8.5),
    "DK": (56.3, 9.5),
    "IE": (53.4, -8.2),
    "LU": (49.8, 6.1),
    "MT": (35.9, 14.4),
    "CY": (35.1, 33.4),
    "CH": (46.8, 8.2),
    "IS": (64.9, -19.0),
}
YEARS = 5  # incidents spread over the last five years
PASSWORD = "Bench-Portal-2026!"  # noqa: S105  (benchmark accounts on a benchmark database)
# Identifier kinds the clauses let partners check for a hit: vehicles and vessels between every two
# countries, documents and phones (personal data) where the clause shares personal data.
HIT_NO_HIT_KINDS = ["plate", "vin", "imo", "mmsi"]
PERSONAL_HIT_NO_HIT_KINDS = ["document", "phone"]


@dataclass(frozen=True)
class Scale:
    incidents: int = 1_000_000
    audit_entries: int = 1_000_000

    @property
    def key(self):
        # The digests hold only under the key they were computed with: another key, another seed.
        return {"version": SEED_VERSION, **asdict(self), "digest_key": digest_key_fingerprint()}


def digest_key_fingerprint():
    from django.conf import settings

    return hashlib.sha256(b"bench-seed\x00" + settings.EXCHANGE_HASH_KEY.encode()).hexdigest()[:16]


@dataclass
class Seeded:
    """What the benchmarks need to know about the seeded data."""

    scale: Scale
    officers: dict  # country code -> user id
    agencies: dict  # country code -> agency id
    fanout_provider: str
    fanout_receiver: str
    reused: bool
    seconds: float


def _marker():
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id int PRIMARY KEY, key jsonb, seeded_at timestamptz)"
        )
        cursor.execute(f"SELECT key FROM {MARKER_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def _set_marker(scale):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (id, key, seeded_at) VALUES (1, %s, now())",  # noqa: S608
            [json.dumps(scale.key)],
        )


def seed(scale=None, *, force=False, log=print):
    """Seed (or reuse) the data set of this scale; returns what the benchmarks need."""
    from incidents.models import Incident
    from portal.models import AuditEntry

    scale = scale or Scale()
    started = time.monotonic()
    reused = False
    if not force and _marker() == scale.key and Incident.objects.count() >= scale.incidents:
        reused = True
        log(f"  reusing the seeded data set ({scale.incidents:,} incidents, version {SEED_VERSION})")
    else:
        log(f"  seeding {scale.incidents:,} incidents over {len(COUNTRIES)} countries (bulk load)")
        _seed_all(scale, log)
        _set_marker(scale)
    audit_count = AuditEntry.objects.count()
    if not scale.audit_entries <= audit_count <= scale.audit_entries * 1.2 or not reused:
        log(f"  seeding {scale.audit_entries:,} audit entries (COPY, hash-chained)")
        _seed_audit(scale.audit_entries, log)
    seeded = _describe(scale, reused, time.monotonic() - started)
    log(f"  data set ready in {seeded.seconds:.1f} s")
    return seeded


def _describe(scale, reused, seconds):
    from portal.models import Agency, User

    codes = [c for c, _o, _s in COUNTRIES]
    agencies = dict(Agency.objects.filter(code__in=[f"{c}-BG" for c in codes]).values_list("country_id", "pk"))
    officers = dict(
        User.objects.filter(username__in=[f"bench.{c.lower()}.officer" for c in codes]).values_list(
            "agency__country_id", "pk"
        )
    )
    return Seeded(scale, officers, agencies, "LT", "PL", reused, seconds)


def _step(log, what, fn):
    start = time.monotonic()
    result = fn()
    log(f"    {what}: {time.monotonic() - start:.1f} s")
    return result


@transaction.atomic
def _seed_all(scale, log):
    _step(log, "wipe previous data", _wipe)
    refs = _step(log, "countries, agencies, officers, agreements", _reference_data)
    _step(log, "incidents", lambda: _incidents(scale, refs))
    _step(log, "owner visibility rows", lambda: _owner_visibility(refs))
    _step(log, "partner grants and visibility rows", lambda: _partner_shares(scale, refs))
    _step(log, "hit/no-hit index (identifier digests)", _identifier_digests)
    _step(log, "analyse", _analyse)


def _wipe():
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_incident, incidents_sharegrant,"
            " incidents_incidentgroupobjectpermission, incidents_alert, incidents_alertdelivery,"
            " incidents_subscription, incidents_incidentcounter, exchange_hitcheck CASCADE"
        )
    from agreements.models import Agreement

    Agreement.objects.filter(reference__startswith="BENCH/").delete()


def _reference_data():
    """Countries' groups, one border guard per country with an officer, and a bilateral
    agreement in force between every two countries with a mutual, on-request clause."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agreements.models import Agreement, AgreementParty, DataSharingClause
    from portal.models import Agency, Country, User
    from portal.services import country_group

    codes = [c for c, _o, _s in COUNTRIES]
    countries = {c.pk: c for c in Country.objects.filter(pk__in=codes)}
    groups = {code: country_group(countries[code]).pk for code in codes}
    agencies = {}
    for code in codes:
        agency, _created = Agency.objects.get_or_create(
            code=f"{code}-BG",
            defaults={"name": f"Border Guard of {countries[code].name}", "country_id": code, "kind": "border_guard"},
        )
        agencies[code] = agency.pk
    password = make_password(PASSWORD)
    for code in codes:
        user, created = User.objects.get_or_create(
            username=f"bench.{code.lower()}.officer",
            defaults={"agency_id": agencies[code], "is_officer": True, "is_supervisor": True, "password": password},
        )
        user.groups.add(groups[code])
        if created:
            TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    today = timezone.localdate()
    agreements = Agreement.objects.bulk_create(
        Agreement(
            kind="mou",
            reference=f"BENCH/{a}-{b}",
            title=f"Border cooperation {a}-{b}",
            status="in_force",
            signed_on=today - datetime.timedelta(days=365 * YEARS + 30),
            effective_from=today - datetime.timedelta(days=365 * YEARS + 10),
        )
        for i, a in enumerate(codes)
        for b in codes[i + 1 :]
    )
    pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]]
    AgreementParty.objects.bulk_create(
        AgreementParty(agreement=agreement, country_id=code, agency_id=agencies[code])
        for agreement, pair in zip(agreements, pairs, strict=True)
        for code in pair
    )
    all_categories = [c for c, _w in CATEGORIES]
    clauses = DataSharingClause.objects.bulk_create(
        DataSharingClause(
            agreement=agreement,
            mutual=True,
            categories=all_categories,
            max_marking="AMBER+STRICT",
            personal_data=(codes.index(a) + codes.index(b)) % 3 == 0,
            retention_days=365 * (YEARS + 5),
            mode="on_request",
            purpose="Risk analysis and operational follow-up",
            hit_no_hit_kinds=HIT_NO_HIT_KINDS
            + (PERSONAL_HIT_NO_HIT_KINDS if (codes.index(a) + codes.index(b)) % 3 == 0 else []),
        )
        for agreement, (a, b) in zip(agreements, pairs, strict=True)
    )
    # The pair the fan-out benchmark uses also shares search-and-rescue incidents automatically.
    lt_pl = next(ag for ag, pair in zip(agreements, pairs, strict=True) if set(pair) == {"LT", "PL"})
    DataSharingClause.objects.create(
        agreement=lt_pl,
        provider_id="LT",
        receiver_id="PL",
        categories=["search_rescue"],
        max_marking="AMBER",
        personal_data=False,
        retention_days=30,
        mode="automatic",
        purpose="Search and rescue coordination",
    )
    clause_of = {}
    for clause, (a, b) in zip(clauses, pairs, strict=True):
        clause_of[(a, b)] = clause_of[(b, a)] = (clause.pk, clause.personal_data)
    return {"codes": codes, "agencies": agencies, "groups": groups, "clauses": clause_of}


def _incidents(scale, refs):
    codes = refs["codes"]
    total_weight = sum(o for _c, o, _s in COUNTRIES)
    bounds, running = [], 0.0
    for _code, owner, _sees in COUNTRIES:
        bounds.append(running / total_weight)
        running += owner
    categories, running = [], 0
    category_bounds = []
    for name, weight in CATEGORIES:
        categories.append(name)
        category_bounds.append(running / 100)
        running += weight
    lat = [CENTRES[c][0] for c in codes]
    lon = [CENTRES[c][1] for c in codes]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH g AS (
                SELECT n,
                       width_bucket(((abs(hashint8extended(n, 1)) %% 1000000) / 1e6)::float8,
                                    %(bounds)s::float8[]) AS c,
                       ((abs(hashint8extended(n, 2)) %% 1000000) / 1e6)::float8 AS u2,
                       ((abs(hashint8extended(n, 3)) %% 1000000) / 1e6)::float8 AS u3,
                       ((abs(hashint8extended(n, 4)) %% 1000000) / 1e6)::float8 AS u4,
                       abs(hashint8extended(n, 5)) %% 1000 AS h5
                FROM generate_series(1, %(n)s) AS n
            ), r AS (
                SELECT g.*,
                       now() - make_interval(secs => (1 - n::float8 / %(n)s) * %(span)s + u2 * 3600) AS at,
                       (%(codes)s::text[])[c] AS code
                FROM g
            )
            INSERT INTO incidents_incident (
                id, reference, status, category, occurred_at, latitude, longitude, border_sector,
                crossing_point, description, people_involved, severity, source_reliability,
                information_credibility, marking, has_personal_data, person_name, person_birth_date,
                person_nationality, person_document_number, validated_at, created_at, updated_at,
                agency_id, country_id, reported_via
            )
            SELECT n,
                   code || '-BG-' || extract(year FROM at)::int || '-' || lpad(n::text, 7, '0'),
                   CASE WHEN h5 < 850 THEN 'shared' WHEN h5 < 900 THEN 'closed' WHEN h5 < 950 THEN 'validated'
                        WHEN h5 < 980 THEN 'submitted' ELSE 'draft' END,
                   (%(categories)s::text[])[width_bucket(u3, %(category_bounds)s::float8[])],
                   at,
                   CASE WHEN h5 %% 10 < 9 THEN round(((%(lat)s::float8[])[c] + (u4 - 0.5) * 3)::numeric, 6) END,
                   CASE WHEN h5 %% 10 < 9 THEN round(((%(lon)s::float8[])[c] + (u2 - 0.5) * 5)::numeric, 6) END,
                   code || ' sector ' || (h5 %% 12 + 1),
                   code || ' crossing point ' || (h5 %% 40 + 1),
                   (ARRAY['Group of people crossed the green border at night; tracks followed to the road.',
                          'Lorry with a false floor; cigarettes without excise stamps found during inspection.',
                          'Forged residence permit presented at the crossing point; holder turned back.',
                          'Vehicle reported stolen abroad stopped at the border; driver questioned.',
                          'Drone seen carrying packages across the river; landing point searched.',
                          'Small boat in distress near the coast; rescue coordinated with the neighbour.'])[h5 %% 6 + 1]
                       || ' Patrol ' || (h5 %% 97 + 1) || ' reported at ' || to_char(at, 'HH24:MI') || '.',
                   (h5 %% 13),
                   (ARRAY['low','medium','medium','high','critical'])[h5 %% 5 + 1],
                   (ARRAY['A','B','B','C','C','D','F'])[h5 %% 7 + 1],
                   (ARRAY['1','2','2','3','3','4','6'])[(h5 / 7) %% 7 + 1],
                   CASE WHEN h5 %% 33 = 0 THEN 'RED' WHEN h5 %% 5 = 0 THEN 'CLEAR' WHEN h5 %% 5 < 3 THEN 'GREEN'
                        ELSE 'AMBER' END,
                   h5 %% 5 = 1,
                   CASE WHEN h5 %% 5 = 1 THEN 'Person ' || n ELSE '' END,
                   CASE WHEN h5 %% 5 = 1 THEN date '1970-01-01' + (n %% 15000)::int END,
                   CASE WHEN h5 %% 5 = 1 THEN (%(codes)s::text[])[(n %% 30) + 1] ELSE '' END,
                   CASE WHEN h5 %% 5 = 1 THEN 'X' || lpad((n %% 9999999)::text, 8, '0') ELSE '' END,
                   CASE WHEN h5 < 950 THEN at + interval '2 hours' END,
                   at + interval '1 hour',
                   at + interval '2 hours',
                   (%(agencies)s::bigint[])[c],
                   code,
                   ''
            FROM r
            """,
            {
                "n": scale.incidents,
                "bounds": bounds,
                "codes": codes,
                "span": YEARS * 365 * 86400,
                "categories": categories,
                "category_bounds": category_bounds,
                "lat": lat,
                "lon": lon,
                "agencies": [refs["agencies"][c] for c in codes],
            },
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'),"
            " (SELECT max(id) FROM incidents_incident))"
        )


# The visibility index is guardian's permission table of incidents: each row carries the country's
# group and `view_incident`, with the window and the personal-data flag the gate reads. The group
# of a country is looked up in two parallel arrays (group ids, country codes).
OWNER_INDEX_ROWS = """
INSERT INTO incidents_incidentgroupobjectpermission
    (content_object_id, country_id, group_id, permission_id, occurred_at, expires_at,
     personal_data, personal_data_until, is_owner)
SELECT id, country_id, (%s::int[])[array_position(%s::text[], country_id::text)], %s, occurred_at,
       NULL, true, NULL, true
FROM incidents_incident
"""
PARTNER_INDEX_ROWS = """
INSERT INTO incidents_incidentgroupobjectpermission
    (content_object_id, country_id, group_id, permission_id, occurred_at, expires_at,
     personal_data, personal_data_until, is_owner)
SELECT g.incident_id, g.country_id, (%s::int[])[array_position(%s::text[], g.country_id::text)], %s,
       i.occurred_at, g.expires_at, g.personal_data, CASE WHEN g.personal_data THEN g.expires_at END, false
FROM incidents_sharegrant g JOIN incidents_incident i ON i.id = g.incident_id
"""


def _view_incident():
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="incidents", codename="view_incident").pk


def _group_args(refs):
    codes = refs["codes"]
    return [[refs["groups"][c] for c in codes], codes]


def _owner_visibility(refs):
    with connection.cursor() as cursor:
        cursor.execute(OWNER_INDEX_ROWS, [*_group_args(refs), _view_incident()])


def _partner_shares(scale, refs):
    """Each receiving country gets its share of the other countries' shared incidents, chosen by
    a hash (stable between runs), under the clause of the pair's agreement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT country_id, count(*) FROM incidents_incident WHERE status = 'shared' AND marking <> 'RED'"
            " GROUP BY country_id"
        )
        shareable = dict(cursor.fetchall())
        total = sum(shareable.values())
        receivers = []
        for index, (code, _owner, sees) in enumerate(COUNTRIES):
            others = total - shareable.get(code, 0)
            probability = min(1.0, sees * scale.incidents / others) if others else 0.0
            receivers.append((code, index + 100, int(probability * 1_000_000)))
        cursor.execute("CREATE TEMP TABLE bench_clause (provider text, receiver text, clause bigint, personal bool)")
        with cursor.copy("COPY bench_clause FROM STDIN") as copy:
            for (a, b), (clause, personal) in refs["clauses"].items():
                copy.write_row((a, b, clause, personal))
        cursor.execute("CREATE TEMP TABLE bench_receiver (code text, seed int, threshold int)")
        with cursor.copy("COPY bench_receiver FROM STDIN") as copy:
            for row in receivers:
                copy.write_row(row)
        cursor.execute(
            """
            INSERT INTO incidents_sharegrant (incident_id, country_id, clause_id, personal_data, on_request,
                                              granted_at, expires_at, revoked_reason, end_reason)
            SELECT i.id, r.code, c.clause, c.personal, true,
                   i.occurred_at + interval '3 hours',
                   i.occurred_at + interval '3 hours' + make_interval(days => %s),
                   '', ''
            FROM incidents_incident i
            JOIN bench_receiver r ON r.code <> i.country_id
            JOIN bench_clause c ON c.provider = i.country_id AND c.receiver = r.code
            WHERE i.status = 'shared' AND i.marking <> 'RED'
              AND abs(hashint8extended(i.id, r.seed)) %% 1000000 < r.threshold
            """,
            [365 * (YEARS + 5)],
        )
        cursor.execute(PARTNER_INDEX_ROWS, [*_group_args(refs), _view_incident()])
        cursor.execute("DROP TABLE bench_clause, bench_receiver")


# --- The hit/no-hit index ------------------------------------------------------------------------

# The identifiers of incident n, as SQL and as Python compute them (the same values): a plate of
# the incident's country, a VIN (made outside North America, so no check digit) and an MMSI.
IDENTIFIERS_SQL = """
SELECT i.id AS incident_id, i.country_id, k.kind,
       CASE k.kind WHEN 'plate' THEN i.country_id END AS issued_by,
       CASE k.kind WHEN 'plate' THEN 'B' || i.id
                   WHEN 'vin' THEN 'WBABNCH' || lpad(i.id::text, 10, '0')
                   ELSE (200000000 + i.id)::text END AS value
FROM incidents_incident i CROSS JOIN (VALUES ('plate'), ('vin'), ('mmsi')) AS k(kind)
"""


def identifiers_of(incident_id, country_id):
    """(kind, canonical value, issuing country or None) of the seeded incident's identifiers."""
    return [
        ("plate", f"B{incident_id}", country_id),
        ("vin", f"WBABNCH{incident_id:010d}", None),
        ("mmsi", str(200_000_000 + incident_id), None),
    ]


def digest_sql(kind, country, value, key):
    """`incidents.identifiers.digest` in SQL (pgcrypto's hmac), over SQL expressions."""
    message = f"'incident-identifier' || chr(31) || {kind} || chr(31) || coalesce({country}, '') || chr(31) || {value}"
    return f"encode(hmac(convert_to({message}, 'UTF8'), convert_to({key}, 'UTF8'), 'sha256'), 'hex')"


def _identifier_digests():
    """Three identifiers per incident in the hit/no-hit index, as the portal writes them: the
    keyed digest, the kind, the incident and its owner country (never the value). Computed in the
    database with pgcrypto, under the portal's key (`EXCHANGE_HASH_KEY`)."""
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        cursor.execute(
            "INSERT INTO incidents_identifierdigest (kind, digest, incident_id, country_id)"  # noqa: S608
            f" SELECT kind, {digest_sql('kind', 'issued_by', 'value', '%s')}, incident_id, country_id"
            f" FROM ({IDENTIFIERS_SQL}) AS identifiers",
            [settings.EXCHANGE_HASH_KEY],
        )


def _analyse():
    with connection.cursor() as cursor:
        for table in (
            "incidents_incident",
            "incidents_sharegrant",
            "incidents_incidentgroupobjectpermission",
            "incidents_identifierdigest",
            "agreements_agreement",
            "agreements_agreementparty",
            "agreements_datasharingclause",
        ):
            cursor.execute(f"ANALYZE {table}")


def _seed_audit(count, log):
    """A hash-chained audit log of `count` entries, written with COPY. The hashes are computed by
    the portal's own `entry_hash`, so `verify_audit_log` checks them as it checks real entries."""
    from portal.audit import GENESIS_HASH, entry_hash
    from portal.models import AuditChainHead

    actions = ["user.login", "incident.viewed", "incident.listed", "incident.exported", "agreement.viewed"]
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=365 * YEARS)
    step = datetime.timedelta(days=365 * YEARS) / max(count, 1)
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE portal_auditentry")
        prev = GENESIS_HASH
        with cursor.copy(
            "COPY portal_auditentry (timestamp, actor_id, actor_label, agency_id, action, object_type, object_id,"
            " object_repr, ip_address, details, prev_hash, hash) FROM STDIN"
        ) as copy:
            for n in range(count):
                action = actions[n % len(actions)]
                incident = 1 + (n * 7919) % 1_000_000
                fields = {
                    "timestamp": start + step * n,
                    "actor_id": None,
                    "actor_label": f"bench.{n % 30}.officer",
                    "agency_id": None,
                    "action": action,
                    "object_type": "incidents.incident" if action == "incident.viewed" else "",
                    "object_id": str(incident) if action == "incident.viewed" else "",
                    "object_repr": f"PL-BG-2025-{incident:07d}" if action == "incident.viewed" else "",
                    "ip_address": f"10.{n % 200}.{n % 250}.{n % 240 + 1}",
                    "details": {"incidents": [incident, incident + 1, incident + 2]}
                    if action == "incident.listed"
                    else {"owner_country": "LT"},
                }
                digest = entry_hash(prev_hash=prev, **fields)
                copy.write_row(
                    (
                        fields["timestamp"],
                        None,
                        fields["actor_label"],
                        None,
                        action,
                        fields["object_type"],
                        fields["object_id"],
                        fields["object_repr"],
                        fields["ip_address"],
                        json.dumps(fields["details"]),
                        prev,
                        digest,
                    )
                )
                prev = digest
        AuditChainHead.objects.update_or_create(pk=1, defaults={"last_hash": prev, "length": count})
        cursor.execute("ANALYZE portal_auditentry")
    log(f"    audit log: {time.monotonic() - started:.1f} s")
