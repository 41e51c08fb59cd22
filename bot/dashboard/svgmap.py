"""The default map of the dashboard: Jiangyin's outline (``core/data/jiangyin_outline.geojson``)
and the unit seats, drawn as inline SVG on the server; no tiles, no JavaScript, nothing fetched
from the internet. An equirectangular projection scaled by cos(latitude) is exact enough for a
county 60 km wide."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from markupsafe import Markup, escape

from core.units import all_units

WIDTH = 1000.0


@dataclass(frozen=True, slots=True)
class Frame:
    west: float
    north: float
    scale_x: float
    scale_y: float
    height: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return round((lon - self.west) * self.scale_x, 1), round((self.north - lat) * self.scale_y, 1)


@cache
def outline_rings() -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outline's rings as (lon, lat) pairs, as in the file (read once; the tile map uses them too)."""
    data = json.loads(resources.files("core").joinpath("data/jiangyin_outline.geojson").read_text("utf-8"))
    rings: list[tuple[tuple[float, float], ...]] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        if geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue  # the file's points are the unit seats, drawn from core.units
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            rings.extend(tuple((float(p[0]), float(p[1])) for p in ring) for ring in polygon)
    return tuple(rings)


@cache
def frame_and_outline() -> tuple[Frame, str]:
    """The projection and the outline's SVG path (computed once)."""
    rings = outline_rings()
    lons = [x for ring in rings for x, _ in ring]
    lats = [y for ring in rings for _, y in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x, pad_y = (east - west) * 0.02, (north - south) * 0.02
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    scale_x = WIDTH / (east - west)
    scale_y = scale_x / math.cos(math.radians((north + south) / 2))
    frame = Frame(west, north, scale_x, scale_y, round((north - south) * scale_y, 1))
    parts = []
    for ring in rings:
        points = [frame.xy(lat, lon) for lon, lat in ring]
        parts.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
    return frame, " ".join(parts)


@cache
def unit_seats() -> tuple[tuple[str, float, float], ...]:
    """(unit code, x, y) of every unit's seat."""
    frame, _ = frame_and_outline()
    return tuple((u.code, *frame.xy(u.lat, u.lon)) for u in all_units() if u.lat is not None and u.lon is not None)


def point_marks(points, frame: Frame, colours: dict[str, str]) -> Markup:
    """The map's points as SVG (one link each to the report's page), built in one pass: a thousand
    points through the template engine cost more than the database reads of the page."""
    marks = []
    for p in points:
        x, y = frame.xy(p.lat, p.lon)
        marks.append(
            f'<a href="/dashboard/reports/{int(p.id)}"><circle cx="{x}" cy="{y}" r="9" '
            f'fill="{colours[p.status]}" data-testid="map-point"><title>{escape(p.ticket)}</title>'
            f"</circle></a>"
        )
    return Markup("".join(marks))
