"""Matching paths on a small fixture knowledge base (tests/kb_fixtures/good)."""

from pathlib import Path

import pytest

from knowledge import load_kb

FIX = Path(__file__).parent / "kb_fixtures" / "good"


@pytest.fixture(scope="module")
def kb():
    kb = load_kb(FIX / "data")
    assert kb.problems == []
    return kb


def answer(kb, q):
    v = kb.classify(q)
    return v.item, v.category, v.confidence


def test_exact_name(kb):
    v = kb.classify("快递纸箱")
    assert (v.item, v.category, v.confidence, v.stream) == ("快递纸箱", "recyclable", "sure", "express_packaging")
    assert v.tip["zh"] and v.tip["en"]


def test_alias(kb):
    assert answer(kb, "纸箱") == ("快递纸箱", "recyclable", "sure")
    assert answer(kb, "南孚电池") == ("碱性电池", "residual", "sure")


@pytest.mark.parametrize("q", ["batteries", "Battery", "the batteries", "BATTERY!"])
def test_english(kb, q):
    assert answer(kb, q) == ("电池", "hazardous", "sure")


def test_english_multiword_plural(kb):
    assert answer(kb, "Cardboard Boxes") == ("快递纸箱", "recyclable", "sure")
    assert answer(kb, "plastic bags")[:2] == ("塑料袋", "residual")


@pytest.mark.parametrize("q", ["dianchi", "dian chi", "dian4 chi2", "DianChi"])
def test_pinyin_with_and_without_spaces(kb, q):
    v = kb.classify(q)
    assert (v.item, v.category) == ("电池", "hazardous") and v.answered


def test_pinyin_three_syllables_is_sure(kb):
    assert answer(kb, "suliaoping") == ("塑料瓶", "recyclable", "sure")


def test_fuzzy_pinyin_accent(kb):
    # z/zh, c/ch, s/sh and n/l are merged as many Jiangsu speakers type them
    v = kb.classify("dianci")
    assert v.item == "电池" and v.confidence == "likely"


def test_initials_unique(kb):
    assert answer(kb, "dc") == ("电池", "hazardous", "likely")
    assert answer(kb, "slp") == ("塑料瓶", "recyclable", "likely")


def test_initials_ambiguous_not_answered(kb):
    v = kb.classify("sf")  # 沙发 and 剩饭
    assert v.category is None and not v.answered


def test_homophone_typo_is_answered_as_the_word(kb):
    # 电尺 is no word: one character typed with the same pinyin as 电池's
    v = kb.classify("电尺")
    assert (v.item, v.category, v.confidence, v.corrected) == ("电池", "hazardous", "likely", "电池")


@pytest.mark.parametrize("q, item", [("矿泉水平", "矿泉水瓶"), ("一次性快子", "一次性筷子")])
def test_homophone_long_is_answered(kb, q, item):
    v = kb.classify(q)
    assert v.item == item and v.confidence == "likely" and v.corrected == item


@pytest.mark.parametrize("q, item", [("batery", "电池"), ("plastik bag", "塑料袋"), ("newspapper", "报纸")])
def test_english_typos(kb, q, item):
    v = kb.classify(q)
    assert v.item == item and v.confidence == "likely"


def test_chinese_typo_is_only_suggested(kb):
    v = kb.classify("一次性筷了")
    assert v.confidence == "ambiguous" and v.category is None
    assert "一次性筷子" in [a["item"] for a in v.alternatives]


@pytest.mark.parametrize(
    "q, item", [("電池", "电池"), ("過期藥品", "过期药品"), ("舊衣服怎麼扔", "旧衣服"), ("ＰＩＺＺＡ盒", "披萨盒")]
)
def test_traditional_and_full_width(kb, q, item):
    v = kb.classify(q)
    assert v.item == item and v.confidence == "sure"


def test_containment(kb):
    assert answer(kb, "用过的电池")[:2] == ("电池", "hazardous")
    v = kb.classify("塑料矿泉水瓶子")
    assert (v.item, v.confidence) == ("矿泉水瓶", "likely")


def test_containment_with_unknown_head_is_not_answered(kb):
    v = kb.classify("电池盒")  # a box for batteries is not a battery
    assert not v.answered and v.category is None
    assert v.alternatives and v.alternatives[0]["item"] == "电池"


@pytest.mark.parametrize(
    "q, item, category",
    [
        ("电池是什么垃圾?", "电池", "hazardous"),
        ("请问电池应该扔到哪个桶里呢", "电池", "hazardous"),
        ("外卖盒怎么扔", "外卖盒", "recyclable"),
        ("塑料瓶可以回收吗", "塑料瓶", "recyclable"),
        ("这个塑料袋能不能回收", "塑料袋", "residual"),
        ("我家的旧沙发怎么扔", "沙发", "recyclable"),
        ("is styrofoam recyclable", "泡沫塑料", "recyclable"),
        ("How do I dispose of batteries?", "电池", "hazardous"),
        ("where does a pizza box go", "披萨盒", "recyclable"),
        ("what bin do I put glass bottles in?", "玻璃瓶", "recyclable"),
        ("can I recycle plastic bags?", "塑料袋", "residual"),
    ],
)
def test_whole_questions(kb, q, item, category):
    v = kb.classify(q)
    assert (v.item, v.category) == (item, category) and v.answered


