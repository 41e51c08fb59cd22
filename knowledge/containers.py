"""Contents + container: "六个核桃的罐子" is a can, "卫龙辣条包装袋" a snack bag.

Rules: the question ends with a container word of knowledge/lexicon/containers.yaml and what is
before it (without 的) names known contents: the whole of it, or its last known name (a brand
before a food: 卫龙辣条 -> 辣条). Contents that all go in the hazardous bin (medicines, chemicals)
take their container with them: answered with the contents' item. Food and drink: answered with
the container items listed for that kind (the first one is the card, the others alternatives).
Contents not recognised (a shop's name: 老乡鸡饭盒) answer only for kinds listed with `unknown`, and
only when no known name is inside them. Anything else is left to the other tiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .grammar import lexicon

if TYPE_CHECKING:  # pragma: no cover
    from .matcher import Matcher


@dataclass
class ContainerAnswer:
    ids: list[int]  # the answer first
    contents: str  # the known name of the contents


def _words() -> list[tuple[str, str]]:
    words = lexicon("containers")["words"]
    return sorted(((str(w), str(k)) for w, k in words.items()), key=lambda x: -len(x[0]))


def contents_ids(m: Matcher, text: str) -> tuple[str, list[int]]:
    """The contents named by text: the whole, else the longest known name ending it."""
    ids = m.lookup(text)
    if ids:
        return text, list(ids)
    for start in range(1, len(text) - 1):
        sub = text[start:]
        ids = m.lookup(sub)
        if ids:
            return sub, list(ids)
    return "", []


def match_container(m: Matcher, key: str) -> ContainerAnswer | None:
    answers = lexicon("containers")["answers"]
    for word, kind in _words():
        if not key.endswith(word) or len(key) <= len(word):
            continue
        before = key[: -len(word)].rstrip("的")
        if len(before) < 2:
            return None
        name, ids = contents_ids(m, before)
        if not ids:
            names = answers.get(kind, {}).get("unknown", [])
            out = [m.exact[n][0] for n in names if n in m.exact]
            return ContainerAnswer(out, "") if out and not m.contains_known(before) else None
        cats = {m.items[i].category.value for i in ids}
        if cats == {"hazardous"}:
            return ContainerAnswer(ids[:1], name)
        if len(cats) != 1:
            return None
        names = answers.get(kind, {}).get(cats.pop(), [])
        out = [m.exact[n][0] for n in names if n in m.exact]
        return ContainerAnswer(out, name) if out else None
    return None
