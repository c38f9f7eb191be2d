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
