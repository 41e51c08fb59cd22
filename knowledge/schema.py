"""Pydantic models for the sorting knowledge base (see knowledge/DATA.md).

Raw models (`RawGroup`, `RawItem`) mirror the YAML files; `Item` is the resolved
item after group -> item inheritance. Bilingual texts allow a missing language so
that lint can report "missing en tip" precisely instead of a generic schema error.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class KbError(Exception):
    """Raised for invalid data, clashes on runtime curation, or unusable input."""


class Category(str, Enum):
    recyclable = "recyclable"
    hazardous = "hazardous"
    food = "food"
    residual = "residual"


class Stream(str, Enum):
    bulky = "bulky"
    renovation = "renovation"
    e_waste = "e_waste"
    medical = "medical"
    pesticide_packaging = "pesticide_packaging"
    farm_film = "farm_film"
    express_packaging = "express_packaging"
    textile = "textile"


CATEGORY_ZH = {
    "recyclable": "可回收物",
    "hazardous": "有害垃圾",
    "food": "厨余垃圾",
    "residual": "其他垃圾",
}


class Text(BaseModel):
    """A {zh, en} pair. Either may be missing in the file; lint reports it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str | None = None
    en: str | None = None

    @field_validator("zh", "en", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    def as_dict(self) -> dict[str, str | None]:
        return {"zh": self.zh, "en": self.en}


def _str_list(v: Any) -> Any:
    """Accept a single string or a list of strings; drop blanks."""
    if v is None:
        return []
    if isinstance(v, str):
        v = [v]
    if isinstance(v, list):
        out = []
        for x in v:
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                x = str(x)
            if isinstance(x, str):
                x = x.strip()
                if x:
                    out.append(x)
            else:
                out.append(x)  # let pydantic report the wrong type
        return out
    return v


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: list[str] = Field(min_length=1)
    category: Category
    label: Text | None = None
    tip: Text | None = None
    note: Text | None = None
    note_source: str | None = None  # where the note's rule is written (see DATA.md)
    stream: Stream | None = None

    _norm_when = field_validator("when", mode="before")(_str_list)


class RawItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    aliases: list[str] = []
    en: list[str] = []
    category: Category | None = None
    stream: Stream | None = None
    tip: Text | None = None
    note: Text | None = None
    note_source: str | None = None
    conditions: list[Condition] = []

    _norm_lists = field_validator("aliases", "en", mode="before")(_str_list)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        return v.strip() if isinstance(v, str) else v


class RawGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category | None = None
    stream: Stream | None = None
    tip: Text | None = None
    note: Text | None = None
    note_source: str | None = None
    conditions: list[Condition] = []  # added after each item's own (those of its own bin are skipped)
    items: list[Any] = []  # validated one by one so one bad item does not hide the others


class Item(BaseModel):
    """A resolved item (group fields inherited)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    aliases: list[str] = []
    en: list[str] = []
    category: Category
    stream: Stream | None = None
    tip: Text | None = None
    note: Text | None = None
    note_source: str | None = None  # where the note's rule is written
    conditions: list[Condition] = []
    source: str = ""  # file the item came from ("<runtime>" for add_item)

    def surface_forms(self) -> list[str]:
        return [self.name, *self.aliases, *self.en]
