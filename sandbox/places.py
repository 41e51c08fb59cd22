"""Preset Jiangyin places for sharing a location in the web chat.

Town-seat points (WGS-84) from GeoNames (https://www.geonames.org/), licensed CC BY 4.0;
division codes from modood/Administrative-divisions-of-China (NBS 2023).
See sandbox/data/jiangyin_places.csv.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "jiangyin_places.csv"
ATTRIBUTION = "Town-seat points: GeoNames (geonames.org), CC BY 4.0"


@dataclass(frozen=True)
class Place:
    name: str
    name_en: str
    code: str
    latitude: float
    longitude: float

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "name_en": self.name_en,
            "code": self.code,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    with DATA.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    return tuple(Place(r["name"], r["name_en"], r["code"], float(r["lat"]), float(r["lon"])) for r in rows)


def place(name: str) -> Place:
    for p in places():
        if name in (p.name, p.name_en, p.code) or p.name_en.lower() == name.lower():
            return p
    raise KeyError(name)


def nearest(lat: float, lon: float) -> tuple[Place, float]:
    """Nearest preset place and its distance in metres (haversine)."""

    def dist(p: Place) -> float:
        r = 6371000.0
        dlat, dlon = math.radians(p.latitude - lat), math.radians(p.longitude - lon)
        a = (
            math.sin(dlat / 2) ** 2
            + math.cos(math.radians(lat)) * math.cos(math.radians(p.latitude)) * math.sin(dlon / 2) ** 2
        )
        return 2 * r * math.asin(math.sqrt(a))

    best = min(places(), key=dist)
    return best, dist(best)
