"""State words around an item name: "沾了油的" (greasy), "用过的" (used), "摔碎了" (broken).

Phrases and the grammar of states said after the item come from knowledge/lexicon/states.yaml
(see grammar.py); `find_states` finds them anywhere in normalised text (a negation just before a
phrase cancels it: "没洗干净" is not clean), `strip_states` removes them at the edges, leaving the
item words, and `FILLERS` are words around a name that do not change what it is.
"""

from __future__ import annotations

import re

from .grammar import lexicon, state_lexicon
from .text import has_cjk, normalize

# tag -> surface phrases (zh and en), from knowledge/lexicon/states.yaml. Longer phrases are
# matched first.
STATE_LEXICON: dict[str, list[str]] = state_lexicon()

# Single-character prefixes that mean "waste/old/dirty" in front of a name (废电池).
_STATE_PREFIX_CHARS: dict[str, str] = dict(lexicon("states")["prefix_chars"])
_PREFIX_TAGS = {**_STATE_PREFIX_CHARS, **lexicon("states")["prefix_tags"]}  # 空: tagged, never stripped

_PHRASE_TAG: dict[str, str] = {}
for _tag, _phrases in STATE_LEXICON.items():
    for _p in _phrases:
        _PHRASE_TAG.setdefault(normalize(_p), _tag)
_PHRASES_BY_LEN = sorted(_PHRASE_TAG, key=len, reverse=True)
_ZH_PHRASES = [p for p in _PHRASES_BY_LEN if has_cjk(p)]
_EN_PHRASES = [p for p in _PHRASES_BY_LEN if not has_cjk(p)]
STATE_PHRASES_ZH = tuple(_ZH_PHRASES)


_NEG_ZH = ("没有", "没", "未", "不", "非", "无")
_NEG_EN = ("not", "no", "never", "non")


def _negated_zh(text: str, pos: int) -> bool:
    """A negation within the two characters before pos ("没洗干净", "不太干净")."""
    before = text[max(0, pos - 2) : pos]
    return any(n in before for n in _NEG_ZH)


def _negated_en(words_before: str) -> bool:
    return words_before.split()[-1:] in ([n] for n in _NEG_EN)


def state_tags_of(word: str) -> set[str]:
    """Tags of a state word or phrase (`沾油` -> {greasy}); empty if not known.
    A negated phrase that is not itself in the lexicon has no tag ("not rinsed" is not clean)."""
    w = normalize(word)
    tags: set[str] = set()
    if w in _PHRASE_TAG:
        tags.add(_PHRASE_TAG[w])
    elif w.startswith(_NEG_ZH) or w.split()[:1] in ([n] for n in _NEG_EN):
        return tags
    elif has_cjk(w):
        for p in _ZH_PHRASES:
            if len(p) >= 2 and p in w:
                tags.add(_PHRASE_TAG[p])
    else:
        padded = f" {w} "
        for p in _EN_PHRASES:
            if f" {p} " in padded:
                tags.add(_PHRASE_TAG[p])
    if not tags and w in _PREFIX_TAGS:
        tags.add(_PREFIX_TAGS[w])
    return tags


def find_states(text: str) -> tuple[list[str], set[str]]:
    """State phrases found anywhere in normalised text, and their tags."""
    found: list[str] = []
    tags: set[str] = set()
    if has_cjk(text):
        rest = text
        # only phrases starting with a character of the text, in _ZH_PHRASES order
        for k in sorted({k for c in set(text) for k in _ZH_BY_FIRST.get(c, ())}):
            p = _ZH_PHRASES[k]
            if len(p) >= 2 and p in rest:
                pos = rest.find(p)
                rest = rest.replace(p, "\x00")
                if _negated_zh(text, text.find(p)) and pos >= 0:
                    continue  # "没洗干净的": not clean
                found.append(p)
                tags.add(_PHRASE_TAG[p])
    padded = f" {text} "
    for p in _EN_PHRASES:
        i = padded.find(f" {p} ")
        if i >= 0:
            padded = padded.replace(f" {p} ", " \x00 ")
            if _negated_en(padded[:i]):
                continue
            found.append(p)
            tags.add(_PHRASE_TAG[p])
    return found, tags


_STRIP_PREFIX_ZH = sorted({p for p in _ZH_PHRASES}, key=len, reverse=True)


def _by_char(phrases: list[str] | tuple[str, ...], at: int) -> dict[str, tuple[int, ...]]:
    """Character -> indices of the phrases with that character at position `at` (0 or -1)."""
    out: dict[str, list[int]] = {}
    for k, p in enumerate(phrases):
        out.setdefault(p[at], []).append(k)
    return {c: tuple(ks) for c, ks in out.items()}


_ZH_BY_FIRST = _by_char(_ZH_PHRASES, 0)
_STRIP_FIRST, _STRIP_LAST = _by_char(_STRIP_PREFIX_ZH, 0), _by_char(_STRIP_PREFIX_ZH, -1)


def strip_states(text: str) -> str:
    """Remove state phrases at the start and end of normalised text (core item words)."""
    prev = None
    cjk = has_cjk(text)
    while prev != text:
        prev = text
        if cjk and text:
            # only phrases that start or end the text can match, in _STRIP_PREFIX_ZH order
            ks = sorted({*_STRIP_FIRST.get(text[0], ()), *_STRIP_LAST.get(text[-1], ())})
            for p in (_STRIP_PREFIX_ZH[k] for k in ks):
                if text.startswith(p) and len(text) > len(p):
                    text = text[len(p) :].lstrip("的")
                    break
                if text.endswith(p) and len(text) > len(p):
                    text = text[: -len(p)]
                    text = re.sub(r"(是|已经|有点|有些|都|被)+$", "", text) or text
                    break
            else:
                if len(text) >= 3 and text[0] in _STATE_PREFIX_CHARS:
                    text = text[1:]
        else:
            words = text.split()
            # leading English state words ("used batteries", "greasy pizza box")
            for p in _EN_PHRASES:
                pw = p.split()
                if len(words) > len(pw) and words[: len(pw)] == pw:
                    words = words[len(pw) :]
                    break
                if len(words) > len(pw) and words[-len(pw) :] == pw:
                    words = words[: -len(pw)]
                    break
            text = " ".join(words)
    if cjk:
        text = re.sub(r"^(的|了)+|(的|了)+$", "", text) or text
    return text.strip()


# Words that may surround an item name without changing what it is.
FILLERS = frozenset(str(w) for w in lexicon("states")["fillers"])
