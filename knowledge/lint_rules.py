"""Lint rules on what items say: a tip (of the item or of a condition) must not send it to another
bin than its own; a rule may be called Wuxi's ("无锡规定", "Wuxi rule", "under Wuxi's rules") only
with a source (`note_source`, see DATA.md); the groups of knowledge/decisions.yaml go in one bin; and
two forms that differ only by a trailing 子/儿 (电子烟杆 / 电子烟杆子) are the same thing, so they
must not name items of different bins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .kb import Problem
from .schema import Item

if TYPE_CHECKING:  # pragma: no cover
    from .kb import KnowledgeBase


WUXI_CLAIM = "无锡规定"
WUXI_CLAIM_ZH = re.compile("无锡(?:的)?(?:规定|规则)")  # "按无锡规则" claims as much
# the English ways of saying the same: "Wuxi rule:", "under Wuxi's rules", "Wuxi regulations"
WUXI_CLAIM_EN = re.compile(r"\bwuxi(?:'s)?\s+(?:rules?|regulations?)\b", re.IGNORECASE)

# bins as tips name them; longest first so that 不可回收 is not read as 可回收
_BIN_WORDS = (
    ("不可回收", None),
    ("可回收物", "recyclable"),
    ("可回收", "recyclable"),
    ("蓝色桶", "recyclable"),
    ("有害垃圾", "hazardous"),
    ("红色桶", "hazardous"),
    ("厨余", "food"),
    ("绿色桶", "food"),
    ("其他垃圾", "residual"),
    ("其它垃圾", "residual"),
    ("灰色桶", "residual"),
)
_BIN_RE = re.compile("|".join(w for w, _ in _BIN_WORDS))
_BIN_OF = dict(_BIN_WORDS)


def bins_named(text: str | None) -> set[str]:
    return {b for w in _BIN_RE.findall(text or "") if (b := _BIN_OF[w])}


def tip_problems(item: Item) -> list[Problem]:
    """The item's own tip names bins, none of them the item's own (茶包: food, tip says residual);
    the same for each condition's tip and the condition's bin."""
    out = []
    named = bins_named(item.tip.zh if item.tip else None)
    if named and item.category.value not in named:
        out.append(
            Problem(
                item.source,
                item.name,
                f"category {item.category.value} disagrees with its own tip ({', '.join(sorted(named))})",
            )
        )
    for i, c in enumerate(item.conditions, 1):
        named = bins_named(c.tip.zh if c.tip else None)
        if named and c.category.value not in named:
            out.append(
                Problem(
                    item.source,
                    item.name,
                    f"condition #{i} ({', '.join(c.when[:3])}): category "
                    f"{c.category.value} disagrees with its tip ({', '.join(sorted(named))})",
                )
            )
    return out


def decision_problems(kb: KnowledgeBase, path: Path) -> list[Problem]:
    """Each group of a decisions file (knowledge/decisions.yaml): every name known, all in one bin."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        groups = yaml.safe_load(fh) or []
    out = []
    for g in groups:
        names = [str(n) for n in g.get("names", [])]
        found = {n: kb.get(n) for n in names}
        for n in (n for n, it in found.items() if it is None):
            out.append(Problem(path.name, n, "decision names an unknown item"))
        bins = {f"{n}: {it.category.value}" for n, it in found.items() if it is not None}
        if len({b.split(": ")[1] for b in bins}) > 1:
            out.append(Problem(path.name, names[0], "decision group split across bins: " + ", ".join(sorted(bins))))
    return out


def twin_problems(kb: KnowledgeBase) -> list[Problem]:
    """Forms that differ only by a trailing 子/儿 (电子烟杆 / 电子烟杆子) naming items of different bins."""
    m, out = kb.matcher, []
    for key, ids in m.exact.items():
        if len(key) >= 3 and key[-1] in "子儿" and key[:-1] in m.exact:
            a, b = m.items[ids[0]], m.items[m.exact[key[:-1]][0]]
            if a.category != b.category:
                out.append(
                    Problem(
                        a.source,
                        a.name,
                        f"'{key}' ({a.category.value}) and '{key[:-1]}' of "
                        f"'{b.name}' ({b.category.value}) are one thing in two bins",
                    )
                )
    return out


def wuxi_problems(item: Item) -> list[Problem]:
    """Notes and tips that call a rule Wuxi's need a source."""
    out = []
    texts = [("note", item.note, item.note_source), ("tip", item.tip, item.note_source)]
    for i, c in enumerate(item.conditions, 1):
        texts += [
            (f"condition #{i} note", c.note, c.note_source or item.note_source),
            (f"condition #{i} tip", c.tip, c.note_source or item.note_source),
        ]
    for what, text, source in texts:
        if text is None or source:
            continue
        if m := WUXI_CLAIM_ZH.search(text.zh or ""):
            out.append(Problem(item.source, item.name, f"{what} says {m.group(0)} without a note_source"))
        elif m := WUXI_CLAIM_EN.search(text.en or ""):
            out.append(Problem(item.source, item.name, f'{what} says "{m.group(0)}" without a note_source'))
    return out
