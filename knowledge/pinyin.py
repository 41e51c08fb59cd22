"""Pinyin of names and questions: syllables, fuzzy syllables, typed-pinyin segmentation.

`syllables()` gives the toneless reading pypinyin gives the text (its phrase dictionary decides
polyphones); `fuzzy_syllable()` folds the initials and finals people confuse (z/zh, c/ch, s/sh,
n/l, in/ing, en/eng, an/ang) for the fuzzy-pinyin index; `segment_pinyin()` splits typed pinyin.

pypinyin is imported on first use (``pypinyin_parts()``): its phrase dictionary takes about a
second to load, and a knowledge base read from its cache (kb_cache.py) needs it only for questions
that reach the pinyin tiers (not a known name, or typed in Latin letters), once per process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from .text import has_cjk

_CJK_ONLY_RE = re.compile("^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+$")


def cjk_only(text: str) -> bool:
    return _CJK_ONLY_RE.match(text) is not None


# --- pinyin helpers --------------------------------------------------------------


@cache
def pypinyin_parts() -> tuple[Callable[..., list[str]], dict[str, Any], dict[int, str]]:
    """pypinyin's ``lazy_pinyin``, its phrase dictionary and its character dictionary."""
    from pypinyin import lazy_pinyin
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.pinyin_dict import pinyin_dict

    return lazy_pinyin, PHRASES_DICT, pinyin_dict


@cache
def _char_pinyin(ch: str) -> str | None:
    """Default reading of a character (what lazy_pinyin gives it alone)."""
    lazy_pinyin, _phrases, characters = pypinyin_parts()
    if ord(ch) not in characters:
        return None
    return lazy_pinyin(ch)[0]


def _has_phrase(text: str) -> bool:
    """Whether pypinyin's phrase dictionary (polyphone phrases) covers part of text."""
    phrases = pypinyin_parts()[1]
    n = len(text)
    for i in range(n - 1):
        for j in range(i + 2, n + 1):
            if text[i:j] in phrases:
                return True
    return False


@lru_cache(maxsize=262144)
def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of normalised text; non-CJK runs kept as tokens."""
    if cjk_only(text) and not _has_phrase(text):
        # fast path, same result as lazy_pinyin: with no dictionary phrase inside,
        # its segmentation falls back to each character's default reading
        fast = [_char_pinyin(c) for c in text]
        if None not in fast:
            return tuple(fast)  # type: ignore[arg-type]
    out: list[str] = []
    # pypinyin takes a list from errors= (kept as one token); its hints only allow a str
    lazy_pinyin = pypinyin_parts()[0]
    for tok in lazy_pinyin(text, errors=lambda s: [s]):
        tok = tok.strip()
        if not tok:
            continue
        if has_cjk(tok):  # unknown rare character: keep it as is
            out.append(tok)
        else:
            out.extend(t for t in tok.split() if t)
    return tuple(out)


_FUZZY_INITIAL = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FUZZY_FINAL = (("ing", "in"), ("eng", "en"), ("ang", "an"))


@lru_cache(maxsize=65536)
def fuzzy_syllable(s: str) -> str:
    for a, b in _FUZZY_INITIAL:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    for a, b in _FUZZY_FINAL:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


TONE_RE = re.compile(r"[1-5]")
PINYIN_QUERY_RE = re.compile(r"^[a-zv1-5' ]+$")
INITIAL_LETTERS = set("bpmfdtnlgkhjqxzcsrywaoe")


# --- typed pinyin segmentation ---------------------------------------------------------

_INITIALS = [
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
    "",
]
_FINALS = [
    "iang",
    "iong",
    "uang",
    "ang",
    "eng",
    "ing",
    "ong",
    "uan",
    "ian",
    "iao",
    "uai",
    "ai",
    "ei",
    "ao",
    "ou",
    "an",
    "en",
    "in",
    "un",
    "ia",
    "ie",
    "iu",
    "ua",
    "uo",
    "ui",
    "ve",
    "ue",
    "er",
    "a",
    "o",
    "e",
    "i",
    "u",
    "v",
]
_SYLLABLES = sorted({i + f for i in _INITIALS for f in _FINALS}, key=len, reverse=True)
_SYL_SET = set(_SYLLABLES)


@lru_cache(maxsize=4096)
def segment_pinyin(s: str) -> tuple[str, ...] | None:
    """Split typed pinyin into syllables (fewest syllables, longest first), None if impossible."""
    if not s or len(s) > 60:
        return () if not s else None
    n = len(s)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[n] = ()
    for i in range(n - 1, -1, -1):
        for ln in range(min(6, n - i), 0, -1):
            rest = best[i + ln]
            if rest is not None and s[i : i + ln] in _SYL_SET:
                best[i] = (s[i : i + ln], *rest)
                break
    return best[0]
