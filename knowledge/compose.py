"""From a tier's result to the answer: the item's condition picked by the words around its name
("沾了油的" -> the greasy condition), and the Verdict with its category, stream, tip and note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .normalize import _negated_en, _negated_zh, en_key, find_states, has_cjk, normalize, state_tags_of
from .verdicts import AMBIGUOUS, LIKELY, MAX_ALTERNATIVES, Verdict, _Match

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Condition, Item


class VerdictComposer:
    """Mixin of Matcher (needs `items`)."""

    def pick_condition(self, item: Item, remainder: str) -> Condition | None:
        if not item.conditions or not remainder:
            return None
        rem = normalize(remainder)
        _, tags = find_states(rem)
        tags |= state_tags_of(rem) if len(rem) == 1 else set()
        latin_rem = f" {en_key(rem)} "
        for cond in item.conditions:  # literal state words first ("没洗干净" does not say 洗干净)
            for w in cond.when:
                wn = normalize(w)
                if not wn:
                    continue
                if has_cjk(wn):
                    i = rem.find(wn)
                    if i >= 0 and not _negated_zh(rem, i):
                        return cond
                else:
                    k = f" {en_key(wn)} "
                    i = latin_rem.find(k)
                    if i >= 0 and not _negated_en(latin_rem[: i + 1]):
                        return cond
        if tags:
            for cond in item.conditions:
                for w in cond.when:
                    if state_tags_of(w) & tags:
                        return cond
        return None

    def verdict_for(self, query: str, m: _Match | None) -> Verdict:
        if m is None:
            return Verdict(query=query)
        alts = [{"item": self.items[i].name, "category": self.items[i].category.value} for i in m.ids]
        if m.confidence == AMBIGUOUS:
            return Verdict(
                query=query, category=None, confidence=AMBIGUOUS, alternatives=alts[:MAX_ALTERNATIVES], method=m.method
            )
        if m.category_only:
            return Verdict(
                query=query,
                category=alts[0]["category"],
                confidence=LIKELY,
                alternatives=alts[:MAX_ALTERNATIVES],
                method=m.method,
            )
        item = self.items[m.ids[0]]
        cond = self.pick_condition(item, m.remainder)
        category = (cond.category if cond else item.category).value
        stream = cond.stream if cond and cond.stream else item.stream
        tip = cond.tip if cond and cond.tip else item.tip
        note = cond.note if cond and cond.note else item.note
        return Verdict(
            query=query,
            category=category,
            item=item.name,
            stream=stream.value if stream else None,
            confidence=m.confidence,
            alternatives=alts[1:],
            condition=cond.label.as_dict() if cond and cond.label else None,
            tip=tip.as_dict() if tip else None,
            note=note.as_dict() if note else None,
            conditions_available=[c.label.as_dict() for c in item.conditions if c.label],
            method=m.method,
            corrected=m.corrected or None,
        )
