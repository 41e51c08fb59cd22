"""Tiers that find a known name inside the question: containment ("用过的电池", "塑料矿泉水瓶子"),
possessives ("奶茶中的珍珠"), a food and its part ("洋葱皮", "啤酒罐"), and the tests on the words
around the name (fillers, the item's own condition words, conflicting names, changing modifiers)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .modifiers import (
    _DOUGH_FILES,
    _DOUGH_PARTS,
    _EDGE_TOKENS,
    _FOOD_ANY_PARTS,
    _FOOD_CONTAINERS,
    _FOOD_FORMS,
    _FOOD_SOFT_PARTS,
    _PRODUCE_FILES,
    _UNMARKED_MATERIALS,
    _modifier_changes,
    material_of,
)
from .normalize import en_key, find_states, has_cjk, normalize
from .pinyin import cjk_only as _cjk_only
from .verdicts import AMBIGUOUS, LIKELY, SURE, _Match

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Category, Item

_POSSESSIVE_RE = re.compile("(?<=[\u4e00-\u9fff])(?:中的|里的|里面的|上的|的)(?=[\u4e00-\u9fff])")


class ContainmentTiers:
    """Mixin of Matcher (needs FormIndex and pick_condition)."""

    def _match_containment(self, text: str) -> _Match | None:
        if has_cjk(text):
            s = text
            n = len(s)
            best: tuple[int, int, int] | None = None  # (length, is_suffix, start)
            for length in range(min(n - 1, self.max_form_len), 0, -1):
                for start in range(0, n - length + 1):
                    sub = s[start : start + length]
                    if sub in self.exact and has_cjk(sub):
                        is_suffix = int(start + length == n)
                        cand = (length, is_suffix, start)
                        if best is None or cand[:2] > best[:2]:
                            best = cand
                if best is not None:
                    break
            if best is None:
                return None
            length, is_suffix, start = best
            sub = s[start : start + length]
            ids = self.exact[sub]
            rem = (s[:start] + s[start + length :]).strip()
            filler = self._is_filler(rem) or (len(ids) == 1 and self._explained(self.items[ids[0]], rem))
            if length == 1 and not filler:
                return None
            if len(ids) > 1:
                return self._head_compound(s) or _Match(AMBIGUOUS, list(ids), "containment", rem)
            if filler:
                return _Match(SURE, list(ids), "containment", rem)
            head = s[start + length :].strip()
            modifier = s[:start]
            bare = self._strip_fillers(modifier)
            # a short modifier, or a longer one naming nothing known (a brand or shop: 德克士炸鸡)
            short = len(bare) <= length or (length >= 2 and not self.contains_known(bare))
            cond_hit = self.pick_condition(self.items[ids[0]], modifier) is not None
            if (
                (is_suffix or self._is_filler(head))
                and length >= 2
                and not self._other_material(s, ids[0])
                and (
                    cond_hit
                    or (
                        short
                        and not _modifier_changes(modifier, self.items[ids[0]])
                        and not self._conflicting_forms(s, start, length, ids[0])
                    )
                )
            ):
                # head noun kept ("塑料矿泉水瓶子" -> 矿泉水瓶): a short modifier before it
                # that names nothing of another category, or one of the item's own
                # condition words ("还有饮料的塑料瓶"), does not change the item
                return _Match(LIKELY, list(ids), "containment", modifier)
            return self._head_compound(s) or _Match(AMBIGUOUS, list(ids), "containment", rem)
        # English: token n-grams
        words = en_key(text).split()
        n = len(words)
        for length in range(n - 1, 0, -1):
            for start in range(0, n - length + 1):
                sub = " ".join(words[start : start + length])
                ids = self.exact.get(sub)
                if not ids:
                    continue
                rem = " ".join(words[:start] + words[start + length :])
                if len(ids) > 1:
                    return _Match(AMBIGUOUS, list(ids), "containment", rem)
                if self._is_filler(rem):
                    return _Match(SURE, list(ids), "containment", rem)
                if start + length == n and length >= 1 and len(sub) >= 4:
                    return _Match(LIKELY, list(ids), "containment", rem)
                return _Match(AMBIGUOUS, list(ids), "containment", rem)
        return None

    def _head_compound(self, s: str) -> _Match | None:
        """X + Y where Y, a known name of two or more characters, ends the question: Chinese
        compounds are head-final, so Y decides (咖啡杯杯盖 is a 杯盖, 自行车轮胎 a 轮胎, 打印机墨盒 a
        墨盒). Not when the modifier X makes it another thing (electric, disposable, a purpose:
        电动牙刷), nor when X names something hazardous and Y is not (药水玻璃瓶 held a medicine), nor by
        an item whose own name says a material the question does not (香炉 of 陶瓷香炉)."""
        for start in range(1, len(s) - 1):
            ids = self.exact.get(s[start:])
            if not ids:
                continue
            if len(ids) > 1:
                return None
            item = self.items[ids[0]]
            modifier = s[:start]
            if self._other_material(s, ids[0]):
                return None
            if _modifier_changes(modifier, item) or (
                item.category.value != "hazardous" and self._names_hazard(modifier)
            ):
                return None
            return _Match(LIKELY, list(ids), "compound", modifier)
        return None

    def _other_material(self, s: str, iid: int) -> bool:
        """The item's own name says a material the question does not: 金属香炉 is not the 陶瓷香炉
        whose alias is 香炉."""
        item = self.items[iid]
        name = normalize(item.name)
        material = material_of(name)
        if material is None or material in s or material in _UNMARKED_MATERIALS:
            return False  # plastic is what most things are made of: 塑料玩具 speaks for 毛绒玩具
        # a material only when the rest is the item's own name for it (陶瓷 + 香炉), not a word (纸尿裤)
        return name[len(material) :] in {normalize(a) for a in item.aliases}

    def _names_hazard(self, text: str) -> bool:
        """A known name of a hazardous item (two or more characters) inside text."""
        n = len(text)
        for i in range(n):
            for j in range(i + 2, min(n, i + self.max_form_len) + 1):
                ids = self.exact.get(text[i:j])
                if ids and any(self.items[k].category.value == "hazardous" for k in ids):
                    return True
        return False

    def _match_possessive(self, text: str) -> _Match | None:
        joined = _POSSESSIVE_RE.sub("", text)
        if joined != text:
            ids = self.lookup(joined)
            if len(ids) == 1:
                return _Match(SURE, ids, "alias")
        whole, _sep, head = text.rpartition("的")
        whole = _POSSESSIVE_RE.sub("", whole)
        head_ids, whole_ids = self.lookup(head), self.lookup(whole)
        if (
            len(head_ids) == 1
            and whole_ids
            and all(self.items[i].category == self.items[head_ids[0]].category for i in whole_ids)
        ):
            return _Match(LIKELY, head_ids, "containment", "")
        return None

    def _food_part(self, text: str) -> _Match | None:
        """Unknown names made of a food and a part or container word (knowledge/lexicon/
        food_parts.yaml): soft parts of produce (橙皮: the base may leave off its 子), the forms
        cooking gives any food (土豆丝, 鱼丸), parts of any food (鱼刺) and the dough of a staple
        (馄饨皮) are food; its bottles and cans (啤酒罐) are recyclable.
        Hard shells and stones (壳 核) are not covered: some are residual."""
        key = normalize(text)
        if len(key) < 2 or not _cjk_only(key) or key in self.exact:
            return None
        base, part = key[:-1], key[-1]
        ids = self.exact.get(base) or self.exact.get(base + "子")
        if not ids or any(self.items[i].category.value != "food" for i in ids):
            return None

        def from_files(files: tuple[str, ...]) -> bool:
            return all(any(f in self.items[i].source for f in files) for i in ids)

        if (
            (part in _FOOD_SOFT_PARTS and from_files(_PRODUCE_FILES))  # 冰棒皮 is a wrapper, not a peel
            or (part in _DOUGH_PARTS and from_files(_DOUGH_FILES))
            or part in _FOOD_FORMS
            or part in _FOOD_ANY_PARTS
        ):  # 毛豆结, 土豆丝, 鱼刺
            return _Match(LIKELY, list(ids)[:1], "part", "", category_only=True)
        if part in _FOOD_CONTAINERS and len(key) >= 3:  # the plain containers: 玻璃瓶, 塑料瓶 / 易拉罐, 玻璃罐
            examples = [self.exact[k][0] for k in _FOOD_CONTAINERS[part] if k in self.exact]
            if examples and all(self.items[i].category.value == "recyclable" for i in examples):
                return _Match(LIKELY, examples, "part", "", category_only=True)
        return None

    @staticmethod
    def _remainder(text: str, inner: str) -> str:
        if not inner or inner == text:
            return ""
        i = text.find(inner)
        if i < 0:
            return text
        sep = "" if has_cjk(text) else " "
        return (text[:i] + sep + text[i + len(inner) :]).strip()

    @staticmethod
    def _strip_fillers(text: str) -> str:
        """Chinese text without the state phrases and filler words at its edges
        ("装修剩下的" -> "装修"; "帮我叫个" -> "帮我叫")."""
        toks = _EDGE_TOKENS
        changed = True
        while changed and text:
            changed = False
            for t in toks:
                if text.startswith(t):
                    text = text[len(t) :]
                    changed = True
                    break
                if text.endswith(t):
                    text = text[: -len(t)]
                    changed = True
                    break
        return text

    def _explained(self, item: Item, rem: str) -> bool:
        """The words around the name are one of the item's condition words plus fillers
        ("没喝完的" + 塑料瓶 when 塑料瓶 has a condition for 没喝完)."""
        if not item.conditions or not rem or not has_cjk(rem):
            return False
        words = sorted({normalize(w) for c in item.conditions for w in c.when if has_cjk(w)}, key=len, reverse=True)
        hit = False
        for w in words:
            if w and w in rem:
                rem = rem.replace(w, "")
                hit = True
        return hit and self._is_filler(rem)

    def _is_filler(self, rem: str) -> bool:
        """True if the words around a matched name do not change what the item is."""
        if not rem:
            return True
        if has_cjk(rem):
            return self._strip_fillers(rem) == ""
        words = [w for w in rem.split() if w not in ("a", "an", "the", "my", "some", "of", "with", "old")]
        r = " ".join(words)
        states, _ = find_states(r)
        for st in states:
            r = (" " + r + " ").replace(f" {st} ", " ").strip()
        return r == ""

    def _conflicting_forms(self, s: str, start: int, length: int, iid: int, cat: Category | None = None) -> bool:
        """Another known name in the modifier or overlapping the match, of another
        category ("药水玻璃瓶": 药水; "碘酒瓶": 碘酒 over 酒瓶)."""
        cat = cat or self.items[iid].category
        end = start + length
        n = len(s)
        for i in range(0, n):
            for j in range(i + 2, min(n, i + self.max_form_len) + 1):
                if i >= start and j <= end:
                    continue  # inside the match itself
                if j <= start or (i < end and j > end) or (i < start < j):
                    if s[i:j] in _UNMARKED_MATERIALS:
                        continue
                    ids = self.exact.get(s[i:j])
                    if ids and any(self.items[k].category != cat for k in ids):
                        return True
        return False
