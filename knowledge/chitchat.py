"""Messages that are not sorting questions: greetings, thanks, laughter, questions to the bot
(knowledge/lexicon/chitchat.yaml, also typed in pinyin), and links."""

from __future__ import annotations

import re

from .grammar import lexicon
from .questions import strip_question
from .text import has_cjk, normalize

_CHITCHAT = frozenset(str(w) for w in lexicon("chitchat")["words"])
_CHITCHAT_N = {normalize(w) for w in _CHITCHAT} | {strip_question(normalize(w)) for w in _CHITCHAT}
_CHITCHAT_N.discard("")


def _chitchat_pinyin() -> set[str]:
    """Greetings typed in pinyin ("ni hao", "xiexie") are chit-chat too."""
    from pypinyin import lazy_pinyin

    out = set()
    for w in _CHITCHAT_N:
        if has_cjk(w) and len(w) >= 2:
            py = "".join(lazy_pinyin(w))
            out.add(py)
    return out


_CHITCHAT_PY = _chitchat_pinyin() | {"nihaoya", "xiexiele", "zaima", "zaiba", "haha", "heihei", "hehe", "wo"}
_LAUGH_RE = re.compile(r"^(?:哈|呵|嘿|嘻|啊|嗯|哦|噢|额|呃|hah?|he|lo+l|xd|ha|z{2,}|hm+|u+m+|o+h+)+$")
_URL_RE = re.compile(r"(?:https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|io|me)\b|t\.me/)", re.I)


def is_chitchat(text: str) -> bool:
    """Greetings, thanks, laughter, questions to the bot, and emoji or punctuation alone."""
    n = normalize(text)
    if not n:
        return bool(text.strip())
    compact = n.replace(" ", "")
    return n in _CHITCHAT_N or compact in _CHITCHAT_PY or bool(_LAUGH_RE.match(compact))


def looks_like_url(text: str) -> bool:
    return bool(_URL_RE.search(text))
