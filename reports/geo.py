"""Where a report is and which unit handles it.

- ``inside_jiangyin``: point-in-polygon against the county outline (core/data/jiangyin_outline.geojson).
- ``Router.route``: the unit for a point. With an official boundary GeoJSON configured (features whose
  properties name the unit by ``code``/``unit_code`` or ``name``), the polygon containing the point
  wins; otherwise (or when no polygon contains it) the nearest town seat. 高新区 and
  临港经济开发区 have no seat point, so the nearest-seat fallback never picks them: staff reassign.

All coordinates are WGS-84 (lat, lon); GeoJSON stores (lon, lat).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

from core.units import Unit, all_units, find_unit

EARTH_RADIUS_M = 6_371_008.8
# (min_lon, min_lat, max_lon, max_lat) of the county outline, WGS-84.
JIANGYIN_BBOX = (119.985286, 31.689277, 120.595815, 31.992658)

Ring = Sequence[tuple[float, float]]  # (lon, lat) points, closed or not
Polygon = Sequence[Ring]  # outer ring, then holes


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat):
            x_cross = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def in_polygon(lat: float, lon: float, polygon: Polygon) -> bool:
    """Even-odd test: inside the outer ring and in none of the holes."""
    if not polygon or not _in_ring(lon, lat, polygon[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in polygon[1:])


def _polygons(geometry: dict) -> list[Polygon]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [[[tuple(p[:2]) for p in ring] for ring in coords]]
    if kind == "MultiPolygon":
        return [[[tuple(p[:2]) for p in ring] for ring in poly] for poly in coords]
    return []


@dataclass(frozen=True)
class Area:
    """One or more polygons with a bounding box for a quick reject."""

    polygons: tuple[Polygon, ...]
    bbox: tuple[float, float, float, float]

    @classmethod
    def of(cls, polygons: Iterable[Polygon]) -> Area:
        polygons = tuple(polygons)
        lons = [p[0] for poly in polygons for p in poly[0]]
        lats = [p[1] for poly in polygons for p in poly[0]]
        return cls(polygons, (min(lons), min(lats), max(lons), max(lats)))

    def contains(self, lat: float, lon: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return False
        return any(in_polygon(lat, lon, poly) for poly in self.polygons)


@cache
def county_outline() -> Area:
    text = resources.files("core").joinpath("data/jiangyin_outline.geojson").read_text("utf-8")
    polygons = [
        poly
        for feature in json.loads(text)["features"]
        if feature.get("properties", {}).get("kind") == "county_outline"
        for poly in _polygons(feature["geometry"])
    ]
    return Area.of(polygons)


def inside_jiangyin(lat: float, lon: float) -> bool:
    return county_outline().contains(lat, lon)


class RouteMethod(StrEnum):
    POLYGON = "polygon"  # inside an official unit boundary
    NEAREST_SEAT = "nearest_seat"  # no boundaries (or none contained the point): nearest town seat


@dataclass(frozen=True, slots=True)
class Route:
    unit_code: str
    method: RouteMethod
    distance_m: float | None  # to the seat for NEAREST_SEAT, None for POLYGON


def seated_units() -> tuple[Unit, ...]:
    """Units with a seat point; the only ones automatic routing can choose."""
    return tuple(u for u in all_units() if u.lat is not None and u.lon is not None)


def is_valid_unit(code: str) -> bool:
    """Any of the 18 units, seat or not (高新区 and 临港 are valid for reassignment)."""
    return any(u.code == code for u in all_units())


def nearest_seat(lat: float, lon: float) -> tuple[Unit, float]:
    return min(
        ((u, distance_m(lat, lon, u.lat, u.lon)) for u in seated_units()),  # type: ignore[arg-type]
        key=lambda pair: pair[1],
    )


def load_boundaries(path: Path | str) -> dict[str, Area]:
    """Unit polygons from a GeoJSON FeatureCollection; unknown units are an error, not ignored."""
    data = json.loads(Path(path).read_text("utf-8"))
    areas: dict[str, list[Polygon]] = {}
    for feature in data.get("features", []):
        polygons = _polygons(feature.get("geometry") or {})
        if not polygons:
            continue
        props = feature.get("properties") or {}
        key = next((str(props[k]) for k in ("unit_code", "code", "name", "unit", "NAME") if props.get(k)), "")
        unit = find_unit(key)
        if unit is None:
            raise ValueError(f"boundary feature names no known unit: {key!r}")
        areas.setdefault(unit.code, []).extend(polygons)
    return {code: Area.of(polys) for code, polys in areas.items()}


class Router:
    """Routes a point to a unit; ``boundaries`` is the optional official polygon file."""

    def __init__(self, boundaries: Path | str | None = None) -> None:
        self.areas = load_boundaries(boundaries) if boundaries else {}

    def route(self, lat: float, lon: float) -> Route:
        for code, area in self.areas.items():
            if area.contains(lat, lon):
                return Route(code, RouteMethod.POLYGON, None)
        unit, dist = nearest_seat(lat, lon)
        return Route(unit.code, RouteMethod.NEAREST_SEAT, dist)


_default_router = Router()


def route(lat: float, lon: float, router: Router | None = None) -> str:
    """The unit code for a point (nearest seat unless a router with boundaries is given)."""
    return (router or _default_router).route(lat, lon).unit_code
