"""Words around a name that change what it is, or leave it as it is.

Word lists are data: knowledge/lexicon/modifiers.yaml (electric, disposable, purpose, unmarked
materials, sentence starts), food_parts.yaml and heads.yaml; states.py gives the state and filler
words. A modifier that makes the thing electric, disposable or for a purpose makes it another
thing (电动滑板车 is no 滑板车), unless the item already is of that kind.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .grammar import lexicon
from .normalize import FILLERS, STATE_PHRASES_ZH

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Item

_MODS = lexicon("modifiers")
_SENTENCE_STARTS = frozenset(str(c) for c in _MODS["sentence_starts"])

_EDGE_TOKENS = sorted({p for p in STATE_PHRASES_ZH} | set(FILLERS) | set("废旧脏破坏空"), key=len, reverse=True)

_ELECTRIC_MODIFIERS = tuple(_MODS["electric"])
_DISPOSABLE_MODIFIERS = tuple(_MODS["disposable"])
_PURPOSE_MODIFIERS = tuple(_MODS["purpose"])  # what it is for changes what it is
_UNMARKED_MATERIALS = frozenset(_MODS["unmarked_materials"])
_MATERIALS = tuple(sorted(map(str, _MODS["materials"]), key=len, reverse=True))
_CHANGING_MODIFIERS = (*_PURPOSE_MODIFIERS, *_ELECTRIC_MODIFIERS, *_DISPOSABLE_MODIFIERS)
_FOOD_PARTS = lexicon("food_parts")
_FOOD_SOFT_PARTS = frozenset(_FOOD_PARTS["soft_parts"])
_FOOD_FORMS = frozenset(_FOOD_PARTS["forms"])
_PRODUCE_FILES = tuple(_FOOD_PARTS["produce_files"])
_LISTED_HEADS = {h: cat for cat, hs in lexicon("heads").items() for h in hs}  # head -> bin
_FOOD_CONTAINERS = {str(k): tuple(v) for k, v in _FOOD_PARTS["containers"].items()}
_FOOD_ANY_PARTS = frozenset(_FOOD_PARTS["any_parts"])
_DOUGH_PARTS = frozenset(_FOOD_PARTS["dough_parts"])
_DOUGH_FILES = tuple(_FOOD_PARTS["dough_files"])


def _changing_words(text: str) -> frozenset[str]:
    """The words in a name that make it another thing: electric, disposable, a purpose."""
    return frozenset(w for w in _CHANGING_MODIFIERS if w in text)


def _modifier_changes(modifier: str, item: Item) -> bool:
    if any(w in modifier for w in _PURPOSE_MODIFIERS):
        return True
    if any(w in modifier for w in _ELECTRIC_MODIFIERS) or modifier.strip() == "电":  # 电热水袋
        return item.stream is None or item.stream.value != "e_waste"
    if any(w in modifier for w in _DISPOSABLE_MODIFIERS):
        return item.category.value != "residual"
    return False


_POSSESSIVE_RE = re.compile("(?<=[\u4e00-\u9fff])(?:中的|里的|里面的|上的|的)(?=[\u4e00-\u9fff])")


def material_of(name: str) -> str | None:
    """The material a name starts with (陶瓷香炉: 陶瓷), or None."""
    return next((m for m in _MATERIALS if name.startswith(m) and len(name) > len(m)), None)
