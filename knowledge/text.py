"""Canonical text keys: `normalize(text)` is the form used for every index key (names, aliases and
queries alike): NFKC (full width -> half width), Traditional -> Simplified, lower case, punctuation
and emoji removed, spaces collapsed and removed next to CJK characters."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from opencc import OpenCC

_T2S = OpenCC("t2s")


def _traditional_chars() -> frozenset[str]:
    """Characters that t2s may change, from the converter's own dictionaries (package data of
    ``opencc``): lets us skip OpenCC for most queries. Empty (always convert) if a later version
    ships them elsewhere."""
    chars: set[str] = set()
    folder = resources.files("opencc") / "dictionary"
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        table = folder / name
        if not table.is_file():
            return frozenset()
        for line in table.read_text(encoding="utf-8").splitlines():
            chars.update(line.split("\t", 1)[0])
    return frozenset(chars)


_TRAD = _traditional_chars()


def to_simplified(text: str) -> str:
    if _TRAD and not any(c in _TRAD for c in text):
        return text
    return _T2S.convert(text)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FA1F or 0xF900 <= o <= 0xFAFF


_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


_LATIN_RE = re.compile(r"^[a-z0-9 '\-]+$")


def is_latin_text(text: str) -> bool:
    """True for normalised text made of ASCII letters/digits/spaces only."""
    return bool(text) and bool(_LATIN_RE.match(text)) and any(c.isalpha() for c in text)


def _keep(ch: str) -> bool:
    if ch.isspace():
        return True
    if is_cjk(ch):
        return True
    if ch.isascii():
        return ch.isalnum() or ch in "'-"
    cat = unicodedata.category(ch)
    # Letters and digits of other scripts are kept (e.g. accented latin); symbols,
    # punctuation and emoji are dropped.
    return cat[0] in ("L", "N")


_SPACE_RE = re.compile(r"\s+")
_CJK_SPACE_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])")


def _basic(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    return text.lower()


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Canonical key: NFKC, t2s, lower case, no punctuation/emoji, tidy spaces."""
    text = _basic(text)
    text = "".join(c if _keep(c) else " " for c in text)
    text = text.replace("'", "").replace("-", " ")
    text = _SPACE_RE.sub(" ", text).strip()
    text = _CJK_SPACE_RE.sub("", text)
    return text
