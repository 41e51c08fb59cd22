"""Is this text a real Chinese word? Tells a typo (玻离瓶, 电尺) from a word of its own (花瓣, 滑板).

The word list is jieba's dictionary (349,000 words with corpus frequencies, MIT), read once on
first use from the installed package's dict.txt; jieba's segmenter itself is not needed, so it is
not imported (that costs half a second). pypinyin's phrase list (47,000 words with polyphones) is
added (loaded by the pinyin helpers, pinyin.py). A word counts when either list holds it.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from .pinyin import pypinyin_parts


@lru_cache(maxsize=1)
def _jieba_words() -> frozenset[str]:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:  # pragma: no cover - jieba is a dependency
        return frozenset()
    path = Path(spec.origin).with_name("dict.txt")
    words = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            w = line.split(" ", 1)[0]
            if len(w) >= 2:
                words.add(w)
    return frozenset(words)


def is_word(text: str) -> bool:
    """True if text (normalised, two or more characters) is a dictionary word."""
    return len(text) >= 2 and (text in pypinyin_parts()[1] or text in _jieba_words())
