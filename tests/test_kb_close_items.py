"""A question that names no known item, but whose close items all go in one bin, gets that bin
(confidence "likely", no item), never a bin guessed from a sound or a modifier."""

import textwrap

import pytest

from knowledge import load_kb

DATA = """
- category: food
  tip: {zh: 投放厨余垃圾。, en: Food waste.}
  items:
    - {name: 红心火龙果, en: [red dragon fruit]}
    - {name: 火龙果皮, en: [dragon fruit peel]}
    - {name: 江阴河豚, en: [jiangyin puffer fish]}
    - {name: 江阴马蹄酥, en: [jiangyin horseshoe pastry]}
    - {name: 棒棒糖, en: [lollipop]}
- category: residual
  tip: {zh: 投放其他垃圾。, en: Residual waste.}
  items:
    - {name: 棒棒糖棍, en: [lollipop stick]}
    - {name: 榻榻米垫, en: [tatami mat]}
    - {name: 防滑地垫, en: [anti-slip floor mat]}
    - {name: 电蒸锅, aliases: [电蒸笼], en: [electric steamer]}
    - {name: 蒸架, aliases: [蒸笼架], en: [steaming rack]}
    - {name: 猫粮袋, en: [cat food bag]}
    - {name: 狗粮袋, en: [dog food bag]}
- category: recyclable
  tip: {zh: 投放可回收物。, en: Recyclables.}
  items:
    - {name: 蓝牙耳机, en: [bluetooth earphones]}
    - {name: 儿童滑板车, en: [kids scooter]}
    - {name: 塑料滑板车, en: [plastic kick scooter]}
- category: hazardous
  tip: {zh: 投放有害垃圾。, en: Hazardous waste.}
  items:
    - {name: 蓝牙耳机电池, en: [earphone battery]}
"""


def _load(tmp_path_factory, data: str):
    base = tmp_path_factory.mktemp("kb") / "data"
    base.mkdir()
    (base / "items.yaml").write_text(textwrap.dedent(data), encoding="utf-8")
    kb = load_kb(base)
    assert kb.problems == []
    return kb


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return _load(tmp_path_factory, DATA)


def test_close_items_of_one_bin_give_the_bin_without_naming_an_item(kb):
    v = kb.classify("火龙果")
    assert (v.category, v.item, v.confidence) == ("food", None, "likely")
    assert [a["item"] for a in v.alternatives] == ["红心火龙果"]  # a kind of it, not its peel
    assert v.to_json_obj()["item"] is None and v.answered


def test_suggestions_sharing_text_and_a_bin_give_the_bin(kb):
    v = kb.classify("宠粮袋")  # no name ends with it, but both close names are such bags
    assert (v.category, v.item, v.confidence) == ("residual", None, "likely")
    assert {a["item"] for a in v.alternatives} == {"猫粮袋", "狗粮袋"}


def test_a_single_close_item_counts_only_when_the_question_is_its_head_noun(kb):
    v = kb.classify("榻米垫")  # a word missing its first character
    assert (v.category, v.confidence, v.item) == ("residual", "likely", None)
    v = kb.classify("棒棒糖棍子")  # not a known form; its close item differs
    assert v.category != "food"


def test_one_close_item_of_the_same_head_noun_gives_its_bin(kb):
    v = kb.classify("防水地垫")  # unknown; the one close name is another kind of 地垫
    assert (v.category, v.confidence, v.item) == ("residual", "likely", None)
    assert [a["item"] for a in v.alternatives] == ["防滑地垫"]
    v = kb.classify("棒棒糖地垫")  # its modifier names a food: not simply another floor mat
    assert v.category is None


def test_close_items_in_different_bins_stay_a_question(kb):
    v = kb.classify("蓝牙")
    assert v.category is None and v.confidence == "ambiguous"


def test_a_word_that_only_modifies_the_close_items_is_not_an_item(kb):
    v = kb.classify("江阴")  # a place: 江阴河豚 and 江阴马蹄酥 are both food, 江阴 is not
    assert v.category is None


def test_a_modifier_that_changes_the_thing_is_not_covered_by_close_items(kb):
    v = kb.classify("电动滑板车")  # neither close scooter is electric
    assert v.category is None


HEADS = """
- category: food
  tip: {zh: 投放厨余垃圾。, en: Food waste.}
  items:
    - {name: 牛肉丸, en: [beef ball]}
    - {name: 猪肉丸, en: [pork ball]}
    - {name: 鸡肉丸, en: [chicken ball]}
    - {name: 羊肉丸, en: [lamb ball]}
    - {name: 竹笋, en: [bamboo shoot]}
- category: recyclable
  tip: {zh: 投放可回收物。, en: Recyclables.}
  items:
    - {name: 课本, en: [textbook]}
    - {name: 绘本, en: [picture book]}
    - {name: 账本, en: [ledger]}
    - {name: 笔记本, en: [notebook]}
    - {name: 日记本, en: [diary]}
    - {name: 作业本, en: [exercise book]}
    - {name: 相册本, en: [photo album]}
    - {name: 练习本, en: [workbook]}
- category: hazardous
  tip: {zh: 投放有害垃圾。, en: Hazardous waste.}
  items:
    - {name: 碘酒, en: [iodine tincture]}
    - {name: 樟脑丸, en: [mothball]}
"""


@pytest.fixture(scope="module")
def heads_kb(tmp_path_factory):
    return _load(tmp_path_factory, HEADS)


def test_an_unknown_name_takes_the_bin_of_the_names_it_ends_like(heads_kb):
    v = heads_kb.classify("错题本")  # nothing close by spelling; every known …本 is recyclable
    assert (v.category, v.item, v.confidence, v.method) == ("recyclable", None, "likely", "head")
    assert len(v.alternatives) == 3 and all(a["item"].endswith("本") for a in v.alternatives)
    v = heads_kb.classify("驴肉丸")  # every known 肉丸 is food
    assert (v.category, v.item, v.confidence) == ("food", None, "likely")


def test_a_head_listed_by_curators_decides_with_one_known_name(heads_kb):
    v = heads_kb.classify("雷笋")  # one known …笋, but lexicon/heads.yaml says 笋 is food
    assert (v.category, v.item, v.confidence, v.method) == ("food", None, "likely", "head")
    v = heads_kb.classify("鱼丸")  # 丸 is not listed: 樟脑丸 is hazardous
    assert v.category is None


def test_no_bin_from_the_last_word_of_a_phrase_or_a_changing_modifier(heads_kb):
    assert heads_kb.classify("火星土壤样本").category is None  # ends in 样本, not in 本
    assert heads_kb.classify("我的本").category is None  # a subject: a phrase, not a name
    assert heads_kb.classify("碘酒肉丸").category is None  # 碘酒 is hazardous, whatever 肉丸 are
    assert heads_kb.classify("电动肉丸").category is None


def test_suggestions_whose_name_is_electric_do_not_speak_for_a_plain_thing(kb):
    v = kb.classify("竹蒸笼")  # 电蒸锅 (电蒸笼) and 蒸架 (蒸笼架) share a bin: no licence
    assert v.category is None
