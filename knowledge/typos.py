"""Corrections of typed Chinese: answer "玻离瓶" as 玻璃瓶, and say so.

Policy (one place, in order):
- Only a question that is not a known form and not a real word (see words.py) is corrected:
  花瓣 is never read as 滑板.
- A correction is a known form of the same length that differs from the question by the
  input errors people make when typing pinyin, tried in this order, the first that finds
  anything wins: (1) one character with the same pinyin (电尺 -> 电池), (2) two neighbouring
  characters swapped (璃玻瓶; not the last two when the question is a known name and a common head
  noun: 奶茶盖), (3) one character of fuzzy pinyin (z/zh, c/ch, s/sh, n/l, f/h,
  an/ang, en/eng, in/ing), (4) one character whose pinyin is one key away on the keyboard
  (a neighbouring letter, a letter missing or doubled).
- Found forms of one item, or of items that all go in one bin: answered as `likely` with the
  form named (Verdict.corrected), best first. Items of several bins: a did-you-mean only. A
  key-away correction of a two-character question is answered only when it finds one item: one
  of two characters mistyped leaves too little to choose between items (此纸 is as near to 锡纸
  as to 彩纸), but 牙抓 has only 牙刷.
- A trailing 子/儿 may be left off the question (纸相子 -> 纸箱).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .pinyin import cjk_only, syllables
from .words import is_word

if TYPE_CHECKING:  # pragma: no cover
    from .matcher import Matcher

MIN_CHARS, MAX_CHARS = 2, 8
HEAD_NAMES = 5  # names ending in a character before it counts as a common head noun (盖: 杯盖, 瓶盖, 锅盖…)

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_LETTERS = "abcdefghijklmnopqrstuwxyz"


def _neighbours() -> dict[str, str]:
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    out: dict[str, str] = {}
    for c, (r, i) in pos.items():
        near = [d for d, (r2, i2) in pos.items() if d != c and abs(r2 - r) <= 1 and abs(i2 - i) <= 1]
        out[c] = "".join(near)
    return out


NEIGHBOURS = _neighbours()

_FUZZY_PAIRS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("f", "h"), ("r", "l"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("iang", "ian"), ("uang", "uan"))


def fuzzy_variants(s: str) -> set[str]:
    """Syllables confused by accent or habit (initials and nasal finals)."""
    out = set()
    for a, b in _FUZZY_PAIRS:
        for x, y in ((a, b), (b, a)):
            if (
                s.startswith(x)
                and not (x == "z" and s.startswith("zh"))
                and not (x in ("c", "s") and s.startswith(x + "h"))
            ):
                out.add(y + s[len(x) :])
    for a, b in _FUZZY_FINALS:
        for x, y in ((a, b), (b, a)):
            if s.endswith(x) and not (x == "an" and s.endswith(("ang", "ian", "uan"))):
                out.add(s[: -len(x)] + y)
    out.discard(s)
    return out


def key_variants(s: str, missing: bool = False) -> set[str]:
    """Syllables one keystroke away from s: a neighbouring key, a letter left out, a letter typed
    twice. With `missing`, also s with any one letter added (s may be a syllable typed with a
    letter missing: its correction is one letter longer)."""
    out = set()
    for i, c in enumerate(s):
        for n in NEIGHBOURS.get(c, ""):
            out.add(s[:i] + n + s[i + 1 :])
        if len(s) > 1:
            out.add(s[:i] + s[i + 1 :])
        out.add(s[:i] + c + s[i:])
    if missing:
        for i in range(len(s) + 1):
            for c in _LETTERS:
                out.add(s[:i] + c + s[i:])
    out.discard(s)
    return out


@dataclass
class Correction:
    forms: list[str]  # known forms, best first
    ids: list[int]  # their items, best first, no repeats
    same_bin: bool  # all items go in one bin
    level: int  # 0 same pinyin, 1 swapped, 2 fuzzy pinyin, 3 a key away


class TypoIndex:
    """Known Chinese forms by the pinyin of all but one of their characters."""

    def __init__(self, matcher: Matcher) -> None:
        self.m = matcher
        self.by_pinyin: dict[str, list[str]] = {}  # joined pinyin -> forms
        self.indexed = 0  # forms of matcher.form_keys indexed so far

    def refresh(self) -> None:
        """Index the forms added since the last call (done before each correction)."""
        keys = self.m.form_keys
        for fid in range(self.indexed, len(keys)):
            k = keys[fid]
            if MIN_CHARS <= len(k) <= MAX_CHARS and cjk_only(k):
                syl = syllables(k)
                if len(syl) == len(k):
                    lst = self.by_pinyin.setdefault("".join(syl), [])
                    if k not in lst:
                        lst.append(k)
        self.indexed = len(keys)

    def correct(self, text: str) -> Correction | None:
        """The known forms text is a typo of (see the module docstring), or None."""
        if not (MIN_CHARS <= len(text) <= MAX_CHARS) or not cjk_only(text):
            return None
        if text in self.m.exact or is_word(text):
            return None
        self.refresh()
        cands = [text]
        if len(text) >= 3 and text[-1] in "子儿":
            cands.append(text[:-1])
        for level in range(4):
            forms: list[str] = []
            for q in cands:
                if q != text and (q in self.m.exact or is_word(q)):
                    continue
                syl = syllables(q)
                if len(syl) != len(q):
                    continue
                for f in self._level(level, q, list(syl)):
                    if f not in forms:
                        forms.append(f)
            if forms:
                return self._correction(forms, level, sure=level < 3 or len(text) >= 3, one_item=level == 3)
        return None

    def _level(self, level: int, q: str, syl: list[str]) -> list[str]:
        if level == 1:  # swapped neighbours
            out = []
            for i in range(len(q) - 1):
                if i == len(q) - 2 and self._named_head(q):
                    continue  # 奶茶盖 is a 奶茶 lid, no 奶盖茶
                s = q[:i] + q[i + 1] + q[i] + q[i + 2 :]
                if s != q and s in self.m.exact:
                    out.append(s)
            return out
        out = []
        for i, s in enumerate(syl):
            variants = {s} if level == 0 else fuzzy_variants(s) if level == 2 else key_variants(s, True)
            for v in sorted(variants):  # a set: sorted, so the same question gets the same answer in every process
                key = "".join(syl[:i] + [v] + syl[i + 1 :])
                for f in self.by_pinyin.get(key, ()):
                    diff = [j for j in range(len(q)) if f[j] != q[j]]
                    if diff == [i] and f not in out:
                        out.append(f)
        return out

    def _named_head(self, q: str) -> bool:
        """q is a known name of two or more characters and a common head noun after it (奶茶 + 盖)."""
        return len(q) >= 3 and q[:-1] in self.m.exact and len(self.m.heads.get(q[-1], ())) >= HEAD_NAMES

    def _correction(self, forms: list[str], level: int, sure: bool, one_item: bool = False) -> Correction:
        # the shortest, then a canonical name before an alias
        forms.sort(key=lambda f: (len(f), self.m.name_key.get(f) is None))
        ids: list[int] = []
        for f in forms:
            for i in self.m.exact.get(f, ()):
                if i not in ids:
                    ids.append(i)
        same = (sure or (one_item and len(ids) == 1)) and len({self.m.items[i].category for i in ids}) == 1
        return Correction(forms, ids, same, level)
