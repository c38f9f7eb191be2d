"""The baselines: pages read by raw SQL on the visibility index and turned into JSON, with no
Django in between. Used in-process (Django's cursor) and by the baseline WSGI app (psycopg's)."""

import datetime
import json

PAGE = 50
FAR_FUTURE = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
FIRST = (FAR_FUTURE, 2**62)  # "after" values that start at the top of the list

# The columns the API returns, read straight from the tables, with the redaction flag.
RAW_PAGE_SQL = """
SELECT i.id, i.reference, a.code AS agency, i.country_id AS country, i.status, i.exercise_id IS NOT NULL AS is_exercise,
       i.category, i.occurred_at, i.latitude, i.longitude, i.border_sector, i.crossing_point, i.description,
       i.people_involved, i.severity, i.source_reliability, i.information_credibility, i.marking,
       i.has_personal_data, i.person_name, i.person_birth_date, i.person_nationality, i.person_document_number,
       v.personal_data, i.follow_up_of_id AS follow_up_of, i.validated_at, i.created_at, i.updated_at
FROM incidents_incidentgroupobjectpermission v
JOIN incidents_incident i ON i.id = v.content_object_id
JOIN portal_agency a ON a.id = i.agency_id
WHERE v.country_id = %s AND (v.expires_at IS NULL OR v.expires_at > now())
  AND (v.occurred_at, v.content_object_id) < (%s, %s)
ORDER BY v.occurred_at DESC, v.content_object_id DESC
LIMIT %s
"""
PERSONAL = ("person_name", "person_birth_date", "person_nationality", "person_document_number")

RAW_GEOJSON_SQL = """
SELECT i.id, i.reference, i.category, i.occurred_at, i.severity, i.marking, i.country_id, i.exercise_id IS NOT NULL,
       i.latitude, i.longitude
FROM incidents_incidentgroupobjectpermission v
JOIN incidents_incident i ON i.id = v.content_object_id
WHERE v.country_id = %s AND (v.expires_at IS NULL OR v.expires_at > now()) AND i.latitude IS NOT NULL
ORDER BY v.occurred_at DESC, v.content_object_id DESC
LIMIT 1001
"""


def page_json(cursor, country, after_at, after_id, size=PAGE):
    """One page, redacted, as JSON text."""
    cursor.execute(RAW_PAGE_SQL, [country, after_at, after_id, size])
    names = [c.name for c in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        visible = row.pop("personal_data")
        row["personal_data_withheld"] = row["has_personal_data"] and not visible
        if not visible or not row["has_personal_data"]:
            for field in PERSONAL:
                row[field] = None
        rows.append(row)
    return json.dumps({"next": None, "previous": None, "results": rows}, default=str)


def geojson(cursor, country):
    cursor.execute(RAW_GEOJSON_SQL, [country])
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
            "properties": {
                "reference": ref,
                "category": cat,
                "occurred_at": at.isoformat(),
                "severity": sev,
                "marking": mark,
                "country": cc,
                "exercise": ex,
                "url": f"/incidents/{pk}/",
            },
        }
        for pk, ref, cat, at, sev, mark, cc, ex, lat, lon in cursor.fetchall()
    ]
    return json.dumps({"type": "FeatureCollection", "features": features})


def raw_page(country, after_at, after_id, size=PAGE):
    from django.db import connection

    with connection.cursor() as cursor:
        return page_json(cursor, country, after_at, after_id, size)


def raw_geojson(country):
    from django.db import connection

    with connection.cursor() as cursor:
        return geojson(cursor, country)


# The hit/no-hit check's read: the countries whose clauses (of agreements in force today, by
# status and dates) let the receiver check this kind, by the clauses' directions and `mutual`;
# then the digest's records among them (validated, shared or closed; never RED, never exercise).
RAW_HIT_PROVIDERS_SQL = """
SELECT DISTINCT p.country_id
FROM agreements_datasharingclause c
JOIN agreements_agreement a ON a.id = c.agreement_id
JOIN agreements_agreementparty r ON r.agreement_id = a.id AND r.country_id = %(receiver)s
JOIN agreements_agreementparty p ON p.agreement_id = a.id AND p.country_id <> %(receiver)s
WHERE a.status = 'in_force' AND a.effective_from <= %(today)s
  AND (a.expires_on IS NULL OR a.expires_on >= %(today)s OR (a.auto_renewal AND a.renewal_months > 0))
  AND c.hit_no_hit_kinds @> %(kinds)s::jsonb
  AND (((c.provider_id IS NULL OR c.provider_id = p.country_id)
        AND (c.receiver_id IS NULL OR c.receiver_id = %(receiver)s))
       OR (c.mutual AND (c.provider_id IS NULL OR c.provider_id = %(receiver)s)
           AND (c.receiver_id IS NULL OR c.receiver_id = p.country_id)))
"""
RAW_HIT_SQL = """
SELECT d.country_id, i.id, i.reference
FROM incidents_identifierdigest d JOIN incidents_incident i ON i.id = d.incident_id
WHERE d.kind = %(kind)s AND d.digest = %(digest)s AND d.country_id = ANY(%(countries)s)
  AND i.status IN ('validated', 'shared', 'closed') AND i.marking <> 'RED' AND i.exercise_id IS NULL
ORDER BY d.country_id, i.reference
"""


def hit_lookup(cursor, receiver, kind, digest, today):
    """(countries checked, {holder: [(incident id, reference)]}), as `exchange.hits.hit_lookup`."""
    cursor.execute(RAW_HIT_PROVIDERS_SQL, {"receiver": receiver, "today": today, "kinds": json.dumps([kind])})
    checked = {row[0] for row in cursor.fetchall()}
    found = {}
    if checked:
        cursor.execute(RAW_HIT_SQL, {"kind": kind, "digest": digest, "countries": sorted(checked)})
        for holder, pk, reference in cursor.fetchall():
            found.setdefault(holder, []).append((pk, reference))
    return checked, found


def raw_hit_lookup(receiver, kind, digest, today):
    from django.db import connection

    with connection.cursor() as cursor:
        return hit_lookup(cursor, receiver, kind, digest, today)
