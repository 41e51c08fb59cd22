"""The classification of a question: the tiers, in order, over the index (index.py).

The policy: the tiers run in the order of `TIERS` (at the end of this file), and the first tier
that returns a match wins. A tier may only return a match when it answers: a sure one, or a likely
one that no later tier may overrule (the tier's docstring says why). Anything less (ambiguous, or
likely but open to a later correction) it leaves in `pending`; the `first_likely` tier then answers
with the first likely candidate, and the last tier (`no_item_named`) gives a bin of close names or
the did-you-mean candidates gathered on the way, never a guessed category. In order:

1. exact name/alias (normalised: width, Traditional, case, punctuation; variant characters
   桔/橘) and English (articles, plural) on the question text, then on its core (state words
   removed); possessives ("奶茶中的珍珠");
2. typed pinyin ("dianchi", "dian4 chi2"), fuzzy pinyin (z/zh, c/ch, s/sh, n/l, in/ing),
   initials ("dc": unique, 2-4 letters, and not itself pinyin) (sounds.py);
   a food and its part or form ("橙皮", "鱼丸") and contents + container ("六个核桃的罐子",
   containers.py);
3. containment: a known name inside the question (containment.py). Sure when the rest is
   state/filler words ("用过的电池"); likely when the name is the head noun with a short modifier
   naming nothing of another category ("塑料矿泉水瓶子"), or when the last known name heads a
   compound ("咖啡杯杯盖": 杯盖); otherwise did-you-mean ("电池盒" is not a battery);
4. corrections of input errors ("玻离瓶" -> 玻璃瓶, typos.py), then homophones: answered from 4
   syllables ("矿泉水平" -> 矿泉水瓶); with 2-3 syllables only did-you-mean, since short
   homophones are mostly other real words (滑板/花瓣, 项链/湘莲);
5. fuzzy: rapidfuzz on candidates prefiltered by a character n-gram inverted index.
   Answered for English ("batery"); Chinese one-character differences are other items
   (塑料饭盒/塑料鞋盒), so they are only suggested;
6. reverse containment (question is part of names, "塑料"): did-you-mean only.

When no item is named, close.py may still give the bin (likely, no item): known names that end
with the question, head nouns shared by names of one bin, suggestions of one bin sharing the
question's head, names one character away. Never for a phrase, and nothing here guesses a
category for text that matched no item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .close import CloseItems
from .compose import VerdictComposer
from .containers import match_container
from .containment import ContainmentTiers
from .index import FormIndex
from .modifiers import _SENTENCE_STARTS
from .normalize import (
    QueryPart,
    find_states,
    has_cjk,
    is_chitchat,
    is_latin_text,
    looks_like_url,
    normalize,
    parse_query,
)
from .pinyin import PINYIN_QUERY_RE as _PINYIN_QUERY_RE, cjk_only as _cjk_only
from .search import Search
from .sounds import SoundTiers
from .typos import TypoIndex
from .verdicts import AMBIGUOUS, LIKELY, MAX_ALTERNATIVES, SURE, UNKNOWN, SearchHit, Verdict, _Match  # noqa: F401
from .words import is_word

MAX_FUZZY_CHARS = 30  # longer parts skip homophone/typo/reverse matching
MAX_QUERY_CHARS = 500  # longer messages are not sorting questions


@dataclass
class _Attempt:
    """One part of a question on its way through the tiers, and what they left for later ones."""

    part: QueryPart
    text: str
    core: str
    long_text: bool  # pasted paragraphs: cheap paths only
    pending: list[_Match] = field(default_factory=list)  # candidates, best first
    contained: _Match | None = None  # the containment tier's result, read by the next tiers
    fuzzy: _Match | None = None  # the fuzzy tier's result, read by reverse containment


class Matcher(FormIndex, ContainmentTiers, SoundTiers, CloseItems, VerdictComposer, Search):
    """The index (index.py) and the tiers over it; `classify` answers a question."""

    def __init__(self) -> None:
        super().__init__()
        self.typos = TypoIndex(self)

    def match_part(self, part: QueryPart) -> _Match | None:
        """Run TIERS in order over one part of a question: the first tier that returns a match wins.

        A tier returns a match only when it answers (sure, or likely with nothing better known
        so far); candidates it cannot stand behind (ambiguous, or likely but maybe beaten by a later
        tier) go to `pending`, which the `first_likely` and `no_item_named` tiers read.
        """
        text, core = part.text, part.core
        if not text or is_chitchat(text) or (core and is_chitchat(core)):
            return None
        if text.replace(" ", "").isdigit():
            return None
        attempt = _Attempt(part, text, core, long_text=len(text) > MAX_FUZZY_CHARS)
        for tier in TIERS:
            m = tier(self, attempt)
            if m is not None:
                return m
        return None

    # The tiers, in the order of TIERS below.

    def _tier_exact(self, a: _Attempt) -> _Match | None:
        """Exact / alias / English, the message as typed first (请柬 is not 请 + 柬)."""
        typed = normalize(a.part.raw)
        firsts = [(typed, "")] if typed != a.text and _cjk_only(typed) else []
        for cand, rem in (*firsts, (a.text, ""), (a.core, self._remainder(a.text, a.core))):
            ids = self.lookup(cand)
            if ids:
                method = (
                    "english" if is_latin_text(cand) else ("exact" if self.name_key.get(cand) == ids[0] else "alias")
                )
                if method == "alias" and not rem:
                    # an alias that states a state ("吃剩的外卖盒") selects the condition
                    rem = " ".join(find_states(cand)[0])
                if len(ids) == 1:
                    return _Match(SURE, ids, method, rem)
                a.pending.append(_Match(AMBIGUOUS, ids, method, rem))
                break
        return None

    def _tier_possessive(self, a: _Attempt) -> _Match | None:
        """ "奶茶中的珍珠" is 奶茶珍珠; "自热火锅的发热包" is the 发热包 when the whole is of the same category."""
        if has_cjk(a.text) and "的" in a.text:
            return self._match_possessive(a.text)
        return None

    def _tier_typed_pinyin(self, a: _Attempt) -> _Match | None:
        """Typed pinyin and initials."""
        if a.part.latin and _PINYIN_QUERY_RE.match(a.text):
            m = self._match_typed_pinyin(a.text)
            if m:
                if m.confidence in (SURE, LIKELY):
                    return m
                a.pending.append(m)
        return None

    def _tier_food_part(self, a: _Attempt) -> _Match | None:
        """A soft part or the bottle/can of a food or drink: 洋葱皮, 葡萄籽, 啤酒罐."""
        return self._food_part(a.core or a.text)

    def _tier_containment(self, a: _Attempt) -> _Match | None:
        """A known name with only state or filler words around it is sure ("奶粉罐子": 奶粉罐 + 子);
        a likely or ambiguous containment waits for contents + container."""
        a.contained = self._match_containment(a.text)
        if a.contained and a.contained.confidence == SURE:
            return a.contained
        return None

    def _tier_container(self, a: _Attempt) -> _Match | None:
        """Contents + container: 六个核桃的罐子 is a can, 卫龙辣条包装袋 a snack bag."""
        if has_cjk(a.core or a.text):
            c = match_container(self, a.core or a.text)
            if c:
                return _Match(LIKELY, c.ids, "container", self._remainder(a.text, a.core))
        return None

    def _tier_kinds(self, a: _Attempt) -> _Match | None:
        """The question's own kinds outweigh a name inside it: 铅蓄电池, 汽车蓄电池 (hazardous) say what
        a 蓄电池 is, not 电池 with 蓄 before it. Otherwise the name inside is a candidate."""
        m = a.contained
        if m and m.confidence == LIKELY and has_cjk(a.text):
            _decided, kinds = self._kinds(normalize(a.core or a.text))
            if kinds and self.items[kinds[0]].category != self.items[m.ids[0]].category:
                return _Match(LIKELY, kinds, "containment", "", category_only=True)
        if m:
            a.pending.append(m)
        return None

    def _tier_typo(self, a: _Attempt) -> _Match | None:
        """No word itself, one input error away from known forms ("玻离瓶" -> 玻璃瓶). A name found
        inside a typo ("机手电池": 电池) loses to a correction of the whole question, unless that is
        only a key away and the words around the name are a word."""
        t = self._match_typo(a.core or a.text, a.text)
        m = a.contained
        if (
            t
            and t.confidence == LIKELY
            and not (m and m.confidence == LIKELY and t.method == "typo_key" and is_word(m.remainder))
        ):
            return t
        if t:
            a.pending.append(t)
        return None

    def _tier_homophone(self, a: _Attempt) -> _Match | None:
        """Homophones (Chinese questions only): a likely one goes first among the candidates."""
        if has_cjk(a.text) and not a.long_text:
            for cand in dict.fromkeys((a.text, a.core)):
                m = self._match_homophone(cand, a.text)
                if m:
                    if m.confidence == LIKELY and not any(p.confidence == LIKELY for p in a.pending):
                        a.pending.insert(0, m)
                    else:
                        a.pending.append(m)
                    break
        return None

    def _tier_first_likely(self, a: _Attempt) -> _Match | None:
        """The first likely candidate of the tiers above."""
        return next((p for p in a.pending if p.confidence == LIKELY), None)

    def _tier_fuzzy(self, a: _Attempt) -> _Match | None:
        """rapidfuzz over n-gram candidates; likely only for English."""
        a.fuzzy = None if a.long_text else self._match_fuzzy(a.core or a.text)
        if a.fuzzy and a.fuzzy.confidence == LIKELY:
            return a.fuzzy
        return None

    def _tier_reverse(self, a: _Attempt) -> _Match | None:
        """The question is a part of longer names (did-you-mean only); for English, whole words
        ("phone" in "mobile phone") beat letter similarity."""
        r = None if a.long_text else self._match_reverse(a.core or a.text)
        m = a.fuzzy
        a.pending.extend(x for x in ((r, m) if a.part.latin else (m, r)) if x)
        return None

    def _tier_no_item_named(self, a: _Attempt) -> _Match | None:
        """No item named. A bin may still be clear from close names, unless the question is a phrase
        ("吃饭", "你是机器人", "我的…"): those get no guessed bin. Else did-you-mean, or nothing."""
        key = normalize(a.core or a.text)
        guess = key[:1] not in _SENTENCE_STARTS
        ids: list[int] = []
        if a.pending:
            for p in a.pending:
                for i in p.ids:
                    if i not in ids:
                        ids.append(i)
            ids = self._sharing_text(key, ids)[:MAX_ALTERNATIVES]
            fix = self._edit_correction(key) if guess else None
            if fix:
                return fix
            close = self._close_bin(key, ids) if ids and guess else None
            if close:
                # not this item itself, but every close one goes in the same bin
                return _Match(LIKELY, close, a.pending[0].method, "", category_only=True)
        head = self._head_bin(key) if guess else None
        if head or not ids:
            return head
        return _Match(AMBIGUOUS, ids, a.pending[0].method, "")

    def classify(self, query: str) -> Verdict:
        if (
            not query
            or not query.strip()
            or len(query) > MAX_QUERY_CHARS
            or looks_like_url(query)
            or query.lstrip()[:1] in ("/", "@")
        ):
            return Verdict(query=query)  # empty, links, bot commands and mentions
        whole, parts = parse_query(query)
        if whole is None:
            return Verdict(query=query)
        if parts:
            # "你好，电池是什么垃圾" / "hi, where do batteries go": greetings are not items
            kept = [p for p in parts if not (is_chitchat(p.text) or is_chitchat(p.core))]
            if len(kept) == 1:
                return self.verdict_for(query, self.match_part(kept[0]))
            parts = kept or parts
            # The whole message may itself be one name ("纸、笔套装" as an alias), and a
            # conjunction character may be part of a word ("暖和的衣服"): read it as one
            # item unless every part is recognised on its own.
            wm = self.match_part(whole)
            if wm is not None and wm.confidence == SURE and wm.method in ("exact", "alias", "english"):
                return self.verdict_for(query, wm)
            pms = [self.match_part(p) for p in parts]
            all_parts = all(m is not None and m.confidence in (SURE, LIKELY) for m in pms)
            any_part = any(m is not None and m.confidence in (SURE, LIKELY) for m in pms)
            if not any_part or (not all_parts and wm is not None and wm.confidence in (SURE, LIKELY)):
                return self.verdict_for(query, wm)
            verdicts = [self.verdict_for(p.raw.strip(), m) for p, m in zip(parts, pms)]
            first = verdicts[0]
            first.query = query
            first.items = verdicts[1:]
            return first
        verdict = self.verdict_for(query, self.match_part(whole))
        if verdict.answered:
            verdict.asked = list(whole.asked)
        return verdict


TIERS: tuple[Callable[[Matcher, _Attempt], _Match | None], ...] = (
    Matcher._tier_exact,
    Matcher._tier_possessive,
    Matcher._tier_typed_pinyin,
    Matcher._tier_food_part,
    Matcher._tier_containment,
    Matcher._tier_container,
    Matcher._tier_kinds,
    Matcher._tier_typo,
    Matcher._tier_homophone,
    Matcher._tier_first_likely,
    Matcher._tier_fuzzy,
    Matcher._tier_reverse,
    Matcher._tier_no_item_named,
)
