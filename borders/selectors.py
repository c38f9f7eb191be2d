"""Reads of border sectors, crossing points and impact levels. Every one starts from the gate,
`visible_to(principal)`: the owning country and its partners under an agreement in force now."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from borders import geometry
from borders.geometry import distance_km, haversine_km
from borders.models import (
    BorderSector,
    CrossingKind,
    CrossingPoint,
    ImpactLevel,
    ImpactLevelChange,
    seeing_country_ids,
)
from portal.gate import principal_country_id


def sectors_visible_to(principal):
    return BorderSector.objects.visible_to(principal).select_related("country")


def crossings_visible_to(principal):
    return CrossingPoint.objects.visible_to(principal).select_related("country", "sector")


def sector_search(principal, *, q="", country=None, level="", active=None):
    sectors = sectors_visible_to(principal)
    if q:
        sectors = sectors.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(description__icontains=q))
    if country is not None:
        sectors = sectors.filter(country=country)
    if level:
        sectors = sectors.filter(impact_level=level)
    if active is not None:
        sectors = sectors.filter(is_active=active)
    return sectors.order_by("country_id", "code")


def crossing_search(principal, *, q="", country=None, kind="", sector=None):
    crossings = crossings_visible_to(principal)
    if q:
        crossings = crossings.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if country is not None:
        crossings = crossings.filter(country=country)
    if kind:
        crossings = crossings.filter(kind=kind)
    if sector is not None:
        crossings = crossings.filter(sector=sector)
    return crossings.order_by("country_id", "name")


def sector_get(principal, pk):
    return BorderSector.objects.select_related("country").get_visible_or_404(principal, pk=pk)


def crossing_get(principal, pk):
    return CrossingPoint.objects.select_related("country", "sector").get_visible_or_404(principal, pk=pk)


def level_history(principal, sector):
    """The sector's level changes, newest first, through their own gate."""
    return (
        ImpactLevelChange.objects.visible_to(principal)
        .filter(sector=sector)
        .select_related("set_by__agency")
        .order_by("-set_at", "-id")
    )


def sector_incidents(principal, sector):
    """Incidents placed in the sector that the principal may see (the incidents' own gate)."""
    # The sector's reverse relation is the incidents' own gated manager.
    return sector.incidents.visible_to(principal).select_related("country", "agency").order_by("-occurred_at", "-id")


def sector_choices(principal, country_ids):
    """Sectors in use of the given countries that the principal may see (form choices)."""
    return sectors_visible_to(principal).filter(country_id__in=list(country_ids), is_active=True)


def crossing_choices(principal, country_ids):
    return crossings_visible_to(principal).filter(country_id__in=list(country_ids), is_active=True)


def partner_country_ids(principal):
    """The countries whose sectors the principal sees: its own and its partners' now."""
    country_id = principal_country_id(principal)
    return set() if country_id is None else seeing_country_ids(country_id)


def nearest(principal, *, latitude, longitude, country_id=None):
    """The nearest sector in use and the nearest crossing point in use of one country (the
    principal's own unless another is given), among those the principal may see, with their
    distances in km. Either is None when the country has none the principal may see."""
    country_id = country_id or principal_country_id(principal)
    lat, lon = float(latitude), float(longitude)
    sector, sector_km = None, None
    for candidate in sector_choices(principal, [country_id]):
        km = distance_km(candidate.geometry, lon, lat)
        if sector_km is None or km < sector_km:
            sector, sector_km = candidate, km
    crossing, crossing_km = None, None
    for candidate in crossing_choices(principal, [country_id]):
        km = haversine_km(lon, lat, float(candidate.longitude), float(candidate.latitude))
        if crossing_km is None or km < crossing_km:
            crossing, crossing_km = candidate, km
    return {
        "country": country_id,
        "sector": sector,
        "sector_km": None if sector_km is None else round(sector_km, 2),
        "crossing": crossing,
        "crossing_km": None if crossing_km is None else round(crossing_km, 2),
    }


def map_features(principal):
    """Visible sectors in use and crossing points in use as an RFC 7946 FeatureCollection."""
    sector_url = reverse("borders:detail", args=[0]).removesuffix("0/")
    features = []
    for sector in sectors_visible_to(principal).filter(is_active=True):
        features.append(
            {
                "type": "Feature",
                "id": f"sector-{sector.pk}",
                "geometry": sector.geometry,
                "properties": {
                    "kind": "sector",
                    "code": sector.code,
                    "name": sector.name,
                    "country": sector.country_id,
                    "level": sector.impact_level,
                    "level_label": str(sector.get_impact_level_display()),
                    "level_since": sector.impact_level_since.isoformat(),
                    "url": f"{sector_url}{sector.pk}/",
                },
            }
        )
    for crossing in crossings_visible_to(principal).filter(is_active=True):
        features.append(
            {
                "type": "Feature",
                "id": f"crossing-{crossing.pk}",
                "geometry": {"type": "Point", "coordinates": [float(crossing.longitude), float(crossing.latitude)]},
                "properties": {
                    "kind": "crossing",
                    "code": crossing.code,
                    "name": crossing.name,
                    "country": crossing.country_id,
                    "crossing_kind": crossing.kind,
                    "crossing_kind_label": str(crossing.get_kind_display()),
                    "sector": crossing.sector.code if crossing.sector_id else None,
                    "url": f"{sector_url}{crossing.sector_id}/" if crossing.sector_id else None,
                },
            }
        )
    legend = {
        "title": _("Border sectors"),
        "layer": _("Sectors and crossing points"),
        "level": _("Impact level:"),
        "open": _("Open the sector"),
        "levels": [{"value": value, "label": str(label)} for value, label in ImpactLevel.choices],
        "kinds": [{"value": value, "label": str(label)} for value, label in CrossingKind.choices],
    }
    # `legend` is a foreign member (RFC 7946 §6.1): the map's legend in the reader's language.
    return {"type": "FeatureCollection", "features": features, "legend": legend}


def place_on_map(principal, *, latitude=None, longitude=None, sector_id=None, crossing_id=None):
    """Where a map of one thing (an incident, a patrol) centres for this reader: the point when
    there is one, else the crossing point, else the box of the sector, each only while the
    reader's country sees that crossing point or sector. None when there is nothing to show."""
    if latitude is not None and longitude is not None:
        return {"lat": float(latitude), "lon": float(longitude)}
    if crossing_id:
        crossing = crossings_visible_to(principal).filter(pk=crossing_id).first()
        if crossing is not None:
            return {"lat": float(crossing.latitude), "lon": float(crossing.longitude)}
    if sector_id:
        sector = sectors_visible_to(principal).filter(pk=sector_id).first()
        if sector is not None:
            south, west, north, east = geometry.bounds(sector.geometry)
            return {"bounds": f"{south},{west},{north},{east}"}
    return None