def test_conditions_pizza_box(kb):
    greasy = kb.classify("沾了油的披萨盒")
    assert (greasy.item, greasy.category) == ("披萨盒", "residual")
    assert greasy.condition == {"zh": "沾了油污", "en": "greasy"}
    assert "沾油" in greasy.tip["zh"]
    for q in ("披萨盒", "干净的披萨盒"):
        clean = kb.classify(q)
        assert (clean.item, clean.category, clean.condition) == ("披萨盒", "recyclable", None)
        assert {"zh": "沾了油污", "en": "greasy"} in clean.conditions_available
    assert kb.classify("greasy pizza box").category == "residual"


def test_conditions_takeaway_box(kb):
    v = kb.classify("吃剩的外卖盒扔哪")
    assert (v.item, v.category) == ("外卖盒", "residual")
    assert v.condition["en"] == "with food leftovers"
    assert kb.classify("外卖盒").category == "recyclable"


@pytest.mark.parametrize(
    "q, item, category",
    [
        ("电池", "电池", "hazardous"),
        ("碱性电池", "碱性电池", "residual"),
        ("5号电池", "碱性电池", "residual"),
        ("纽扣电池", "纽扣电池", "hazardous"),
        ("废旧纽扣电池", "纽扣电池", "hazardous"),
        ("手机电池", "锂电池", "hazardous"),
        ("电瓶", "铅蓄电池", "hazardous"),
        ("rechargeable batteries", "充电电池", "hazardous"),
    ],
)
def test_battery_types(kb, q, item, category):
    v = kb.classify(q)
    assert (v.item, v.category) == (item, category) and v.answered


def test_battery_state_word_selects_condition(kb):
    v = kb.classify("电池（碱性）")
    assert (v.item, v.category) == ("电池", "residual")
    assert v.condition["en"] == "alkaline dry cell"
    # "X的Y" naming a more specific item answers that item
    assert (kb.classify("碱性的电池").item, kb.classify("碱性的电池").category) == ("碱性电池", "residual")
    assert kb.classify("电池").note["zh"].startswith("无锡规定")


def test_several_items(kb):
    v = kb.classify("电池和塑料瓶")
    assert (v.item, v.category) == ("电池", "hazardous")
    assert [(x.item, x.category) for x in v.items] == [("塑料瓶", "recyclable")]
    v = kb.classify("电池、纸箱, 果皮")
    assert [v.item] + [x.item for x in v.items] == ["电池", "快递纸箱", "果皮"]
    v = kb.classify("batteries and glass bottles")
    assert [v.category] + [x.category for x in v.items] == ["hazardous", "recyclable"]
    v = kb.classify("电池和塑料瓶是什么垃圾")
    assert [v.item] + [x.item for x in v.items] == ["电池", "塑料瓶"]


@pytest.mark.parametrize("q", ["你好，电池是什么垃圾？", "hi, where do batteries go?", "谢谢！电池呢"])
def test_greeting_next_to_one_item(kb, q):
    v = kb.classify(q)
    assert (v.item, v.category, v.items) == ("电池", "hazardous", [])


def test_single_item_has_no_items(kb):
    assert kb.classify("电池").items == []


@pytest.mark.parametrize(
    "q",
    [
        "你好",
        "hello",
        "Hi!",
        "在吗",
        "谢谢",
        "Thanks!",
        "哈哈哈",
        "讲个笑话",
        "https://example.com/a?b=1",
        "www.baidu.com",
        "asdfgh",
        "qwerty",
        "zzzz",
        "zzz",
        "ni hao",
        "xie xie",
        "/start",
        "@wufei_bot",
        "🍕🍕",
        "👍",
        "12345",
        "3.14",
        "",
        "   ",
        "？？？",
        "ok",
    ],
)
def test_non_items_get_no_category(kb, q):
    v = kb.classify(q)
    assert v.category is None and v.item is None and v.confidence == "unknown"


def test_unknown_item_is_not_guessed(kb):
    v = kb.classify("量子计算机")
    assert (v.category, v.item, v.confidence) == (None, None, "unknown")


def test_did_you_mean(kb):
    v = kb.classify("塑料盒")  # close items in different bins: ask, do not guess
    assert v.confidence == "ambiguous" and v.category is None and v.item is None
    names = [a["item"] for a in v.alternatives]
    assert 2 <= len(names) <= 3 and all("塑料" in n for n in names)
    assert all(a["category"] in ("recyclable", "residual") for a in v.alternatives)


def test_english_word_did_you_mean(kb):
    v = kb.classify("phone")
    assert v.confidence == "ambiguous" and v.category is None
    assert v.alternatives[0]["item"] == "手机"


def test_search(kb):
    hits = kb.search("电池", 5)
    assert hits[0].item.name == "电池"
    assert {"纽扣电池", "碱性电池"} <= {h.item.name for h in hits}
    assert "电池" in [h.item.name for h in kb.search("batt", 5)]


def test_conjunction_inside_a_word_does_not_split(kb):
    v = kb.classify("暖和的旧衣服")  # 和 of 暖和 is not "and"
    assert (v.item, v.items) == ("旧衣服", [])


def test_negated_state_is_not_the_state(kb):
    assert kb.classify("不干净的披萨盒").category == "residual"  # "not clean" means dirty
    v = kb.classify("没有油污的披萨盒")
    assert (v.category, v.condition) == ("recyclable", None)
    v = kb.classify("not greasy pizza box")
    assert (v.category, v.condition) == ("recyclable", None)


def test_search_pinyin_prefix(kb):
    assert kb.search("dianc", 3)[0].item.name == "电池"
