"""English keys: `en_key(text)` is the normalised text without leading articles, each word singular
("the used batteries" -> "used battery"). Word lists: knowledge/lexicon/english.yaml."""

from __future__ import annotations

from functools import lru_cache

from .grammar import lexicon
from .text import normalize

_EN = lexicon("english")
_ARTICLES = frozenset(_EN["articles"])
_NO_SINGULAR = frozenset(_EN["no_singular"])
_DRINKING_GLASS_WORDS = frozenset(_EN["drinking_glass_words"])
_IRREGULAR: dict[str, str] = dict(_EN["irregular"])


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _NO_SINGULAR or len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("ss") or word.endswith("us") or word.endswith("is"):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def en_key(text: str) -> str:
    """Key for English forms: normalised, no leading articles, words singular."""
    words = normalize(text).split()
    while words and words[0] in _ARTICLES:
        words = words[1:]
    out = [singular(w) for w in words]
    for i in range(1, len(out)):  # "glasses" are spectacles, "wine glasses" are glasses for wine
        if out[i] == "glasses" and out[i - 1] in _DRINKING_GLASS_WORDS:
            out[i] = "glass"
    return " ".join(out)
