"""The 18 units (16 towns and streets, 高新区, 临港经济开发区) that handle reports."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    lat: float | None
    lon: float | None


@cache
def all_units() -> tuple[Unit, ...]:
    text = resources.files("core").joinpath("data/jiangyin_units.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(
        Unit(
            code=row["code"],
            name=row["name"],
            lat=float(row["lat"]) if row["lat"] else None,
            lon=float(row["lon"]) if row["lon"] else None,
        )
        for row in rows
    )


def find_unit(text: str) -> Unit | None:
    """A unit by its code, full name or a unique name prefix (``澄江`` finds 澄江街道)."""
    text = text.strip()
    if not text:
        return None
    units = all_units()
    for unit in units:
        if text in (unit.code, unit.name):
            return unit
    matches = [u for u in units if u.name.startswith(text)]
    return matches[0] if len(matches) == 1 else None


def unit_name(code: str | None) -> str | None:
    if code is None:
        return None
    unit = find_unit(code)
    return unit.name if unit else code
