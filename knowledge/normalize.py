"""Parsing a sorting question into the items it names.

`parse_query(text)` turns a whole question into one `QueryPart` per item named: question words
stripped (grammar.py's tails, questions.py's phrases), state words extracted ("沾了油的" -> tag
"greasy", states.py) and the bare item words (`core`) kept. The text keys themselves come from
text.py (`normalize`) and english.py (`en_key`); this module re-exports them, so callers import
one module for the text of a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .chitchat import is_chitchat, looks_like_url
from .english import en_key, singular
from .grammar import asked_en, parse_tail
from .questions import _ZH_SUFFIX_RE, spaced, strip_question
from .states import (
    _STATE_PREFIX_CHARS,
    FILLERS,
    STATE_LEXICON,
    STATE_PHRASES_ZH,
    _negated_en,
    _negated_zh,
    find_states,
    state_tags_of,
    strip_states,
)
from .text import _basic, has_cjk, is_cjk, is_latin_text, normalize, to_simplified

__all__ = [
    "normalize",
    "en_key",
    "singular",
    "is_cjk",
    "has_cjk",
    "is_latin_text",
    "to_simplified",
    "QueryPart",
    "parse_query",
    "find_states",
    "strip_states",
    "state_tags_of",
    "strip_question",
    "is_chitchat",
    "looks_like_url",
    "FILLERS",
    "STATE_LEXICON",
    "STATE_PHRASES_ZH",
    "_negated_en",
    "_negated_zh",
]


_SEP_CHARS = "，,、;；/／+＋&＆\n|｜"
_SEP_RE = re.compile(r"[" + re.escape(_SEP_CHARS) + r"]|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_ZH_CONJ_RE = re.compile(r"(?<=\S)(?:以及|还有|和|跟|与|及|或者|或是|加上)(?=\S)")
_EN_CONJ_RE = re.compile(r"\s+(?:and|or|plus|as well as)\s+")
_CONJ_ONLY_RE = re.compile(r"^(?:以及|还有|和|跟|与|及|或者|或是|加上|还有|and|or|plus)$")


@dataclass
class QueryPart:
    """One item named in a question."""

    raw: str  # the part of the message
    text: str  # normalised, question words stripped, state words kept
    core: str  # `text` with leading/trailing state words stripped
    states: list[str] = field(default_factory=list)  # state phrases found
    tags: set[str] = field(default_factory=set)  # their tags (greasy, dirty, ...)
    latin: bool = False  # only ASCII letters/digits (English or pinyin)
    asked: tuple[str, ...] = ()  # bins the question names to confirm or choose from (grammar.py)


def _make_part(raw: str) -> QueryPart | None:
    text = normalize(raw)
    if not text:
        return None
    text, asked = _strip_tails(text)
    if not text:
        return None
    states, tags = find_states(text)
    core = strip_states(text)
    if core != text and text[0] in _STATE_PREFIX_CHARS and text[1:].startswith(core[:1]):
        tags.add(_STATE_PREFIX_CHARS[text[0]])
        states.append(text[0])
    if has_cjk(core):
        core = _ZH_SUFFIX_RE.sub("", core) or core
    return QueryPart(raw=raw, text=text, core=core, states=states, tags=tags, latin=is_latin_text(text), asked=asked)


def _strip_tails(text: str) -> tuple[str, tuple[str, ...]]:
    """Question words around the item: the tail grammar (grammar.py) and the question phrases."""
    asked: tuple[str, ...] = asked_en(spaced(text))  # "is a banana peel food waste": read as a whole
    prev = None
    while prev != text and text:
        prev = text
        tail = parse_tail(text) if has_cjk(text) else None
        if tail is not None:
            text, asked = tail.rest, asked or tail.asked
        text = strip_question(text)
    return text, asked


def parse_query(message: str) -> tuple[QueryPart | None, list[QueryPart]]:
    """Parse a message into (whole, parts).

    `whole` treats the whole message as one item (None if nothing is left after
    normalisation); `parts` is the list of items when the message names several
    (empty or one element otherwise). The matcher decides which reading wins.
    """
    base = _basic(message)
    whole = _make_part(base)
    if whole is None:
        return None, []
    # Each piece gets its own question-word stripping, so that
    # "电池和塑料瓶是什么垃圾" splits into 电池 / 塑料瓶.
    pre = base
    pieces = [p for p in _SEP_RE.split(pre) if p.strip() and not _CONJ_ONLY_RE.match(p.strip())]
    out: list[str] = []
    for piece in pieces:
        sub = _EN_CONJ_RE.split(piece) if not has_cjk(piece) else _ZH_CONJ_RE.split(piece)
        out.extend(s for s in sub if s.strip())
    parts = [p for p in (_make_part(s) for s in out) if p is not None]
    if len(parts) <= 1:
        return whole, []
    return whole, parts
