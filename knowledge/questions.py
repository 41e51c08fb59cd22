"""Question words around the item: `strip_question(text)` removes the phrases of sorting questions
("是什么垃圾", "怎么扔", "how do I dispose of", "where does … go") before and after the item. The tail
grammar of grammar.py reads the endings built from word classes; these patterns cover the rest,
English and typed pinyin included."""

from __future__ import annotations

import re

from .text import _CJK_SPACE_RE, has_cjk

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
    r"\b(?:go |goes |belong |belongs |be put |be thrown )?(?:in|into) (?:the |a )?(?:blue|green|grey|gray|red|black|"
    r"recycling|compost|food waste|kitchen waste|hazardous waste|residual waste|general waste) (?:bin|can|container)$",
    r"\b(?:not|non) ?recyclable$",
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


_MIXED_RE = re.compile(r"(?<=[a-z0-9])(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff])(?=[a-z0-9])")


def spaced(text: str) -> str:
    """Spaces between Chinese and Latin runs ("is电池recyclable" -> "is 电池 recyclable")."""
    return _MIXED_RE.sub(" ", text)


def strip_question(text: str) -> str:
    """Remove question words/phrases around the item (text already normalised). English words
    around a Chinese name ("is 电池 recyclable", which normalising wrote "is电池recyclable") are
    read with spaces around the Chinese, which are taken out again at the end."""
    mixed = has_cjk(text) and _MIXED_RE.search(text) is not None
    if mixed:
        text = _MIXED_RE.sub(" ", text)
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
    return _CJK_SPACE_RE.sub("", text) if mixed else text
