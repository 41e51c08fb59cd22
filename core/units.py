"""The 18 units (16 towns and streets, 高新区, 临港经济开发区) that handle reports.

Each unit has a Chinese name, an English name (pinyin + Town/Subdistrict; the two zones' own English
forms) and its pinyin. ``unit_name(code, locale)`` is the name a reader of that locale sees;
``find_unit`` and ``latin_aliases`` let a person type a place in Chinese, pinyin or English.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    lat: float | None
    lon: float | None
    name_en: str = ""
    pinyin: str = ""  # "qingyang zhen": the stem's syllables joined, the suffix apart

    def label(self, locale: str | None = None) -> str:
        """The name a reader of ``locale`` sees: English for "en*", Chinese otherwise."""
        return self.name_en if locale and locale.startswith("en") and self.name_en else self.name


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
            name_en=row.get("name_en") or "",
            pinyin=row.get("pinyin") or "",
        )
        for row in rows
    )


# Latin words that name a kind of unit; "Qingyang", "qingyang zhen" and "Qingyang Town" are one place.
_KIND_WORDS = ("town", "subdistrict", "street", "district", "zone", "zhen", "jiedao", "qu")
# Short forms people type for the two zones that the name rule does not derive.
_EXTRA_LATIN = {
    "320281400": ("gaoxin", "hi tech zone", "high tech zone", "jiangyin hi tech zone"),
    "320281404": ("lingang", "lingang zone", "lingang development zone"),
}


def latin_key(text: str) -> str:
    """Lower case, punctuation and hyphens as spaces, single spaces: "Hi-Tech  Zone" -> "hi tech zone"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


@cache
def latin_aliases() -> tuple[tuple[str, Unit], ...]:
    """(latin key, unit) for every pinyin/English form of every unit, longest first."""
    pairs: dict[str, Unit] = {}
    for unit in all_units():
        stem = unit.pinyin.split()[0] if unit.pinyin else ""
        forms = [unit.name_en, unit.pinyin, stem, *(f"{stem} {w}" for w in _KIND_WORDS)]
        forms += _EXTRA_LATIN.get(unit.code, ())
        for form in forms:
            key = latin_key(form)
            if key:
                pairs.setdefault(key, unit)
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


def find_latin(text: str) -> Unit | None:
    """The unit named (pinyin or English) anywhere in ``text``: "Chengjiang Renmin Road" -> 澄江街道.

    A name must start a word; its words may be typed joined ("qingyangzhen")."""
    key = latin_key(text)
    if not key:
        return None
    return next((unit for pattern, unit in _latin_patterns() if pattern.search(key)), None)


@cache
def _latin_patterns() -> tuple[tuple[re.Pattern[str], Unit], ...]:
    return tuple(
        (re.compile(r"(?<![a-z])" + r"\s?".join(re.escape(word) for word in alias.split())), unit)
        for alias, unit in latin_aliases()
    )


def find_unit(text: str) -> Unit | None:
    """A unit by its code, Chinese/English/pinyin name, or a unique name prefix (``澄江`` finds
    澄江街道, ``qingyang`` finds 青阳镇)."""
    text = text.strip()
    if not text:
        return None
    units = all_units()
    key = latin_key(text)
    for unit in units:
        if text in (unit.code, unit.name):
            return unit
    for alias, unit in latin_aliases():
        if key and key.replace(" ", "") == alias.replace(" ", ""):
            return unit
    matches = [u for u in units if u.name.startswith(text)]
    if not matches and key:
        matches = [u for u in units if latin_key(u.name_en).startswith(key)]
    return matches[0] if len(matches) == 1 else None


def unit_name(code: str | None, locale: str | None = None) -> str | None:
    """The unit's name for a reader of ``locale`` (Chinese when none is given); an unknown code as is."""
    if code is None:
        return None
    unit = find_unit(code)
    return unit.label(locale) if unit else code
