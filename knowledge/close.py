"""When no item is named: a bin may still be clear from close names. Chinese names are
head-final (鱼丸, 贡丸, 牛肉丸 are all 丸), and suggestions that all go in one bin, each sharing real
text with the question, say that bin (`likely`, no single item named). Never for a phrase."""

from __future__ import annotations

from collections import Counter

from rapidfuzz.distance import Levenshtein

from .modifiers import _LISTED_HEADS, _changing_words
from .normalize import en_key, has_cjk, normalize, state_tags_of
from .pinyin import cjk_only as _cjk_only
from .verdicts import LIKELY, MAX_ALTERNATIVES, _Match
from .words import is_word

HEAD_MAX_CHARS = 6  # longer questions are phrases, not names
HEAD_MIN_NAMES_2 = 3  # names sharing a two-character head (all in one bin) before it decides
HEAD_MIN_NAMES_1 = 8
HEAD_PURITY = 0.95
# states that make a thing another one when it is asked plainly (空罐头 is no 罐头)
_MARKED_TAGS = frozenset({"empty", "greasy", "dirty", "wet", "full", "clean"})


def _word_at_edit(form: str, key: str) -> bool:
    """Whether the character key has in place of one of form's makes a word with a neighbour:
    防水地垫 is not a typo of 防滑地垫 (防水 is a word), 塑科袋 is one of 塑料袋."""
    for edit in Levenshtein.editops(form, key):
        op, j = edit.tag, edit.dest_pos
        if op == "replace" and any(is_word(key[a : a + 2]) for a in (j - 1, j) if 0 <= a and a + 2 <= len(key)):
            return True
    return False


