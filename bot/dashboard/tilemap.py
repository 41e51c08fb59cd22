"""The dashboard's optional interactive map (``WUFEI_DASHBOARD_TILES``): Leaflet (vendored under
``static/vendor/leaflet``, see its README) draws the configured tile server's tiles with the same
things as the server-drawn SVG of ``svgmap.py`` over them: Jiangyin's outline, the unit seats and
the report points of the view. The page carries them as JSON in a ``<script type="application/json">``
block read by ``static/map.js``: the same points the SVG is drawn from (one query, one cut), so a
handler's map never holds another unit's report and no second endpoint needs its own checks."""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.config import Settings
from bot.dashboard.svgmap import outline_rings
from bot.i18n import unit_label
from core.units import all_units


@cache
def _outline() -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outline's rings as (lat, lon) pairs, Leaflet's order."""
    return tuple(tuple((round(lat, 5), round(lon, 5)) for lon, lat in ring) for ring in outline_rings())


def map_data(settings: Settings, points, colours: dict[str, str], lang: str) -> dict[str, Any] | None:
    """What map.js draws; None without a tile server (the page keeps the SVG alone)."""
    if settings.dashboard_tiles is None:
        return None
    return {
        "tiles": settings.dashboard_tiles,
        "attribution": settings.dashboard_tiles_attribution,  # shown as text, never as HTML
        "outline": _outline(),
        "seats": [
            [unit_label(u.code, lang), u.lat, u.lon] for u in all_units() if u.lat is not None and u.lon is not None
        ],
        "points": [[int(p.id), p.ticket, p.status, p.lat, p.lon] for p in points],
        "colours": colours,
    }


def image_sources(settings: Settings) -> str:
    """The CSP's img-src: this server, data: URLs and, when configured, the tile server's origin."""
    origin = settings.dashboard_tiles_origin
    return "'self' data:" + (f" {origin}" if origin else "")
