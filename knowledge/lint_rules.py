"""Lint rules on what items say: a tip must not send the item to another bin than its own, and
a rule may be called Wuxi's ("无锡规定", "Wuxi rule", "under Wuxi's rules") only with a source
(`note_source`, see DATA.md)."""

from __future__ import annotations

import re

from .kb import Problem
from .schema import Item

WUXI_CLAIM = "无锡规定"
WUXI_CLAIM_ZH = re.compile("无锡(?:的)?(?:规定|规则)")  # "按无锡规则" claims as much
# the English ways of saying the same: "Wuxi rule:", "under Wuxi's rules", "Wuxi regulations"
WUXI_CLAIM_EN = re.compile(r"\bwuxi(?:'s)?\s+(?:rules?|regulations?)\b", re.IGNORECASE)

# bins as tips name them; longest first so that 不可回收 is not read as 可回收
_BIN_WORDS = (
    ("不可回收", None), ("可回收物", "recyclable"), ("可回收", "recyclable"), ("蓝色桶", "recyclable"),
    ("有害垃圾", "hazardous"), ("红色桶", "hazardous"), ("厨余", "food"), ("绿色桶", "food"),
    ("其他垃圾", "residual"), ("其它垃圾", "residual"), ("灰色桶", "residual"),
)
_BIN_RE = re.compile("|".join(w for w, _ in _BIN_WORDS))
_BIN_OF = dict(_BIN_WORDS)


def bins_named(text: str | None) -> set[str]:
    return {b for w in _BIN_RE.findall(text or "") if (b := _BIN_OF[w])}


def tip_problems(item: Item) -> list[Problem]:
    """The item's own tip names bins, none of them the item's own (茶包: food, tip says residual)."""
    if item.tip is None:
        return []
    named = bins_named(item.tip.zh)
    if named and item.category.value not in named:
        return [Problem(item.source, item.name,
                        f"category {item.category.value} disagrees with its own tip ({', '.join(sorted(named))})")]
    return []


def wuxi_problems(item: Item) -> list[Problem]:
    """Notes and tips that call a rule Wuxi's need a source."""
    out = []
    texts = [("note", item.note, item.note_source), ("tip", item.tip, item.note_source)]
    for i, c in enumerate(item.conditions, 1):
        texts += [(f"condition #{i} note", c.note, c.note_source or item.note_source),
                  (f"condition #{i} tip", c.tip, c.note_source or item.note_source)]
    for what, text, source in texts:
        if text is None or source:
            continue
        if (m := WUXI_CLAIM_ZH.search(text.zh or "")):
            out.append(Problem(item.source, item.name, f"{what} says {m.group(0)} without a note_source"))
        elif (m := WUXI_CLAIM_EN.search(text.en or "")):
            out.append(Problem(item.source, item.name, f"{what} says \"{m.group(0)}\" without a note_source"))
    return out
