"""The lookup structures over item surface forms: exact keys, pinyin keys, initials, character
n-grams (for fuzzy candidates and "names containing X") and heads (last characters of names).
Items are referenced by their index in `items`, forms by their index in `form_keys`."""

from __future__ import annotations

import bisect
from collections import Counter
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from .grammar import lexicon
from .normalize import en_key, has_cjk, is_latin_text, normalize
from .pinyin import cjk_only as _cjk_only, fuzzy_syllable, syllables

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Item

_VARIANT: dict[str, str] = {}
for _a, _b in lexicon("variants")["pairs"]:
    _VARIANT[str(_a)], _VARIANT[str(_b)] = str(_b), str(_a)


def _spellings(text: str) -> list[str]:
    """text with its variant characters swapped, every combination (text itself left out)."""
    out = [""]
    for c in text:
        alt = _VARIANT.get(c)
        out = [o + x for o in out for x in ((c, alt) if alt else (c,))]
    return out[1:]


GRAM_STOP = 3000  # n-grams with longer posting lists are skipped when rarer ones exist
FUZZY_CANDIDATES = 40


class FormIndex:
    """All lookup structures (the matcher's tiers read them)."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.exact: dict[str, list[int]] = {}  # normalised form -> item ids
        self.pinyin: dict[str, set[int]] = {}  # "dianchi" -> ids (forms of >= 2 syllables)
        self.fuzzy_pinyin: dict[str, set[int]] = {}
        self.initials: dict[str, set[int]] = {}
        self.form_keys: list[str] = []  # form id -> key
        self.form_item: list[int] = []  # form id -> item id
        self.grams: dict[str, list[int]] = {}  # n-gram -> form ids
        self.max_form_len = 1
        self.name_key: dict[str, int] = {}  # normalised canonical name -> id
        self.heads: dict[str, list[int]] = {}  # last one/two characters of names -> item ids
        self._bulk = False
        self._pinyin_sorted: list[str] | None = None

    def begin_bulk(self) -> None:
        """Faster loading: postings are appended and sorted once by end_bulk()."""
        self._bulk = True

    def end_bulk(self) -> None:
        self._bulk = False
        flen = self._form_len
        for post in self.grams.values():
            if len(post) > 1:
                post.sort(key=flen)  # stable: equal lengths keep load order

    # -- building --
    def add(self, item: Item) -> int:
        iid = len(self.items)
        self.items.append(item)
        name_key = normalize(item.name)
        self.name_key.setdefault(name_key, iid)
        if _cjk_only(name_key):
            for h in (name_key[-2:], name_key[-1:]):
                if len(name_key) > len(h):  # 鱼丸 counts for the head 丸; 丸子 itself does not
                    self.heads.setdefault(h, []).append(iid)
        for form in [item.name, *item.aliases]:
            self.add_form(iid, form)
        for form in item.en:
            self.add_form(iid, form, english=True)
        return iid

    def keys_of(self, form: str, english: bool = False) -> list[str]:
        keys = [normalize(form)]
        if english or is_latin_text(keys[0]):
            k = en_key(form)
            if k and k not in keys:
                keys.append(k)
        return [k for k in keys if k]

    def add_form(self, iid: int, form: str, english: bool = False) -> None:
        for key in self.keys_of(form, english):
            ids = self.exact.setdefault(key, [])
            if iid in ids:
                continue
            ids.append(iid)
            fid = len(self.form_keys)
            self.form_keys.append(key)
            self.form_item.append(iid)
            klen = len(key)
            for g in self._grams(key):
                post = self.grams.get(g)
                if post is None:
                    self.grams[g] = [fid]
                elif self._bulk or klen >= len(self.form_keys[post[-1]]):
                    post.append(fid)  # bulk loads are sorted once in end_bulk()
                else:  # keep postings sorted by form length: shortest forms first
                    bisect.insort_right(post, fid, key=self._form_len)
            self.max_form_len = max(self.max_form_len, len(key))
            if has_cjk(key):
                syl = syllables(key)
                if len(syl) >= 2:
                    self.pinyin.setdefault("".join(syl), set()).add(iid)
                    self.fuzzy_pinyin.setdefault("".join(fuzzy_syllable(s) for s in syl), set()).add(iid)
                    if _cjk_only(key):
                        self.initials.setdefault("".join(s[0] for s in syl), set()).add(iid)

    def _pinyin_keys(self) -> list[str]:
        """Sorted pinyin keys for prefix search (rebuilt after additions)."""
        if self._pinyin_sorted is None or len(self._pinyin_sorted) != len(self.pinyin):
            self._pinyin_sorted = sorted(self.pinyin)
        return self._pinyin_sorted

    def _form_len(self, fid: int) -> int:
        return len(self.form_keys[fid])

    @staticmethod
    def _grams(key: str) -> set[str]:
        if has_cjk(key):
            s = key.replace(" ", "")
            g = {s[i : i + 2] for i in range(len(s) - 1)}
            g |= {s[i] + "_" + s[i + 2] for i in range(len(s) - 2)}  # skip-grams catch 1-char substitutions
            if len(s) == 1:
                g.add(s)
            return g
        s = f" {key} "
        return {s[i : i + 3] for i in range(len(s) - 2)}

    # -- lookups --
    def lookup(self, text: str) -> list[int]:
        if not text:
            return []
        ids = self.exact.get(text)
        if ids:
            return ids
        if is_latin_text(text):
            ids = self.exact.get(en_key(text))
            if ids:
                return ids
        elif any(c in _VARIANT for c in text):  # 桔子 is 橘子 (lexicon/variants.yaml)
            for alt in _spellings(text):
                ids = self.exact.get(alt)
                if ids:
                    return ids
        return []

    def fuzzy_candidates(self, key: str, limit: int = FUZZY_CANDIDATES) -> list[tuple[float, int]]:
        """(score, form id) for forms sharing n-grams with key, best first."""
        grams = self._grams(key)
        postings = [(g, self.grams[g]) for g in grams if g in self.grams]
        if not postings:
            return []
        postings.sort(key=lambda p: len(p[1]))
        rare = [p for p in postings if len(p[1]) <= GRAM_STOP]
        # Only frequent grams ("塑料" at 50k items): the shortest forms of the rarest gram
        # (postings are sorted by form length) are the best-scoring candidates anyway.
        use = rare if rare else [(postings[0][0], postings[0][1][:GRAM_STOP])]
        counts: Counter[int] = Counter()
        for _, fids in use:
            counts.update(fids)
        top = counts.most_common(limit * 3)
        scored = []
        for fid, _n in top:
            scored.append((fuzz.ratio(key, self.form_keys[fid]), fid))
        scored.sort(key=lambda x: (-x[0], len(self.form_keys[x[1]])))
        return scored[:limit]

    def _containing(self, key: str, limit: int) -> list[int]:
        """Form ids whose key contains `key`, shortest first (bounded work)."""
        if has_cjk(key):
            grams = [g for g in self._grams(key) if "_" not in g] if len(key) >= 2 else [key]
        elif len(key) >= 3:  # trigrams inside the word, no end padding: "batt" is in "battery"
            grams = [key[i : i + 3] for i in range(len(key) - 2)]
        else:
            return []
        postings = [self.grams.get(g) or [] for g in grams]
        if not postings or any(not p for p in postings):
            return []
        shortest = min(postings, key=len)
        out: list[int] = []
        for fid in shortest[: GRAM_STOP * 2]:
            if key in self.form_keys[fid]:
                out.append(fid)
                if len(out) >= limit:
                    break
        return out

    def contains_known(self, text: str) -> bool:
        """Whether a known Chinese form of two or more characters is inside text."""
        n = len(text)
        return any(text[i:j] in self.exact for i in range(n) for j in range(i + 2, min(n, i + self.max_form_len) + 1))
