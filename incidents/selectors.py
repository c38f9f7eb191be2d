"""Reads of incidents. Every one starts from the gate, `Incident.objects.visible_to(principal)`."""

import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone

from incidents import access, live
from incidents.models import Incident, IncidentQuerySet, ShareGrant
from portal.choices import IncidentCategory
from portal.gate import principal_country_id


def incidents_visible_to(principal, at=None):
    """The gate, with the agreement under which each incident reached the principal's country."""
    incidents = Incident.objects.visible_to(principal, at=at).select_related("agency", "country", "sector", "crossing")
    country_id = principal_country_id(principal)
    if country_id is None:
        return incidents
    grant = ShareGrant.objects.filter(incident=OuterRef("pk"), country_id=country_id, revoked_at__isnull=True)
    return incidents.annotate(
        shared_under=Subquery(grant.order_by("-expires_at").values("clause__agreement__reference")[:1])
    )


def incident_get(principal, pk):
    """A visible incident (404 alike for missing and foreign ones), redacted for the principal."""
    incidents = Incident.objects.select_related("agency", "country", "reporter", "sector", "crossing", "handled_by")
    return redact(incidents.get_visible_or_404(principal, pk=pk))


def handled_here(principal, incident):
    """Whether the principal's country handles the incident after an accepted handover (its legal
    basis for seeing all of it); only the owner and that country are told who handles it."""
    return access.handling_country_id(incident) == principal_country_id(principal) is not None


def redact(incident):
    """Blank the personal fields when the principal's country may not receive them (the gate
    annotated the personal-data window; anything else is withheld)."""
    return access.redact(incident, access.personal_data_visible(incident))


def grants_seen_by(principal, incident):
    """The owner sees every grant of its incident; a partner sees only its own country's."""
    grants = ShareGrant.objects.filter(incident=incident).select_related("country", "clause__agreement")
    if principal.agency.country_id != incident.country_id:
        grants = grants.filter(country_id=principal.agency.country_id)
    return grants


def incident_search(
    principal,
    *,
    q="",
    category="",
    country=None,
    severity="",
    marking="",
    status="",
    since=None,
    until=None,
    bbox=None,
    handled_by_us=False,
    shared_under=True,
):
    """The filtered list a principal may see; counts and filters never include foreign rows.
    Readers that do not show the agreement each row came under (the API) leave it out: it is a
    subquery per row."""
    if shared_under:
        incidents = incidents_visible_to(principal)
    else:
        incidents = (
            Incident.objects.visible_to(principal)
            .select_related("sector", "crossing")
            .annotate(agency_code=F("agency__code"))
        )
    if q:
        incidents = _text_search(incidents, q)
    for field, value in (("category", category), ("severity", severity), ("marking", marking), ("status", status)):
        if value:
            incidents = incidents.filter(**{field: value})
    if country is not None:
        incidents = incidents.filter(country=country)
    if handled_by_us:
        # Taken over by the principal's agency through an accepted handover.
        agency_id = getattr(getattr(principal, "agency", None), "pk", None)
        incidents = incidents.filter(handled_by_id=agency_id) if agency_id else incidents.none()
    if since:
        incidents = incidents.filter(occurred_at__date__gte=since)
    if until:
        incidents = incidents.filter(occurred_at__date__lte=until)
    if bbox:
        west, south, east, north = bbox
        incidents = incidents.filter(longitude__gte=west, longitude__lte=east, latitude__gte=south, latitude__lte=north)
    return incidents.order_by(*IncidentQuerySet.LIST_ORDER)


def keyset_page(incidents, cursor, size=50):
    """One page in list order (time, id) after `cursor` ("<iso time>|<id>"), and the next cursor.
    No OFFSET and no COUNT: the cost of a page does not grow with the depth. The bound on the
    time alone is what the index seeks to; the tie on the id only filters the rows at that time."""
    if cursor:
        try:
            stamp, _sep, last_id = cursor.rpartition("|")
            at = datetime.datetime.fromisoformat(stamp)
            incidents = incidents.filter(listed_at__lte=at).filter(Q(listed_at__lt=at) | Q(id__lt=int(last_id)))
        except ValueError:
            pass
    rows = list(incidents[: size + 1])
    following = None
    if len(rows) > size:
        rows = rows[:size]
        following = f"{rows[-1].occurred_at.isoformat()}|{rows[-1].pk}"
    return [redact(row) for row in rows], following


def incident_counts(principal, weeks=12, now=None):
    """Counts by category and by week of what the principal may see, over the last `weeks` weeks."""
    since = (now or timezone.now()) - datetime.timedelta(weeks=weeks)
    recent = Incident.objects.visible_to(principal).filter(listed_at__gte=since)
    by_category = list(recent.values("category").annotate(total=Count("id")).order_by("-total", "category"))
    labels = dict(IncidentCategory.choices)
    for row in by_category:
        row["label"] = labels.get(row["category"], row["category"])
    by_week = list(
        recent.annotate(week=TruncWeek("occurred_at")).values("week").annotate(total=Count("id")).order_by("week")
    )
    return {
        "by_category": by_category,
        "by_week": by_week,
        "total": sum(r["total"] for r in by_category),
        "max_category": max([r["total"] for r in by_category], default=0),
        "max_week": max([r["total"] for r in by_week], default=0),
    }


def _text_search(incidents, q):
    """Full-text search on PostgreSQL (words, stems, quotes and minus signs as in web search);
    substring search elsewhere. References always match exactly or by prefix."""
    if connection.vendor == "postgresql":
        vector = SearchVector("description", "border_sector", "crossing_point", config="simple")
        return incidents.annotate(search=vector).filter(
            Q(search=SearchQuery(q, search_type="websearch", config="simple")) | Q(reference__istartswith=q)
        )
    return incidents.filter(
        Q(reference__icontains=q)
        | Q(description__icontains=q)
        | Q(border_sector__icontains=q)
        | Q(crossing_point__icontains=q)
    )


def dashboard_panel(user):
    """The dashboard's card of incidents the reader's country may see, over the last 12 weeks."""
    if not user.agency_id:
        return None
    page = live.page(user)  # before the data it describes: a change in between comes again
    latest = live.latest(user, page["state"], incident_search(user)) if page else []
    return {"counts": incident_counts(user), "live": page, "latest": latest}