class CloseItems:
    """Mixin of Matcher (needs FormIndex and ContainmentTiers)."""

    def _head_bin(self, key: str) -> _Match | None:
        """Chinese names are head-final: 鱼丸, 贡丸, 牛肉丸 are all 丸. When nearly every known
        name ending in the (normalised) question's last one or two characters goes in one bin,
        so does it."""
        if not _cjk_only(key) or not 2 <= len(key) <= HEAD_MAX_CHARS or _changing_words(key):
            return None  # 电动滑板车 is not just another 车
        heads = [(key[-2:], HEAD_MIN_NAMES_2)] if len(key) > 2 else []
        if len(key) <= 3:  # longer names mostly end in a two-character word (火星土壤样本: 样本, not 本)
            heads.append((key[-1:], HEAD_MIN_NAMES_1))
        for h, need in heads:
            ids = self.heads.get(h, [])
            listed = _LISTED_HEADS.get(h)  # a curator says this head decides (lexicon/heads.yaml)
            if len(ids) < (1 if listed else need):
                continue
            counts = Counter(self.items[i].category for i in ids)
            cat, n = counts.most_common(1)[0]
            if n / len(ids) >= (1.0 if listed else HEAD_PURITY) and listed in (None, cat.value):
                if self._conflicting_forms(key, len(key) - len(h), len(h), ids[0], cat):
                    return None  # 碘酒瓶: 碘酒 is hazardous, whatever most 酒瓶 are
                examples = sorted(
                    (i for i in ids if self.items[i].category == cat), key=lambda i: len(self.items[i].name)
                )[:MAX_ALTERNATIVES]
                return _Match(LIKELY, examples, "head", "", category_only=True)
            return None  # a mixed head: the shorter one says no more
        return None

    def _sharing_text(self, key: str, ids: list[int]) -> list[int]:
        """Suggestions for a Chinese question must share a character with one of their names:
        a sound-alike or look-alike with nothing in common (鸡粪 -> 味精) is noise."""
        chars = {c for c in key if has_cjk(c)}
        if not chars:
            return ids
        return [i for i in ids if any(c in f for f in (self.items[i].name, *self.items[i].aliases) for c in chars)]

    def _close_bin(self, key: str, ids: list[int]) -> list[int] | None:
        """The close items to answer with when they all go in one bin, else None.

        First, known names that end with the whole question (see `_kinds`). When there are none,
        the suggestions themselves (see `_agree`), then names one character away. `key` is
        normalised."""
        decided, kinds = self._kinds(key)
        if decided:
            return kinds
        if self._agree(key, ids):
            return ids
        return self._one_edit(key)

    def _kinds(self, key: str) -> tuple[bool, list[int] | None]:
        """Known names that end with the whole question ("纯牛奶盒", "听装啤酒罐" for 牛奶盒, 啤酒罐;
        "铅蓄电池" for 蓄电池): the question is their head noun, so they are kinds of it. Returns
        (whether they decide, the kinds to answer with when they all go in one bin)."""
        if not has_cjk(key) or len(key) < 2:
            return False, None
        headed: list[int] = []
        cats: set = set()  # bins of every name containing the question
        for fid in self._containing(key, 40):
            form, iid = self.form_keys[fid], self.form_item[fid]
            cats.add(self.items[iid].category)
            if form != key and form.endswith(key) and iid not in headed:
                if _changing_words(form[: -len(key)]) or _changing_words(self.items[iid].name) - _changing_words(key):
                    continue  # 一次性桌布 (or 塑料雨衣, an alias of 一次性雨衣) says nothing of 桌布
                headed.append(iid)
        # the question's own thing with a state word before it (过期黄油, 旧报纸), never one whose
        # state makes it another thing (油污报纸, 空罐头: the can, not 罐头)
        plain = [
            i
            for i in headed
            if any(
                f.endswith(key)
                and len(f) > len(key)
                and self._is_filler(f[: -len(key)])
                and not state_tags_of(f[: -len(key)]) & _MARKED_TAGS
                for f in map(normalize, (self.items[i].name, *self.items[i].aliases))
            )
        ]
        if len(plain) == 1:
            return True, plain  # 过期黄油, 旧帐篷: the question's own thing with a state word before it
        if len(headed) == 1 and len(cats) > 1:
            return True, None  # one kind is thin evidence: 松香水 (turpentine) and 香水瓶 disagree on 香水
        if headed:
            same = len({self.items[i].category for i in headed}) == 1
            return True, (headed[:MAX_ALTERNATIVES] if same else None)
        return False, None

    def _edit_neighbours(self, key: str) -> list[tuple[str, int]]:
        """(form, item) of the known forms one character away from a question of three or more
        characters (one substituted, added or left out), its head kept (the last character)."""
        if not _cjk_only(key) or len(key) < 3:
            return []
        out: list[tuple[str, int]] = []
        for _score, fid in self.fuzzy_candidates(key):
            form = self.form_keys[fid]
            if form[-1:] == key[-1:] and Levenshtein.distance(form, key) == 1 and key not in form:
                out.append((form, self.form_item[fid]))
        return out

    def _one_edit(self, key: str) -> list[int] | None:
        """The items one character away (see `_edit_neighbours`) when all of them go in one bin:
        牙膏盒 / 牙膏纸盒, 杀虫子罐 / 杀虫剂罐."""
        near = list(dict.fromkeys(i for _f, i in self._edit_neighbours(key)))
        if not near or len({self.items[i].category for i in near}) != 1:
            return None
        if not all(self._speaks_for(key, i) for i in near):
            return None
        return near[:MAX_ALTERNATIVES]

    def _edit_correction(self, key: str) -> _Match | None:
        """A question that is no word, one character away from the forms of one item only, is a
        typo of it (矿泉瓶, 易拉拉罐, 塑科袋): answered as that form, and said so."""
        near = self._edit_neighbours(key)
        if len({i for _f, i in near}) != 1 or is_word(key):
            return None
        form, iid = near[0]
        if not self._speaks_for(key, iid) or _word_at_edit(form, key):
            return None
        return _Match(LIKELY, [iid], "typo_edit", "", corrected=form)

    def _agree(self, key: str, ids: list[int]) -> bool:
        """Suggestions all of one category that say something of the question: two or more, one
        of them ending in the question's last character (its head); or each sharing real text with
        the question, two characters in a row (not just a sound) or a whole English word."""
        if not ids or len({self.items[i].category for i in ids}) != 1:
            return False
        if len(ids) == 1 and not self._same_head(key, ids[0]):
            return False
        if not all(self._speaks_for(key, i) for i in ids):
            return False
        if has_cjk(key):
            grams = {key[i : i + 2] for i in range(len(key) - 1)}
            grams = {g for g in grams if has_cjk(g) and len(g) == 2}
            if len(ids) >= 2 and any(
                normalize(f).endswith(key[-1:]) for i in ids for f in (self.items[i].name, *self.items[i].aliases)
            ):
                return True  # 香槟瓶: 香水瓶, 香油瓶, 醋瓶 (all recyclable) share its head 瓶
            # with one: the question's head noun must head it ("江阴" only modifies 江阴河豚, 江阴马蹄酥)
            if not any(
                normalize(f).endswith(key[-2:]) for i in ids for f in (self.items[i].name, *self.items[i].aliases)
            ):
                return False
            return bool(grams) and all(
                any(g in normalize(f) for f in (self.items[i].name, *self.items[i].aliases) for g in grams) for i in ids
            )
        words = {w for w in en_key(key).split() if len(w) >= 3}
        return bool(words) and all(any(words & set(en_key(f).split()) for f in self.items[i].en) for i in ids)

    def _speaks_for(self, key: str, iid: int) -> bool:
        """Whether a close item says something of the question's thing: one that is electric,
        disposable or for a purpose says nothing of a plain thing (电蒸锅 of a bamboo 蒸笼), and one
        the question calls so must be so too (电动滑板车 is no 滑板车, 剃须泡沫 no 泡沫塑料)."""
        words = _changing_words(key)
        name = self.items[iid].name
        if _changing_words(name) - words or (name.startswith("电") and not key.startswith("电")):
            return False
        return not (has_cjk(key) and words and not _changing_words(name) & words)

    def _same_head(self, key: str, iid: int) -> bool:
        """One suggestion is enough when it is a kind of the question's own head noun: a
        name ending in the question's last two characters, the question longer than them, and
        nothing in the question's modifier naming another bin (滤尘袋 / 吸尘袋) or another material
        than the suggestion's own (金属香炉 / 陶瓷香炉)."""
        if not _cjk_only(key) or len(key) < 3:
            return False
        head = key[-2:]
        forms = [normalize(f) for f in (self.items[iid].name, *self.items[iid].aliases)]
        if not any(f.endswith(head) and len(f) > 2 and f != key for f in forms):
            return False
        return not (self._conflicting_forms(key, len(key) - 2, 2, iid) or self._other_material(key, iid))
