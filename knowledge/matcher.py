"""Indexes over item surface forms and the classification of a question.

Matching tiers (the first "sure" answer wins; otherwise the first "likely" one;
otherwise the did-you-mean candidates gathered on the way, never a category):

1. exact name/alias (normalised: width, Traditional, case, punctuation) and English
   (articles, plural) on the question text, then on its core (state words removed);
2. typed pinyin ("dianchi", "dian4 chi2"), fuzzy pinyin (z/zh, c/ch, s/sh, n/l, in/ing),
   initials ("dc": unique, 2-4 letters, and not itself pinyin);
3. containment: a known name inside the question. Sure when the rest is state/filler
   words ("用过的电池"); likely when the name is the head noun with a short modifier
   naming nothing of another category ("塑料矿泉水瓶子"); otherwise did-you-mean
   ("电池盒" is not a battery);
4. homophones / input-method errors: pinyin of the Chinese question. Answered from 4
   syllables ("矿泉水平" -> 矿泉水瓶); with 2-3 syllables only did-you-mean ("电尺" ->
   电池?), since short homophones are mostly other real words (滑板/花瓣, 项链/湘莲);
5. typos: rapidfuzz on candidates prefiltered by a character n-gram inverted index.
   Answered for English ("batery"); Chinese one-character differences are other items
   (塑料饭盒/塑料鞋盒), so they are only suggested;
6. reverse containment (question is part of names, "塑料"): did-you-mean only.

Nothing here guesses a category for text that matched no item.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from .pinyin import (
    INITIAL_LETTERS as _INITIAL_LETTERS,
    PINYIN_QUERY_RE as _PINYIN_QUERY_RE,
    TONE_RE as _TONE_RE,
    cjk_only as _cjk_only,
    fuzzy_syllable,
    segment_pinyin as _segment_pinyin,
    syllables,
)
from .containers import match_container
from .verdicts import AMBIGUOUS, LIKELY, SURE, UNKNOWN, SearchHit, Verdict, _Match  # noqa: F401
from .grammar import lexicon
from .typos import TypoIndex
from .words import is_word
from .normalize import (
    FILLERS,
    _negated_en,
    _negated_zh,
    QueryPart,
    en_key,
    find_states,
    has_cjk,
    is_chitchat,
    is_latin_text,
    looks_like_url,
    normalize,
    parse_query,
    STATE_PHRASES_ZH,
    state_tags_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Category, Condition, Item

MAX_ALTERNATIVES = 3
HEAD_MAX_CHARS = 6  # longer questions are phrases, not names
HEAD_MIN_NAMES_2 = 4  # names sharing a two-character head before it decides
HEAD_MIN_NAMES_1 = 8
HEAD_PURITY = 0.95
_SENTENCE_STARTS = frozenset("我你他她它咱您在是要想去吃喝看玩做")

# Fuzzy thresholds (rapidfuzz ratio, 0..100)
FUZZY_LIKELY_LATIN = 85.0
FUZZY_SUGGEST = 60.0
FUZZY_SUGGEST_LATIN = 70.0
FUZZY_MARGIN = 6.0
GRAM_STOP = 3000  # n-grams with longer posting lists are skipped when rarer ones exist
FUZZY_CANDIDATES = 40
HOMOPHONE_MIN_SYLLABLES = 4
MAX_FUZZY_CHARS = 30  # longer parts skip homophone/typo/reverse matching
MAX_QUERY_CHARS = 500  # longer messages are not sorting questions
SCAN_CAP = 60000  # forms scanned for one-character inline searches


_EDGE_TOKENS = sorted(
    {p for p in STATE_PHRASES_ZH} | set(FILLERS) | set("废旧脏破坏空"), key=len, reverse=True
)


# Words before a name that make it another kind of thing: "电动滑板车" is not a 塑料滑板车 (it has a
# battery), "一次性枕套" is not a textile to recycle. With them, containment suggests, never answers,
# unless the item already is of that kind (an e-waste item, a residual one).
_ELECTRIC_MODIFIERS = ("电动", "电子", "电热", "充电", "智能", "锂电", "加热", "电池")
_DISPOSABLE_MODIFIERS = ("一次性",)
_PURPOSE_MODIFIERS = ("驱蚊", "剃须", "清洁", "消毒", "杀虫")  # what it is for changes what it is
# Plastic is what most household things are made of: "塑料牙签" is still a 牙签, so the
# generic plastic item does not count as another thing named in the modifier. Other
# materials do ("金属牙签" may be recyclable metal): items say so with conditions.
_UNMARKED_MATERIALS = frozenset({"塑料", "塑胶"})
_CHANGING_MODIFIERS = (*_PURPOSE_MODIFIERS, *_ELECTRIC_MODIFIERS, *_DISPOSABLE_MODIFIERS)
_FOOD_PARTS = lexicon("food_parts")
_FOOD_SOFT_PARTS = frozenset(_FOOD_PARTS["soft_parts"])
_FOOD_FORMS = frozenset(_FOOD_PARTS["forms"])
_PRODUCE_FILES = tuple(_FOOD_PARTS["produce_files"])
_LISTED_HEADS = {h: cat for cat, hs in lexicon("heads").items() for h in hs}  # head -> bin
_FOOD_CONTAINERS = {"瓶": ("玻璃瓶", "塑料瓶"), "罐": ("易拉罐", "玻璃罐")}


def _changing_words(text: str) -> frozenset[str]:
    """The words in a name that make it another thing: electric, disposable, a purpose."""
    return frozenset(w for w in _CHANGING_MODIFIERS if w in text)


def _modifier_changes(modifier: str, item: Item) -> bool:
    if any(w in modifier for w in _PURPOSE_MODIFIERS):
        return True
    if any(w in modifier for w in _ELECTRIC_MODIFIERS) or modifier.strip() == "电":  # 电热水袋
        return item.stream is None or item.stream.value != "e_waste"
    if any(w in modifier for w in _DISPOSABLE_MODIFIERS):
        return item.category.value != "residual"
    return False


_POSSESSIVE_RE = re.compile("(?<=[\u4e00-\u9fff])(?:中的|里的|里面的|上的|的)(?=[\u4e00-\u9fff])")

# --- the index ---------------------------------------------------------------------------

class Matcher:
    """All lookup structures. Items are referenced by their index in `items`."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.exact: dict[str, list[int]] = {}  # normalised form -> item ids
        self.pinyin: dict[str, set[int]] = {}  # "dianchi" -> ids (forms of >= 2 syllables)
        self.fuzzy_pinyin: dict[str, set[int]] = {}
        self.initials: dict[str, set[int]] = {}
        self.form_keys: list[str] = []  # form id -> key
        self.form_item: list[int] = []  # form id -> item id
        self.grams: dict[str, list[int]] = {}  # n-gram -> form ids
        self.max_form_len = 1
        self.name_key: dict[str, int] = {}  # normalised canonical name -> id
        self.heads: dict[str, list[int]] = {}  # last one/two characters of names -> item ids
        self._bulk = False
        self._pinyin_sorted: list[str] | None = None
        self.typos = TypoIndex(self)

    def begin_bulk(self) -> None:
        """Faster loading: postings are appended and sorted once by end_bulk()."""
        self._bulk = True

    def end_bulk(self) -> None:
        self._bulk = False
        flen = self._form_len
        for post in self.grams.values():
            if len(post) > 1:
                post.sort(key=flen)  # stable: equal lengths keep load order

    # -- building --
    def add(self, item: Item) -> int:
        iid = len(self.items)
        self.items.append(item)
        name_key = normalize(item.name)
        self.name_key.setdefault(name_key, iid)
        if _cjk_only(name_key):
            for h in (name_key[-2:], name_key[-1:]):
                if len(name_key) > len(h):  # 鱼丸 counts for the head 丸; 丸子 itself does not
                    self.heads.setdefault(h, []).append(iid)
        for form in [item.name, *item.aliases]:
            self.add_form(iid, form)
        for form in item.en:
            self.add_form(iid, form, english=True)
        return iid

    def keys_of(self, form: str, english: bool = False) -> list[str]:
        keys = [normalize(form)]
        if english or is_latin_text(keys[0]):
            k = en_key(form)
            if k and k not in keys:
                keys.append(k)
        return [k for k in keys if k]

    def add_form(self, iid: int, form: str, english: bool = False) -> None:
        for key in self.keys_of(form, english):
            ids = self.exact.setdefault(key, [])
            if iid in ids:
                continue
            ids.append(iid)
            fid = len(self.form_keys)
            self.form_keys.append(key)
            self.form_item.append(iid)
            klen = len(key)
            for g in self._grams(key):
                post = self.grams.get(g)
                if post is None:
                    self.grams[g] = [fid]
                elif self._bulk or klen >= len(self.form_keys[post[-1]]):
                    post.append(fid)  # bulk loads are sorted once in end_bulk()
                else:  # keep postings sorted by form length: shortest forms first
                    bisect.insort_right(post, fid, key=self._form_len)
            self.max_form_len = max(self.max_form_len, len(key))
            if has_cjk(key):
                syl = syllables(key)
                if len(syl) >= 2:
                    self.pinyin.setdefault("".join(syl), set()).add(iid)
                    self.fuzzy_pinyin.setdefault("".join(fuzzy_syllable(s) for s in syl), set()).add(iid)
                    if _cjk_only(key):
                        self.initials.setdefault("".join(s[0] for s in syl), set()).add(iid)

    def _pinyin_keys(self) -> list[str]:
        """Sorted pinyin keys for prefix search (rebuilt after additions)."""
        if self._pinyin_sorted is None or len(self._pinyin_sorted) != len(self.pinyin):
            self._pinyin_sorted = sorted(self.pinyin)
        return self._pinyin_sorted

    def _form_len(self, fid: int) -> int:
        return len(self.form_keys[fid])

    @staticmethod
    def _grams(key: str) -> set[str]:
        if has_cjk(key):
            s = key.replace(" ", "")
            g = {s[i : i + 2] for i in range(len(s) - 1)}
            g |= {s[i] + "_" + s[i + 2] for i in range(len(s) - 2)}  # skip-grams catch 1-char substitutions
            if len(s) == 1:
                g.add(s)
            return g
        s = f" {key} "
        return {s[i : i + 3] for i in range(len(s) - 2)}

    # -- lookups --
    def lookup(self, text: str) -> list[int]:
        if not text:
            return []
        ids = self.exact.get(text)
        if ids:
            return ids
        if is_latin_text(text):
            ids = self.exact.get(en_key(text))
            if ids:
                return ids
        return []

    def fuzzy_candidates(self, key: str, limit: int = FUZZY_CANDIDATES) -> list[tuple[float, int]]:
        """(score, form id) for forms sharing n-grams with key, best first."""
        grams = self._grams(key)
        postings = [(g, self.grams[g]) for g in grams if g in self.grams]
        if not postings:
            return []
        postings.sort(key=lambda p: len(p[1]))
        rare = [p for p in postings if len(p[1]) <= GRAM_STOP]
        # Only frequent grams ("塑料" at 50k items): the shortest forms of the rarest gram
        # (postings are sorted by form length) are the best-scoring candidates anyway.
        use = rare if rare else [(postings[0][0], postings[0][1][:GRAM_STOP])]
        counts: Counter[int] = Counter()
        for _, fids in use:
            counts.update(fids)
        top = counts.most_common(limit * 3)
        scored = []
        for fid, _n in top:
            scored.append((fuzz.ratio(key, self.form_keys[fid]), fid))
        scored.sort(key=lambda x: (-x[0], len(self.form_keys[x[1]])))
        return scored[:limit]

    # -- classification of one item part --
    def match_part(self, part: QueryPart) -> _Match | None:
        text, core = part.text, part.core
        if not text or is_chitchat(text) or (core and is_chitchat(core)):
            return None
        if text.replace(" ", "").isdigit():
            return None
        pending: list[_Match] = []

        # 1. exact / alias / English (the message as typed first: 请柬 is not 请 + 柬)
        typed = normalize(part.raw)
        firsts = [(typed, "")] if typed != text and _cjk_only(typed) else []
        for cand, rem in (*firsts, (text, ""), (core, self._remainder(text, core))):
            ids = self.lookup(cand)
            if ids:
                method = "english" if is_latin_text(cand) else (
                    "exact" if self.name_key.get(cand) == ids[0] else "alias")
                if method == "alias" and not rem:
                    # an alias that states a state ("吃剩的外卖盒") selects the condition
                    rem = " ".join(find_states(cand)[0])
                if len(ids) == 1:
                    return _Match(SURE, ids, method, rem)
                pending.append(_Match(AMBIGUOUS, ids, method, rem))
                break

        # 1b. possessive phrasing: "奶茶中的珍珠" is 奶茶珍珠; "自热火锅的发热包" is the 发热包 when
        # the whole (自热火锅) is of the same category
        if has_cjk(text) and "的" in text:
            m = self._match_possessive(text)
            if m:
                return m

        # 2. typed pinyin / initials
        if part.latin and _PINYIN_QUERY_RE.match(text):
            m = self._match_typed_pinyin(text)
            if m:
                if m.confidence in (SURE, LIKELY):
                    return m
                pending.append(m)

        # 2b. a soft part or the bottle/can of a food or drink: 洋葱皮, 葡萄籽, 啤酒罐
        m = self._food_part(core or text)
        if m:
            return m

        # 2c. contents + container: 六个核桃的罐子 is a can, 卫龙辣条包装袋 a snack bag
        if has_cjk(core or text):
            c = match_container(self, core or text)
            if c:
                return _Match(LIKELY, c.ids, "container", self._remainder(text, core))

        # 3. containment
        m = self._match_containment(text)
        if m:
            if m.confidence == SURE:
                return m
            pending.append(m)

        # 3b. typos: no word itself, one input error away from known forms ("玻离瓶" -> 玻璃瓶).
        # A name found inside a typo ("机手电池": 电池) loses to a correction of the whole
        # question, unless that is only a key away and the words around the name are a word.
        t = self._match_typo(core or text, text)
        if t and t.confidence == LIKELY and not (m and m.confidence == LIKELY and t.method == "typo_key"
                                                 and is_word(m.remainder)):
            return t
        if t:
            pending.append(t)

        long_text = len(text) > MAX_FUZZY_CHARS  # pasted paragraphs: cheap paths only

        # 4. homophones (Chinese questions only)
        if has_cjk(text) and not long_text:
            for cand in dict.fromkeys((text, core)):
                m = self._match_homophone(cand, text)
                if m:
                    if m.confidence == LIKELY and not any(p.confidence == LIKELY for p in pending):
                        pending.insert(0, m)
                    else:
                        pending.append(m)
                    break

        likely = [p for p in pending if p.confidence == LIKELY]
        if likely:
            return likely[0]

        # 5. typos
        m = None if long_text else self._match_fuzzy(core or text)
        if m and m.confidence == LIKELY:
            return m

        # 6. reverse containment: question is a part of longer names (did-you-mean only);
        # for English, whole words ("phone" in "mobile phone") beat letter similarity
        r = None if long_text else self._match_reverse(core or text)
        pending.extend(x for x in ((r, m) if part.latin else (m, r)) if x)

        # Below: no item named. A bin may still be clear from close names, unless the
        # question is a phrase ("吃饭", "你是机器人", "我的…"): those get no guessed bin.
        key = normalize(core or text)
        guess = key[:1] not in _SENTENCE_STARTS
        ids: list[int] = []
        if pending:
            for p in pending:
                for i in p.ids:
                    if i not in ids:
                        ids.append(i)
            ids = self._sharing_text(key, ids)[:MAX_ALTERNATIVES]
            close = self._close_bin(key, ids) if ids and guess else None
            if close:
                # not this item itself, but every close one goes in the same bin
                return _Match(LIKELY, close, pending[0].method, "", category_only=True)
        head = self._head_bin(key) if guess else None
        if head or not ids:
            return head
        return _Match(AMBIGUOUS, ids, pending[0].method, "")

    def contains_known(self, text: str) -> bool:
        """Whether a known Chinese form of two or more characters is inside text."""
        n = len(text)
        return any(text[i:j] in self.exact for i in range(n) for j in range(i + 2, min(n, i + self.max_form_len) + 1))

    def _match_typo(self, key: str, text: str) -> _Match | None:
        c = self.typos.correct(key)
        if c is None:
            return None
        method = "typo_key" if c.level == 3 else "typo"
        if c.same_bin:
            return _Match(LIKELY, c.ids, method, self._remainder(text, key), corrected=c.forms[0])
        return _Match(AMBIGUOUS, c.ids[:MAX_ALTERNATIVES], method, "")

    def _head_bin(self, key: str) -> _Match | None:
        """Chinese names are head-final: 鱼丸, 贡丸, 牛肉丸 are all 丸. When nearly every known
        name ending in the (normalised) question's last one or two characters goes in one bin,
        so does it."""
        if not _cjk_only(key) or not 2 <= len(key) <= HEAD_MAX_CHARS or _changing_words(key):
            return None  # 电动滑板车 is not just another 车
        heads = [(key[-2:], HEAD_MIN_NAMES_2)] if len(key) > 2 else []
        if len(key) <= 3:  # longer names mostly end in a two-character word (火星土壤样本: 样本, not 本)
            heads.append((key[-1:], HEAD_MIN_NAMES_1))
        for h, need in heads:
            ids = self.heads.get(h, [])
            listed = _LISTED_HEADS.get(h)  # a curator says this head decides (lexicon/heads.yaml)
            if len(ids) < (1 if listed else need):
                continue
            counts = Counter(self.items[i].category for i in ids)
            cat, n = counts.most_common(1)[0]
            if n / len(ids) >= (1.0 if listed else HEAD_PURITY) and listed in (None, cat.value):
                if self._conflicting_forms(key, len(key) - len(h), len(h), ids[0], cat):
                    return None  # 碘酒瓶: 碘酒 is hazardous, whatever most 酒瓶 are
                examples = sorted((i for i in ids if self.items[i].category == cat),
                                  key=lambda i: len(self.items[i].name))[:MAX_ALTERNATIVES]
                return _Match(LIKELY, examples, "head", "", category_only=True)
            return None  # a mixed head: the shorter one says no more
        return None

    def _food_part(self, text: str) -> _Match | None:
        """Unknown names made of a food and a part or container word: soft parts of produce
        and the forms cooking gives any food (knowledge/lexicon/food_parts.yaml) are food; its
        bottles and cans (瓶 罐) are recyclable.
        Hard shells and stones (壳 核) are not covered: some are residual."""
        key = normalize(text)
        if len(key) < 3 or not _cjk_only(key) or key in self.exact:
            return None
        base, part = key[:-1], key[-1]
        ids = self.exact.get(base)
        if not ids or any(self.items[i].category.value != "food" for i in ids):
            return None
        if part in _FOOD_SOFT_PARTS and all(
                any(f in self.items[i].source for f in _PRODUCE_FILES) for i in ids):
            # fruit and vegetables only: 冰棒皮 is a wrapper, not a peel
            return _Match(LIKELY, list(ids)[:1], "part", "", category_only=True)
        if part in _FOOD_FORMS:  # 毛豆结, 土豆丝: what cooking makes of a food is food
            return _Match(LIKELY, list(ids)[:1], "part", "", category_only=True)
        if part in _FOOD_CONTAINERS:  # answer with the plain containers: 玻璃瓶, 塑料瓶 / 易拉罐, 玻璃罐
            examples = [self.exact[k][0] for k in _FOOD_CONTAINERS[part] if k in self.exact]
            if examples and all(self.items[i].category.value == "recyclable" for i in examples):
                return _Match(LIKELY, examples, "part", "", category_only=True)
        return None

    def _sharing_text(self, key: str, ids: list[int]) -> list[int]:
        """Suggestions for a Chinese question must share a character with one of their names:
        a sound-alike or look-alike with nothing in common (鸡粪 -> 味精) is noise."""
        chars = {c for c in key if has_cjk(c)}
        if not chars:
            return ids
        return [i for i in ids
                if any(c in f for f in (self.items[i].name, *self.items[i].aliases) for c in chars)]

    def _close_bin(self, key: str, ids: list[int]) -> list[int] | None:
        """The close items to answer with when they all go in one bin, else None.

        First, known names that end with the whole question ("纯牛奶盒", "听装啤酒罐" for 牛奶盒,
        啤酒罐): the question is their head noun, so they are kinds of it. When there are none,
        the suggestions themselves (see `_agree`). `key` is normalised."""
        if has_cjk(key) and len(key) >= 2:
            headed: list[int] = []
            cats: set = set()  # bins of every name containing the question
            for fid in self._containing(key, 40):
                form, iid = self.form_keys[fid], self.form_item[fid]
                cats.add(self.items[iid].category)
                if form != key and form.endswith(key) and iid not in headed:
                    if _changing_words(form[: -len(key)]) or _changing_words(self.items[iid].name) - _changing_words(key):
                        continue  # 一次性桌布 (or 塑料雨衣, an alias of 一次性雨衣) says nothing of 桌布
                    headed.append(iid)
            plain = [i for i in headed if any(
                f.endswith(key) and len(f) > len(key) and self._is_filler(f[: -len(key)])
                for f in map(normalize, (self.items[i].name, *self.items[i].aliases)))]
            if len(plain) == 1:
                return plain  # 过期黄油, 旧帐篷: the question's own thing with a state word before it
            if len(headed) == 1 and len(cats) > 1:
                return None  # one kind is thin evidence: 松香水 (turpentine) and 香水瓶 disagree on 香水
            if headed:
                same = len({self.items[i].category for i in headed}) == 1
                return headed[:MAX_ALTERNATIVES] if same else None
        return ids if self._agree(key, ids) else None

    def _agree(self, key: str, ids: list[int]) -> bool:
        """Two or more suggestions, all of one category, each sharing real text with the
        question: two characters in a row (not just a sound) or a whole English word."""
        if not ids or len({self.items[i].category for i in ids}) != 1:
            return False
        if len(ids) == 1 and not self._same_head(key, ids[0]):
            return False
        # A suggestion that is electric, disposable or for a purpose says nothing of a plain
        # thing (电蒸锅 of a bamboo 蒸笼), and one the question calls so must be so too
        # (电动滑板车 is no 滑板车, 剃须泡沫 no 泡沫塑料).
        words = _changing_words(key)
        for i in ids:
            name = self.items[i].name
            if _changing_words(name) - words or (name.startswith("电") and not key.startswith("电")):
                return False
            if has_cjk(key) and words and not _changing_words(name) & words:
                return False
        if has_cjk(key):
            grams = {key[i : i + 2] for i in range(len(key) - 1)}
            grams = {g for g in grams if has_cjk(g) and len(g) == 2}
            # the question's head noun must head one of them: "江阴" only modifies 江阴河豚, 江阴马蹄酥
            if not any(normalize(f).endswith(key[-2:]) for i in ids
                       for f in (self.items[i].name, *self.items[i].aliases)):
                return False
            return bool(grams) and all(
                any(g in normalize(f) for f in (self.items[i].name, *self.items[i].aliases) for g in grams)
                for i in ids
            )
        words = {w for w in en_key(key).split() if len(w) >= 3}
        return bool(words) and all(
            any(words & set(en_key(f).split()) for f in self.items[i].en) for i in ids
        )

    def _same_head(self, key: str, iid: int) -> bool:
        """One suggestion is enough when it is a kind of the question's own head noun: a
        name ending in the question's last two characters, the question longer than them, and
        nothing in the question's modifier naming another bin (滤尘袋 / 吸尘袋)."""
        if not _cjk_only(key) or len(key) < 3:
            return False
        head = key[-2:]
        forms = [normalize(f) for f in (self.items[iid].name, *self.items[iid].aliases)]
        if not any(f.endswith(head) and len(f) > 2 and f != key for f in forms):
            return False
        return not self._conflicting_forms(key, len(key) - 2, 2, iid)

    def _match_possessive(self, text: str) -> _Match | None:
        joined = _POSSESSIVE_RE.sub("", text)
        if joined != text:
            ids = self.lookup(joined)
            if len(ids) == 1:
                return _Match(SURE, ids, "alias")
        whole, _sep, head = text.rpartition("的")
        whole = _POSSESSIVE_RE.sub("", whole)
        head_ids, whole_ids = self.lookup(head), self.lookup(whole)
        if len(head_ids) == 1 and whole_ids and all(
            self.items[i].category == self.items[head_ids[0]].category for i in whole_ids
        ):
            return _Match(LIKELY, head_ids, "containment", "")
        return None

    @staticmethod
    def _remainder(text: str, inner: str) -> str:
        if not inner or inner == text:
            return ""
        i = text.find(inner)
        if i < 0:
            return text
        sep = "" if has_cjk(text) else " "
        return (text[:i] + sep + text[i + len(inner):]).strip()

    def _match_typed_pinyin(self, text: str) -> _Match | None:
        compact = _TONE_RE.sub("", text).replace(" ", "").replace("'", "")
        if len(compact) < 2:
            return None
        ids = self.pinyin.get(compact)
        if ids:
            ids_l = sorted(ids)
            if len(ids_l) == 1:
                n_syl = len(syllables(self.items[ids_l[0]].name))
                return _Match(SURE if n_syl >= 3 else LIKELY, ids_l, "pinyin")
            return _Match(AMBIGUOUS, ids_l, "pinyin", "")
        # fuzzy pinyin needs syllables: segment the typed string greedily
        syl = _segment_pinyin(compact)
        if syl and len(syl) >= 2:
            ids = self.fuzzy_pinyin.get("".join(fuzzy_syllable(s) for s in syl))
            if ids:
                ids_l = sorted(ids)
                if len(ids_l) == 1:
                    return _Match(LIKELY, ids_l, "pinyin")
                return _Match(AMBIGUOUS, ids_l, "pinyin", "")
        # initials ("dc"): only for strings that are not pinyin themselves ("wo", "ni")
        if (2 <= len(compact) <= 4 and " " not in text and set(compact) <= _INITIAL_LETTERS
                and len(set(compact)) > 1 and _segment_pinyin(compact) is None):
            ids = self.initials.get(compact)
            if ids and len(ids) == 1:
                return _Match(LIKELY, sorted(ids), "initials")
            if ids:  # "dc": offer the items whose own name has these initials, the most
                # basic first (the name is part of the most other names: 电池 in 纽扣电池, 电池盒…)
                named = [i for i in ids if "".join(s[0] for s in syllables(self.items[i].name)) == compact]
                named.sort(key=lambda i: (-len(self._containing(normalize(self.items[i].name), 100)), i))
                if named:
                    return _Match(AMBIGUOUS, named[:MAX_ALTERNATIVES], "initials", "")
        return None

    @staticmethod
    def _strip_fillers(text: str) -> str:
        """Chinese text without the state phrases and filler words at its edges
        ("装修剩下的" -> "装修"; "帮我叫个" -> "帮我叫")."""
        toks = _EDGE_TOKENS
        changed = True
        while changed and text:
            changed = False
            for t in toks:
                if text.startswith(t):
                    text = text[len(t):]
                    changed = True
                    break
                if text.endswith(t):
                    text = text[: -len(t)]
                    changed = True
                    break
        return text

    def _explained(self, item: Item, rem: str) -> bool:
        """The words around the name are one of the item's condition words plus fillers
        ("没喝完的" + 塑料瓶 when 塑料瓶 has a condition for 没喝完)."""
        if not item.conditions or not rem or not has_cjk(rem):
            return False
        words = sorted({normalize(w) for c in item.conditions for w in c.when if has_cjk(w)}, key=len, reverse=True)
        hit = False
        for w in words:
            if w and w in rem:
                rem = rem.replace(w, "")
                hit = True
        return hit and self._is_filler(rem)

    def _is_filler(self, rem: str) -> bool:
        """True if the words around a matched name do not change what the item is."""
        if not rem:
            return True
        if has_cjk(rem):
            return self._strip_fillers(rem) == ""
        words = [w for w in rem.split() if w not in ("a", "an", "the", "my", "some", "of", "with", "old")]
        r = " ".join(words)
        states, _ = find_states(r)
        for st in states:
            r = (" " + r + " ").replace(f" {st} ", " ").strip()
        return r == ""

    def _conflicting_forms(self, s: str, start: int, length: int, iid: int, cat: Category | None = None) -> bool:
        """Another known name in the modifier or overlapping the match, of another
        category ("药水玻璃瓶": 药水; "碘酒瓶": 碘酒 over 酒瓶)."""
        cat = cat or self.items[iid].category
        end = start + length
        n = len(s)
        for i in range(0, n):
            for j in range(i + 2, min(n, i + self.max_form_len) + 1):
                if i >= start and j <= end:
                    continue  # inside the match itself
                if j <= start or (i < end and j > end) or (i < start < j):
                    if s[i:j] in _UNMARKED_MATERIALS:
                        continue
                    ids = self.exact.get(s[i:j])
                    if ids and any(self.items[k].category != cat for k in ids):
                        return True
        return False

    def _match_containment(self, text: str) -> _Match | None:
        if has_cjk(text):
            s = text
            n = len(s)
            best: tuple[int, int, int] | None = None  # (length, is_suffix, start)
            for length in range(min(n - 1, self.max_form_len), 0, -1):
                for start in range(0, n - length + 1):
                    sub = s[start : start + length]
                    if sub in self.exact and has_cjk(sub):
                        is_suffix = int(start + length == n)
                        cand = (length, is_suffix, start)
                        if best is None or cand[:2] > best[:2]:
                            best = cand
                if best is not None:
                    break
            if best is None:
                return None
            length, is_suffix, start = best
            sub = s[start : start + length]
            ids = self.exact[sub]
            rem = (s[:start] + s[start + length :]).strip()
            filler = self._is_filler(rem) or (len(ids) == 1 and self._explained(self.items[ids[0]], rem))
            if length == 1 and not filler:
                return None
            if len(ids) > 1:
                return _Match(AMBIGUOUS, list(ids), "containment", rem)
            if filler:
                return _Match(SURE, list(ids), "containment", rem)
            head = s[start + length :].strip()
            modifier = s[:start]
            bare = self._strip_fillers(modifier)
            # a short modifier, or a longer one naming nothing known (a brand or shop: 德克士炸鸡)
            short = len(bare) <= length or (length >= 2 and not self.contains_known(bare))
            cond_hit = self.pick_condition(self.items[ids[0]], modifier) is not None
            if ((is_suffix or self._is_filler(head)) and length >= 2
                    and (cond_hit or (short and not _modifier_changes(modifier, self.items[ids[0]])
                                      and not self._conflicting_forms(s, start, length, ids[0])))):
                # head noun kept ("塑料矿泉水瓶子" -> 矿泉水瓶): a short modifier before it
                # that names nothing of another category, or one of the item's own
                # condition words ("还有饮料的塑料瓶"), does not change the item
                return _Match(LIKELY, list(ids), "containment", modifier)
            return _Match(AMBIGUOUS, list(ids), "containment", rem)
        # English: token n-grams
        words = en_key(text).split()
        n = len(words)
        for length in range(n - 1, 0, -1):
            for start in range(0, n - length + 1):
                sub = " ".join(words[start : start + length])
                ids = self.exact.get(sub)
                if not ids:
                    continue
                rem = " ".join(words[:start] + words[start + length :])
                if len(ids) > 1:
                    return _Match(AMBIGUOUS, list(ids), "containment", rem)
                if self._is_filler(rem):
                    return _Match(SURE, list(ids), "containment", rem)
                if start + length == n and length >= 1 and len(sub) >= 4:
                    return _Match(LIKELY, list(ids), "containment", rem)
                return _Match(AMBIGUOUS, list(ids), "containment", rem)
        return None

    def _match_homophone(self, cand: str, text: str) -> _Match | None:
        """Same pinyin, other characters ("电尺" -> 电池).

        Two or three syllables collide with real, different words far too often
        (滑板/花瓣, 项链/湘莲, 衣架/衣夹): those only give a did-you-mean. From four
        syllables on ("矿泉水平" -> 矿泉水瓶) a unique match is answered as likely.
        """
        syl = syllables(cand)
        if len(syl) < 2:
            return None
        ids = self.pinyin.get("".join(syl))
        if not ids:
            ids = self.fuzzy_pinyin.get("".join(fuzzy_syllable(s) for s in syl))
        if ids:
            ids_l = sorted(ids)
            if len(ids_l) == 1 and len(syl) >= HOMOPHONE_MIN_SYLLABLES:
                return _Match(LIKELY, ids_l, "homophone", self._remainder(text, cand))
            return _Match(AMBIGUOUS, ids_l, "homophone", "")
        # pinyin containment: a known name's pinyin inside the question's pinyin; it must cover
        # more than half of the question ("食品" in 食品添加剂 does not suggest 金属饰品)
        for length in range(len(syl) - 1, max(1, len(syl) // 2), -1):
            for start in range(0, len(syl) - length + 1):
                found = self.pinyin.get("".join(syl[start : start + length]))
                if not found:
                    continue
                if (length >= HOMOPHONE_MIN_SYLLABLES and len(found) == 1 and _cjk_only(cand)
                        and len(cand) == len(syl)):
                    rem = cand[:start] + cand[start + length :]
                    if self._is_filler(rem):
                        return _Match(LIKELY, sorted(found), "homophone", rem)
                return _Match(AMBIGUOUS, sorted(found), "homophone", "")
        return None

    def _match_fuzzy(self, key: str) -> _Match | None:
        if not key:
            return None
        latin = not has_cjk(key)
        if latin:
            key = en_key(key)
            if len(key) < 4:
                return None
        elif len(key) < 2:
            return None
        scored = self.fuzzy_candidates(key)
        if not scored:
            return None
        best_by_item: dict[int, float] = {}
        for score, fid in scored:
            iid = self.form_item[fid]
            if score > best_by_item.get(iid, -1):
                best_by_item[iid] = score
        ranked = sorted(best_by_item.items(), key=lambda x: -x[1])
        top_id, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        likely_thr = FUZZY_LIKELY_LATIN
        # A name inside the question (or the question inside a name) is containment's
        # business: "电池盒" is not a typo of 电池. Fuzzy answers only substitutions/swaps.
        top_forms = [self.form_keys[fid] for s, fid in scored if self.form_item[fid] == top_id and s == top]
        nested = any(f in key or key in f for f in top_forms)
        # Chinese: a one-character difference between real words is another item
        # (塑料饭盒/塑料鞋盒), and IME errors are homophones: suggest only.
        if (latin and top >= likely_thr and top - second >= FUZZY_MARGIN and not nested):
            return _Match(LIKELY, [top_id], "fuzzy")
        floor = FUZZY_SUGGEST_LATIN if latin else FUZZY_SUGGEST
        close = [iid for iid, s in ranked if s >= floor and s >= top - 15][:MAX_ALTERNATIVES]
        if close:
            return _Match(AMBIGUOUS, close, "fuzzy", "")
        return None

    def _containing(self, key: str, limit: int) -> list[int]:
        """Form ids whose key contains `key`, shortest first (bounded work)."""
        if has_cjk(key):
            grams = [g for g in self._grams(key) if "_" not in g] if len(key) >= 2 else [key]
        elif len(key) >= 3:  # trigrams inside the word, no end padding: "batt" is in "battery"
            grams = [key[i : i + 3] for i in range(len(key) - 2)]
        else:
            return []
        postings = [self.grams.get(g) for g in grams]
        if not postings or any(not p for p in postings):
            return []
        shortest = min(postings, key=len)
        out: list[int] = []
        for fid in shortest[: GRAM_STOP * 2]:
            if key in self.form_keys[fid]:
                out.append(fid)
                if len(out) >= limit:
                    break
        return out

    def _match_reverse(self, key: str) -> _Match | None:
        latin = not has_cjk(key)
        if latin:
            key = en_key(key)
            if len(key) < 3:
                return None
        elif len(key) < 2:
            return None
        ids: list[int] = []
        for f in self._containing(key, 40):
            if latin and key not in self.form_keys[f].split() and f" {key} " not in f" {self.form_keys[f]} ":
                continue  # whole words only: "phone" is in "mobile phone", "cup" is not in "cupboard"
            iid = self.form_item[f]
            if iid not in ids:
                ids.append(iid)
        if not ids:
            return None
        return _Match(AMBIGUOUS, ids[:MAX_ALTERNATIVES], "containment", "")

    # -- conditions and verdicts --
    def pick_condition(self, item: Item, remainder: str) -> Condition | None:
        if not item.conditions or not remainder:
            return None
        rem = normalize(remainder)
        _, tags = find_states(rem)
        tags |= state_tags_of(rem) if len(rem) == 1 else set()
        latin_rem = f" {en_key(rem)} "
        for cond in item.conditions:  # literal state words first ("没洗干净" does not say 洗干净)
            for w in cond.when:
                wn = normalize(w)
                if not wn:
                    continue
                if has_cjk(wn):
                    i = rem.find(wn)
                    if i >= 0 and not _negated_zh(rem, i):
                        return cond
                else:
                    k = f" {en_key(wn)} "
                    i = latin_rem.find(k)
                    if i >= 0 and not _negated_en(latin_rem[: i + 1]):
                        return cond
        if tags:
            for cond in item.conditions:
                for w in cond.when:
                    if state_tags_of(w) & tags:
                        return cond
        return None

    def verdict_for(self, query: str, m: _Match | None) -> Verdict:
        if m is None:
            return Verdict(query=query)
        alts = [
            {"item": self.items[i].name, "category": self.items[i].category.value} for i in m.ids
        ]
        if m.confidence == AMBIGUOUS:
            return Verdict(query=query, category=None, confidence=AMBIGUOUS,
                           alternatives=alts[:MAX_ALTERNATIVES], method=m.method)
        if m.category_only:
            return Verdict(query=query, category=alts[0]["category"], confidence=LIKELY,
                           alternatives=alts[:MAX_ALTERNATIVES], method=m.method)
        item = self.items[m.ids[0]]
        cond = self.pick_condition(item, m.remainder)
        category = (cond.category if cond else item.category).value
        stream = cond.stream if cond and cond.stream else item.stream
        tip = cond.tip if cond and cond.tip else item.tip
        note = cond.note if cond and cond.note else item.note
        return Verdict(
            query=query,
            category=category,
            item=item.name,
            stream=stream.value if stream else None,
            confidence=m.confidence,
            alternatives=alts[1:],
            condition=cond.label.as_dict() if cond and cond.label else None,
            tip=tip.as_dict() if tip else None,
            note=note.as_dict() if note else None,
            conditions_available=[c.label.as_dict() for c in item.conditions if c.label],
            method=m.method,
            corrected=m.corrected or None,
        )

    def classify(self, query: str) -> Verdict:
        if (not query or not query.strip() or len(query) > MAX_QUERY_CHARS or looks_like_url(query)
                or query.lstrip()[:1] in ("/", "@")):
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

    # -- inline search --
    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        whole, _ = parse_query(query) if query and query.strip() else (None, [])
        if whole is None:
            return []
        key = whole.core or whole.text
        scores: dict[int, tuple[float, str]] = {}

        def offer(iid: int, score: float, form: str) -> None:
            if score > scores.get(iid, (-1.0, ""))[0]:
                scores[iid] = (score, form)

        for k in dict.fromkeys((whole.text, key)):
            for iid in self.lookup(k):
                offer(iid, 100.0, k)
        m = self.match_part(whole)
        if m:
            base = {SURE: 99.0, LIKELY: 95.0, AMBIGUOUS: 80.0}[m.confidence]
            for rank, iid in enumerate(m.ids):
                offer(iid, base - rank, self.items[iid].name)
        # forms starting with / containing the query
        if len(key) == 1:  # no unigram index: bounded scan, forms starting with the character first
            found = [f for f, k in enumerate(self.form_keys[:SCAN_CAP]) if key in k]
            found.sort(key=lambda f: (not self.form_keys[f].startswith(key), len(self.form_keys[f])))
            fids = found[: limit * 5]
        else:
            fids = self._containing(key, limit * 5) if key else []
        if fids:
            for f in fids:
                fk = self.form_keys[f]
                if key in fk:
                    s = 90.0 if fk.startswith(key) else 85.0
                    iid = self.form_item[f]
                    bonus = 0.3 if self.name_key.get(fk) == iid else 0.0  # canonical name before alias
                    offer(iid, s - min(len(fk) - len(key), 20) * 0.5 + bonus, fk)
        if whole.latin and _PINYIN_QUERY_RE.match(whole.text):  # pinyin being typed: "dianc" -> 电池
            compact = _TONE_RE.sub("", whole.text).replace(" ", "").replace("'", "")
            if len(compact) >= 3:
                keys = self._pinyin_keys()
                i = bisect.bisect_left(keys, compact)
                for pk in keys[i : i + limit * 5]:
                    if not pk.startswith(compact):
                        break
                    for iid in self.pinyin[pk]:
                        offer(iid, 88.0 - min(len(pk) - len(compact), 20) * 0.3, self.items[iid].name)
        for score, fid in self.fuzzy_candidates(key if has_cjk(key) else en_key(key), limit=limit * 2):
            if score >= FUZZY_SUGGEST:
                offer(self.form_item[fid], score * 0.8, self.form_keys[fid])
        ranked = sorted(scores.items(), key=lambda x: (-x[1][0], len(self.items[x[0]].name)))
        return [SearchHit(self.items[i], s, f) for i, (s, f) in ranked[:limit]]
