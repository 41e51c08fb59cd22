"""Messages that are not sorting questions: greetings, thanks, laughter, questions to the bot
(knowledge/lexicon/chitchat.yaml, also typed in pinyin), and links."""

from __future__ import annotations

import re

from .grammar import lexicon
from .pinyin import pypinyin_parts
from .questions import strip_question
from .text import has_cjk, normalize

_CHITCHAT = frozenset(str(w) for w in lexicon("chitchat")["words"])
_CHITCHAT_N = {normalize(w) for w in _CHITCHAT} | {strip_question(normalize(w)) for w in _CHITCHAT}
_CHITCHAT_N.discard("")


_pinyin: frozenset[str] | None = None


def chitchat_pinyin() -> frozenset[str]:
    """Greetings typed in pinyin ("ni hao", "xiexie") are chit-chat too. All are ASCII (a test checks):
    only questions in ASCII look them up. Computed on first use (pypinyin loads in about a second),
    or read with the knowledge base's cache (kb_cache.py)."""
    global _pinyin
    if _pinyin is None:
        lazy_pinyin = pypinyin_parts()[0]
        out = {"nihaoya", "xiexiele", "zaima", "zaiba", "haha", "heihei", "hehe", "wo"}
        for w in _CHITCHAT_N:
            if has_cjk(w) and len(w) >= 2:
                out.add("".join(lazy_pinyin(w)))
        _pinyin = frozenset(out)
    return _pinyin


def remember_chitchat_pinyin(words: frozenset[str]) -> None:
    """What ``chitchat_pinyin()`` computed in a process with the same lexicon and pypinyin."""
    global _pinyin
    _pinyin = words


_LAUGH_RE = re.compile(r"^(?:哈|呵|嘿|嘻|啊|嗯|哦|噢|额|呃|hah?|he|lo+l|xd|ha|z{2,}|hm+|u+m+|o+h+)+$")
_URL_RE = re.compile(r"(?:https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|io|me)\b|t\.me/)", re.I)


def is_chitchat(text: str) -> bool:
    """Greetings, thanks, laughter, questions to the bot, and emoji or punctuation alone."""
    n = normalize(text)
    if not n:
        return bool(text.strip())
    compact = n.replace(" ", "")
    if n in _CHITCHAT_N or (compact.isascii() and compact in chitchat_pinyin()):
        return True
    return bool(_LAUGH_RE.match(compact))


def looks_like_url(text: str) -> bool:
    return bool(_URL_RE.search(text))
