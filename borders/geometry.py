"""GeoJSON geometries of sectors: validation, and the distance from a point to a sector or a
crossing point (for suggesting the nearest ones to a place clicked on the map)."""

import itertools
import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SECTOR_TYPES = {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}
EARTH_RADIUS_KM = 6371.0088


def _position(value):
    if not (isinstance(value, list | tuple) and len(value) in (2, 3)):
        raise ValidationError(_("Each position is [longitude, latitude]."))
    lon, lat = value[0], value[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        raise ValidationError(_("Each position is [longitude, latitude] in numbers."))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("A position lies outside longitude -180..180 or latitude -90..90."))
    return float(lon), float(lat)


def _line(value, closed=False):
    if not isinstance(value, list) or len(value) < (4 if closed else 2):
        raise ValidationError(
            _("A polygon's ring needs at least four positions.")
            if closed
            else _("A line needs at least two positions.")
        )
    points = [_position(p) for p in value]
    if closed and points[0] != points[-1]:
        raise ValidationError(_("A polygon's ring must end where it starts."))
    return points


def lines_of(geometry):
    """The geometry as lists of (lon, lat) lines (a polygon's rings are lines too), validated."""
    if not isinstance(geometry, dict) or geometry.get("type") not in SECTOR_TYPES:
        raise ValidationError(_("Give a GeoJSON LineString, MultiLineString, Polygon or MultiPolygon."))
    kind, coords = geometry["type"], geometry.get("coordinates")
    if not isinstance(coords, list):
        raise ValidationError(_("The geometry has no coordinates."))
    if kind == "LineString":
        return [_line(coords)]
    if kind == "MultiLineString":
        return [_line(line) for line in coords] or _empty()
    if kind == "Polygon":
        return [_line(ring, closed=True) for ring in coords] or _empty()
    return [_line(ring, closed=True) for polygon in coords for ring in polygon] or _empty()


def _empty():
    raise ValidationError(_("The geometry has no coordinates."))


def validate_geometry(geometry, max_length_km=2000):
    lines = lines_of(geometry)
    if sum(line_length_km(line) for line in lines) > max_length_km:
        raise ValidationError(
            _("The geometry is longer than %(km)s km; draw one sector at a time.") % {"km": max_length_km}
        )
    return geometry


def haversine_km(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def line_length_km(line):
    return sum(haversine_km(*a, *b) for a, b in itertools.pairwise(line))


def _segment_km(lon, lat, a, b):
    # Small distances: project onto a plane scaled at the point's latitude, then measure.
    scale = math.cos(math.radians(lat))
    ax, ay, bx, by = (a[0] - lon) * scale, a[1] - lat, (b[0] - lon) * scale, b[1] - lat
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return haversine_km(lon, lat, lon + px / scale if scale else lon, lat + py)


def _inside(lon, lat, ring):
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def distance_km(geometry, lon, lat):
    """Distance from a point to a sector's geometry (0 inside a polygon)."""
    if geometry.get("type") in {"Polygon", "MultiPolygon"}:
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            if _inside(lon, lat, polygon[0]) and not any(_inside(lon, lat, hole) for hole in polygon[1:]):
                return 0.0
    best = math.inf
    for line in lines_of(geometry):
        if len(line) == 1:
            best = min(best, haversine_km(lon, lat, *line[0]))
        for a, b in itertools.pairwise(line):
            best = min(best, _segment_km(lon, lat, a, b))
    return best


def bounds(geometry):
    """The (south, west, north, east) box around a sector's geometry."""
    points = [point for line in lines_of(geometry) for point in line]
    lons = [lon for lon, _lat in points]
    lats = [lat for _lon, lat in points]
    return min(lats), min(lons), max(lats), max(lons)
