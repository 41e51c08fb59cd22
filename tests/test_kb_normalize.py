"""Normaliser: width, script, case, punctuation, question words, state words, splitting."""

import pytest

from knowledge.normalize import en_key, is_chitchat, normalize, parse_query, state_tags_of, strip_question


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ＰＩＺＺＡ　盒！", "pizza盒"),  # full width letters/space/punctuation
        ("電池", "电池"),  # Traditional -> Simplified
        ("塑膠袋🛍️", "塑胶袋"),  # emoji removed
        ("  Plastic   Bottle?? ", "plastic bottle"),
        ("pizza 盒", "pizza盒"),  # no spaces next to CJK
        ("「纸箱」。", "纸箱"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "question, item",
    [
        ("电池是什么垃圾", "电池"),
        ("电池属于什么垃圾？", "电池"),
        ("外卖盒怎么扔", "外卖盒"),
        ("电池扔哪", "电池"),
        ("请问电池应该扔到哪个桶里呢", "电池"),
        ("塑料瓶可以回收吗", "塑料瓶"),
        ("玻璃瓶是干垃圾还是湿垃圾", "玻璃瓶"),
        ("电池是可回收垃圾吗", "电池"),
        ("怎么扔电池", "电池"),
        ("is styrofoam recyclable", "styrofoam"),
        ("how do i dispose of batteries", "batteries"),
        ("where does a pizza box go", "pizza box"),
        ("what bin do i put glass bottles in", "glass bottles"),
        ("can i recycle plastic bags", "plastic bags"),
        ("can plastic bags be recycled", "plastic bags"),
        ("what kind of waste is chewing gum", "chewing gum"),
    ],
)
def test_question_words_stripped(question, item):
    assert strip_question(normalize(question)) == item


def test_state_words_are_extracted_not_lost():
    whole, parts = parse_query("沾了油的披萨盒")
    assert parts == []
    assert whole.core == "披萨盒"
    assert "greasy" in whole.tags
    whole, _ = parse_query("吃剩的外卖盒扔哪")
    assert whole.core == "外卖盒" and "leftover" in whole.tags
    whole, _ = parse_query("how do I dispose of used batteries?")
    assert whole.core == "batteries" and "used" in whole.tags


def test_state_tags_of_condition_words():
    assert state_tags_of("沾油") == {"greasy"}
    assert state_tags_of("greasy") == {"greasy"}
    assert state_tags_of("电池") == set()


@pytest.mark.parametrize(
    "message, cores",
    [
        ("电池和塑料瓶", ["电池", "塑料瓶"]),
        ("电池、纸箱, 果皮", ["电池", "纸箱", "果皮"]),
        ("电池和塑料瓶是什么垃圾", ["电池", "塑料瓶"]),
        ("batteries and glass bottles", ["batteries", "glass bottles"]),
        ("旧手机 充电器 数据线", ["手机", "充电器", "数据线"]),  # spaces between Chinese words (旧 is a state)
        ("充电宝 和 充电器", ["充电宝", "充电器"]),  # a lone conjunction is no item
        ("灯泡和电池分别扔哪", ["灯泡", "电池"]),
        ("5号电池和7号电池有什么区别", ["5号电池", "7号电池"]),
    ],
)
def test_several_items_split(message, cores):
    _, parts = parse_query(message)
    assert [p.core for p in parts] == cores


def test_single_item_not_split():
    _, parts = parse_query("和服")  # 和 at the start is not a conjunction
    assert parts == []
    _, parts = parse_query("电池")
    assert parts == []


def test_english_key_plural_and_articles():
    assert en_key("The Batteries") == en_key("battery") == "battery"
    assert en_key("glass") == "glass"
    assert en_key("boxes") == "box"


def test_chitchat():
    assert is_chitchat("你好！") and is_chitchat("Thanks") and is_chitchat("哈哈哈哈")
    assert not is_chitchat("电池")


def test_wu_dialect_question_particle_and_stripped_chitchat():
    whole, _ = parse_query("旧课本能回收伐")
    assert whole.text == "旧课本"
    assert is_chitchat("你是机器人")  # "你是机器人吗" after its question particle is stripped


@pytest.mark.parametrize(
    "question, item",
    [
        ("家里有一堆旧书怎么办", "旧书"),
        ("牛奶盒要洗了再扔吗", "牛奶盒"),
        ("阿姨问下啤酒瓶丢哪里哦", "啤酒瓶"),
        ("glass jar which bin", "glass jar"),
    ],
)
def test_spoken_wrapping_is_stripped(question, item):
    whole, _ = parse_query(question)
    assert whole.text == item
