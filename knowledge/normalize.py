"""Text normalisation for sorting questions.

`normalize(text)` gives the canonical form used for every index key (names, aliases
and queries alike): NFKC (full width -> half width), Traditional -> Simplified,
lower case, punctuation and emoji removed, spaces collapsed and removed next to
CJK characters.

`parse_query(text)` turns a whole question into one `QueryPart` per item named:
question words stripped ("是什么垃圾", "how do I dispose of", ...), state words
extracted ("沾了油的" -> tag "greasy") and the bare item words (`core`) kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from opencc import OpenCC

from .grammar import parse_tail, state_lexicon

__all__ = [
    "normalize",
    "en_key",
    "is_cjk",
    "has_cjk",
    "is_latin_text",
    "to_simplified",
    "QueryPart",
    "parse_query",
    "state_tags_of",
    "is_chitchat",
    "FILLERS",
]

_T2S = OpenCC("t2s")


def _traditional_chars() -> frozenset[str]:
    """Characters that t2s may change; lets us skip OpenCC for most queries."""
    chars: set[str] = set()
    try:
        import os

        import opencc as _oc

        base = os.path.join(os.path.dirname(_oc.__file__), "dictionary")
        for fn in ("TSCharacters.txt", "TSPhrases.txt"):
            path = os.path.join(base, fn)
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    key = line.split("\t", 1)[0]
                    chars.update(key)
    except Exception:  # pragma: no cover - fall back to always converting
        return frozenset()
    return frozenset(chars)


_TRAD = _traditional_chars()


def to_simplified(text: str) -> str:
    if _TRAD and not any(c in _TRAD for c in text):
        return text
    return _T2S.convert(text)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x20000 <= o <= 0x2FA1F
        or 0xF900 <= o <= 0xFAFF
    )


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


# --- English -----------------------------------------------------------------

_ARTICLES = {"a", "an", "the", "my", "some", "this", "that", "these", "those", "your", "our", "any"}
_NO_SINGULAR = {
    "glass", "grass", "gas", "bus", "lens", "news", "series", "species", "chess", "dress",
    "mattress", "compass", "cactus", "virus", "hummus", "asbestos", "tennis", "scissors",
    "jeans", "pants", "trousers", "shorts", "glasses", "sunglasses", "tongs", "tweezers",
    "clothes", "chopsticks", "leftovers", "pliers", "diabetes", "is", "was", "has", "does",
    "ps", "us", "its", "this", "styrofoam", "citrus", "octopus", "canvas", "plus",
}
_DRINKING_GLASS_WORDS = frozenset({
    "wine", "drinking", "beer", "water", "champagne", "cocktail", "shot", "juice", "whisky", "whiskey",
    "measuring", "tea", "milk", "glass", "crystal",
})
_IRREGULAR = {
    "leaves": "leaf", "knives": "knife", "shelves": "shelf", "loaves": "loaf", "halves": "half",
    "men": "man", "women": "woman", "teeth": "tooth", "feet": "foot", "mice": "mouse",
    "geese": "goose", "children": "child", "potatoes": "potato", "tomatoes": "tomato",
    "mangoes": "mango", "batteries": "battery", "peaches": "peach", "boxes": "box",
    "dishes": "dish", "brushes": "brush", "matches": "match",
    "bones": "bone", "shoes": "shoe", "toes": "toe", "tubes": "tube", "cases": "case",
    "bottles": "bottle", "clothes": "clothes", "lenses": "lens", "buses": "bus",
}


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


# --- state words ---------------------------------------------------------------

# tag -> surface phrases (zh and en), from knowledge/lexicon/states.yaml. Longer phrases are
# matched first.
STATE_LEXICON: dict[str, list[str]] = state_lexicon()

# Single-character prefixes that mean "waste/old/dirty" in front of a name (废电池).
_STATE_PREFIX_CHARS = {"废": "used", "旧": "old", "脏": "dirty", "破": "broken", "坏": "broken"}

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
    if not tags and w in _STATE_PREFIX_CHARS:
        tags.add(_STATE_PREFIX_CHARS[w])
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


# Words that may surround an item name without changing what it is.
FILLERS = {
    "的", "了", "个", "些", "子", "儿", "一个", "这个", "那个", "这些", "那些", "一些", "东西",
    "这种", "那种", "这", "那", "一", "我", "我的", "家里", "家里的", "我家", "我家的", "里的", "里",
    "了的", "掉", "掉的", "一次", "扔", "丢", "扔掉", "丢掉", "要", "想",
}

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
                    text = text[len(p):].lstrip("的")
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
                    words = words[len(pw):]
                    break
                if len(words) > len(pw) and words[-len(pw):] == pw:
                    words = words[: -len(pw)]
                    break
            text = " ".join(words)
    if cjk:
        text = re.sub(r"^(的|了)+|(的|了)+$", "", text) or text
    return text.strip()


# --- question words --------------------------------------------------------------

_ZH_CATS = (
    r"(?:可回收物|可回收垃圾|可回收的|可回收|有害垃圾|有害的|有害|厨余垃圾|厨余|湿垃圾|干垃圾|其他垃圾|"
    r"其它垃圾|其他|其它|餐厨垃圾|大件垃圾|装修垃圾|垃圾)"
)
_PART = r"(?:啊|呀|呢|吗|嘛|吧|哦|哈|么|呐|哇|捏|伐|嘞)"
_ZH_SUFFIXES = [
    # 是什么垃圾 / 属于哪类垃圾 / 算啥垃圾 / 是哪种
    r"(?:到底|究竟)?(?:是|属于|算|算是|归|归于|属|为|分|分为|分到|放|扔)?(?:不是)?"
    r"(?:什么|啥|哪种|哪类|哪一类|哪个|哪一种|那种|哪样|何种|哪些)(?:类|种)?(?:的)?"
    r"(?:垃圾|分类|类别|类型|类|桶|垃圾桶)?(?:呢|啊|呀)?",
    # 怎么扔 / 应该如何处理 / 该咋分类
    r"(?:分别)?(?:应该|应|要|该|可以|能|需要|得|又|我)?(?:要)?(?:怎么|如何|怎样|咋|怎么样)(?:去)?"
    r"(?:扔|丢|处理|分类|投放|回收|办|弄|处置|丢弃|分|归类|放)(?:掉|呢|啊)?",
    # 扔哪 / 应该扔到哪个桶 / 放什么桶里
    r"(?:分别)?(?:应该|应|要|该|可以|能|需要|得)?(?:被)?(?:扔|丢|放|投|投放|倒|丢弃|扔掉|丢掉)(?:到|进|在|去|入)?"
    r"(?:哪|哪里|哪儿|哪个|什么|啥|哪一个|哪种|几号)(?:个|种|类)?(?:颜色)?(?:的)?(?:垃圾)?(?:桶|箱|类|筒)?(?:里|里面|中)?(?:呢|啊)?",
    # 可以回收吗 / 能不能回收 / 是可回收物吗 / 是有害垃圾吗
    r"(?:是|属于|算|算是)?(?:不是)?(?:可以|能|能不能|可不可以|可否|是否|要不要|需不需要)?"
    r"(?:回收|扔|丢|投放|回收利用)(?:吗|么|嘛|伐)?",
    r"(?:是|属于|算|算是|是不是|属不属于|算不算)" + _ZH_CATS + r"(?:吗|么|嘛|呢)?",
    _ZH_CATS + r"(?:吗|么|嘛)",
    r"(?:是|属于)?(?:干的还是湿的|干垃圾还是湿垃圾|可回收还是不可回收|哪个桶)",
    r"(?:呢|啊|呀|吗|嘛|吧|哦|么|伐|嘞)",
    r"(?:谢谢|谢谢你|谢啦|多谢|thx)",
    # 怎么办 / 要洗了再扔吗 / 不要了
    r"(?:怎么办|咋办|怎么弄|咋弄|怎么搞)",
    r"(?:要|需要|要不要|用不用|需不需要|得)(?:先)?(?:洗|冲洗|清洗|洗干净|冲干净)(?:了|一下)?(?:再扔|再丢|再投|才能扔)?(?:吗|呢|么)?",
    r"(?:不要了|不用了|不想要了|坏掉了|坏了)",
    # 5号电池和7号电池有什么区别 / 分别扔哪
    r"(?:有|的)?(?:什么|啥)?(?:区别|不同)(?:吗|呢)?",
]
_ZH_PREFIXES = [
    r"(?:请问|问一下|问下|问问|我想问一下|我想问|想问一下|想问|我想知道|想知道|你知道|我问一下|麻烦问一下|"
    r"麻烦问下|麻烦|打扰一下|你好|您好|哈喽|嗨|hello|hi|小无|无废|帮我查一下|帮我查下|帮我查|帮忙查一下|"
    r"查一下|查下|查询|告诉我|请告诉我|请|那么|还有|再问一下|再问|另外|这个|那个|这种|那种|这些|那些|一个|这|"
    r"我家的|我家|家里的|家里|我的)",
    r"(?:我)?(?:想|要|应该|该)?(?:怎么|如何|怎样|咋)(?:扔|丢|处理|分类|投放|回收|处置|丢弃)(?:掉)?",
    r"(?:我)?(?:想|要)?(?:扔|丢|处理)(?:掉)?(?:一个|一些|一只|一件|一把|一张|点|些)",
    r"(?:阿姨|叔叔|师傅|老师|小哥|姐姐|哥哥|美女|帅哥|亲|大哥|大姐|同志)(?:们)?(?:请问|问下|问一下|我问下|想问下)?",
    r"(?:家里|我家|家中|屋里|手上|手里)?(?:有|还有|攒了|囤了)?(?:一堆|一大堆|一些|很多|好多|几个|一袋|一箱|一摞|一沓)",
]
_ZH_SUFFIX_RE = re.compile(r"(?:" + "|".join(_ZH_SUFFIXES) + r")$")
_ZH_PREFIX_RE = re.compile(r"^(?:" + "|".join(_ZH_PREFIXES) + r")")

_EN_PREFIXES = [
    r"(?:hi|hello|hey|excuse me|sorry|please|pls|ok|okay|so|and|also|tell me|i want to know|i wonder|"
    r"could you tell me|can you tell me|do you know|quick question)\b",
    r"how (?:do|should|can|would|could|to|must|shall)(?: i| we| you| one)? (?:properly |correctly )?"
    r"(?:dispose of|dispose|throw away|throw out|get rid of|recycle|sort|bin|discard|handle|trash|toss)\b",
    r"how to (?:dispose of|dispose|throw away|throw out|get rid of|recycle|sort|bin|discard|handle|trash|toss)\b",
    r"where (?:do|should|can|does|to|must|shall|would)(?: i| we| you)?(?: put| throw| throw away| dispose of| dispose|"
    r" bin| take| discard| toss| recycle)?\b",
    r"where(?:'s| is| are)\b",
    r"(?:what|which)(?: kind of| type of| color| colour)? (?:bin|bag|container|trash can|garbage can|can|category)"
    r"(?: is| are| does| do| should| for| to| goes| go)?(?: i| we| you)?(?: put| throw| use| take)?(?: in| into)?\b",
    r"(?:what|which) (?:kind|type|sort|category) of (?:waste|trash|garbage|rubbish|bin)(?: is| are| does| do)?\b",
    r"(?:what|which) (?:waste|trash|garbage|rubbish) (?:category|type|kind)(?: is| are| does| do)?\b",
    r"(?:what|which) (?:is|are)\b",
    r"(?:can|could|may|should|shall)(?: i| we| you)? (?:recycle|compost|throw away|bin|trash|toss|throw)\b",
    r"(?:can|could|do|does|should|is|are|will)\b",
    r"(?:dispose of|disposing of|disposal of|recycling|recycle|throw away|throwing away|throw)\b",
]
_EN_SUFFIXES = [
    r"\b(?:recyclable|recycleable|hazardous|toxic|compostable|biodegradable|food waste|kitchen waste|"
    r"residual waste|residual|wet waste|dry waste|other waste|garbage|trash|rubbish|waste)$",
    r"\b(?:be |get |go |goes )?(?:recycled|composted|thrown away|thrown out|disposed of|disposed|sorted|binned)$",
    r"\b(?:go|goes|belong|belongs|go in|goes in|belong in|belongs in|go into|goes into|in|into|to|for|with)$",
    r"\b(?:in|into) (?:the|a|which|what) ?(?:recycling|recycle|trash|garbage|bin|can|container)?(?: bin)?$",
    r"\b(?:in|into) (?:recycling|recycle|trash|garbage|rubbish)(?: bin)?$",
    r"\b(?:go|goes|belong|belongs|be put|be thrown)$",
    r"\b(?:please|pls|thanks|thank you|thx)$",
    r"\b(?:is it|are they|is that|it|them|they)$",
    r"\b(?:or not|at all)$",
    r"\b(?:which|what) (?:bin|can|category|colour|color)$",
    # whole questions typed in pinyin: "dianchi shi shenme laji", "waimaihe zenme reng"
    r"\b(?:shi |shu ?yu |suan )?(?:shen ?me|sha|na ?zhong|na ?lei) ?(?:la ?ji|lei)$",
    r"\b(?:ying ?gai |yao )?(?:zen ?me|ru ?he) ?(?:reng|diu|chu ?li|fen ?lei)$",
    r"\b(?:reng|diu|fang) ?(?:na ?li|na ?er|nar|na ?ge ?tong)$",
    r"\b(?:neng |ke ?yi )?hui ?shou ?(?:ma)?$",
    r"\b(?:is|are|do|does)$",
]
_EN_PREFIX_RE = re.compile(r"^(?:" + "|".join(_EN_PREFIXES) + r")\s*")
_EN_SUFFIX_RE = re.compile(r"\s*(?:" + "|".join(_EN_SUFFIXES) + r")$")
_EN_ART_RE = re.compile(r"^(?:a|an|the|my|some|this|that|these|those|your|our|any)\s+")


def strip_question(text: str) -> str:
    """Remove question words/phrases around the item (text already normalised)."""
    prev = None
    while prev != text and text:
        prev = text
        if has_cjk(text):
            new = _ZH_SUFFIX_RE.sub("", text)
            if new:
                text = new
            new = _ZH_PREFIX_RE.sub("", text)
            if new:
                text = new
            text = text.strip()
        # English (also on mixed text, e.g. "is 电池 recyclable")
        new = _EN_PREFIX_RE.sub("", text)
        if new and new != text:
            text = new.strip()
            continue
        new = _EN_SUFFIX_RE.sub("", text)
        if new and new != text:
            text = new.strip()
            continue
        new = _EN_ART_RE.sub("", text) if not has_cjk(text) else text
        if new and new != text:
            text = new.strip()
    return text


# --- chit-chat and non-items -------------------------------------------------------

_CHITCHAT = {
    "你好", "您好", "你好啊", "你好呀", "hello", "hi", "hey", "哈喽", "嗨", "在吗", "在不在", "在么", "有人吗",
    "谢谢", "谢谢你", "多谢", "感谢", "谢了", "谢啦", "good evening", "thanks", "thank you", "thx", "ok", "okay", "好的", "好", "行",
    "嗯", "嗯嗯", "哦", "哦哦", "是的", "对", "不是", "不", "没有", "yes", "no", "yeah", "nope", "早", "早上好",
    "中午好", "下午好", "晚上好", "晚安", "再见", "拜拜", "bye", "goodbye", "你是谁", "你叫什么", "你叫什么名字",
    "你是机器人吗", "帮助", "help", "test", "测试", "start", "开始", "菜单", "menu", "lol", "haha", "呵呵",
    "讲个笑话", "讲个笑话吧", "说个笑话", "给我讲个笑话", "tell me a joke", "a joke", "joke", "你好吗", "how are you",
    "good morning", "good night", "what", "why", "who", "什么", "为什么", "啥", "干嘛", "怎么了", "垃圾",
    "垃圾分类", "what is this", "这是什么", "是什么", "这个", "那个", "东西", "something", "anything", "nothing",
    "i love you", "我爱你", "666", "牛", "厉害", "真棒", "无聊",
}
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


# --- parsing a whole message ---------------------------------------------------------

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
    return QueryPart(raw=raw, text=text, core=core, states=states, tags=tags, latin=is_latin_text(text),
                     asked=asked)


def _strip_tails(text: str) -> tuple[str, tuple[str, ...]]:
    """Question words around the item: the tail grammar (grammar.py) and the question phrases."""
    asked: tuple[str, ...] = ()
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
