"""Questions nobody wrote down: typos answered as the word they miss, question tails and states
parsed as grammar, "A or B" answered with which of the two, containers, and the data decisions."""

import pytest

from knowledge import load_kb
from knowledge.lint import lint
from knowledge.typos import fuzzy_variants, key_variants


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def said(kb, q):
    v = kb.classify(q)
    return v.item, v.category, v.confidence


@pytest.mark.parametrize(
    "q, form",
    [
        ("电尺", "电池"),
        ("玻离瓶", "玻璃瓶"),
        ("塑料代", "塑料袋"),
        ("璃玻瓶", "玻璃瓶"),
        ("易拉灌", "易拉罐"),
        ("纸相子", "纸箱"),
        ("用过的电尺怎么扔", "电池"),
    ],
)
def test_typo_is_answered_as_the_word_it_misses(kb, q, form):
    v = kb.classify(q)
    assert v.confidence == "likely" and v.corrected == form
    assert v.category == kb.classify(form).category


@pytest.mark.parametrize("q", ["花瓣", "滑板", "金子", "鱼缸"])
def test_a_real_word_is_never_corrected(kb, q):
    assert kb.classify(q).corrected is None


def test_key_away_two_character_typo_only_suggests(kb):
    v = kb.classify("此纸")  # c-i: as near to 锡纸 (xi) as to 彩纸 (cai)
    assert not v.answered and v.corrected is None


def test_typing_error_models():
    assert {"zi", "ying", "len"} <= fuzzy_variants("zhi") | fuzzy_variants("yin") | fuzzy_variants("leng")
    assert "sai" in key_variants("dai") and "xia" in key_variants("xi", missing=True)
    assert "xia" not in key_variants("xi")


@pytest.mark.parametrize(
    "q, item",
    [
        ("旧衣服怎么处理比较好", "旧衣服"),
        ("易拉罐还能回收吗", "易拉罐"),
        ("矿泉水瓶是蓝桶吗", "矿泉水瓶"),
        ("面包长毛了扔哪", "面包"),
        ("苹果烂了", "苹果"),
        ("鸡蛋打碎了", "鸡蛋"),
        ("剩饭吃不完", "剩饭"),
        ("电池丢哪块", "电池"),
        ("易拉罐好回收伐", "易拉罐"),
    ],
)
def test_question_tails_and_states_are_grammar(kb, q, item):
    v = kb.classify(q)
    assert v.item == item and v.confidence == "sure"


def test_either_or_question_says_which_of_the_two(kb):
    v = kb.classify("废电池属于可回收还是其他垃圾")
    assert v.item == "电池" and v.asked == ["recyclable", "residual"] and v.category == "residual"
    assert kb.classify("电池是蓝桶吗").asked == ["recyclable"]
    assert kb.classify("电池").asked == []


@pytest.mark.parametrize(
    ("q", "item", "asked"),
    [
        ("is a banana peel food waste?", "香蕉皮", ["food"]),
        ("Are batteries hazardous?", "电池", ["hazardous"]),
        ("can plastic bottles be recycled?", "塑料瓶", ["recyclable"]),
        ("does a pizza box go in the green bin?", "披萨盒", ["food"]),  # a bin by its colour
        ("is glass not recyclable?", "废玻璃", ["not_recyclable"]),
        ("is 电池 recyclable", "电池", ["recyclable"]),  # a Chinese name in an English question
        ("where does a battery go", "电池", []),  # no bin named: nothing to confirm
    ],
)
def test_english_questions_that_name_a_bin_get_it_confirmed_or_corrected(kb, q, item, asked):
    v = kb.classify(q)
    assert (v.item, v.asked) == (item, asked)


@pytest.mark.parametrize(
    "q, item, category",
    [
        ("六个核桃的罐子", "易拉罐", "recyclable"),
        ("卫龙辣条包装袋", "零食包装袋", "residual"),
        ("桃李面包袋子", "零食包装袋", "residual"),
        ("老乡鸡饭盒", "一次性快餐盒", "residual"),
    ],
)
def test_contents_and_container_are_answered_by_the_container(kb, q, item, category):
    assert said(kb, q) == (item, category, "likely")


def test_data_decisions_agree(kb):
    cat = lambda q: kb.classify(q).category  # noqa: E731
    assert cat("茶包") == cat("挂耳咖啡") == "residual"
    assert cat("撕开的茶包") == "food"  # the tea emptied out
    assert cat("充电宝") == cat("电子烟电池") == "recyclable"  # whole devices: e-waste
    assert cat("鼓包的充电宝") == cat("漏液的电子烟电池") == "hazardous"  # a lithium cell: hazardous
    assert cat("地膜") == cat("饲料袋")
    assert cat("投影幕布的布面") == cat("遮光布") == "residual"  # coated cloth
    assert cat("投影幕布") == "recyclable"  # with its roller or case
    assert cat("发霉的酸奶盒") == cat("发霉的牛奶盒") == "residual"
    assert cat("没洗的牛奶盒") == "recyclable" and "冲洗" in kb.classify("没洗的酸奶盒").tip["zh"]


def _write(tmp_path, body):
    d = tmp_path / "data"
    d.mkdir()
    (d / "x.yaml").write_text(body, encoding="utf-8")
    return d


def test_lint_wants_a_source_for_a_wuxi_rule(tmp_path):
    d = _write(
        tmp_path,
        """
- category: residual
  tip: {zh: 投放其他垃圾。, en: Residual waste.}
  items:
    - {name: 甲, en: [a], note: {zh: 无锡规定：甲是其他垃圾。, en: Wuxi rule.}}
    - {name: 乙, en: [b], note: {zh: 无锡规定：乙是其他垃圾。, en: Wuxi rule.}, note_source: 某某文件}
""",
    )
    found = [str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv")]
    assert any("[甲]" in p and "note_source" in p for p in found)
    assert not any("[乙]" in p for p in found)


def test_lint_wants_a_source_for_a_wuxi_rule_in_any_wording(tmp_path):
    d = _write(
        tmp_path,
        """
- category: residual
  tip: {zh: 投放其他垃圾。, en: Residual waste.}
  items:
    - {name: 戊, en: [e], note: {zh: 按无锡规则，戊是其他垃圾。, en: Residual.}}
    - {name: 己, en: [f], note: {zh: 本项目的判断：己是其他垃圾。, en: "Under Wuxi's rules it is residual."}}
    - {name: 庚, en: [g], note: {zh: 本项目的判断：庚是其他垃圾。, en: "Our decision: residual, as most lists say."}}
""",
    )
    found = [str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv")]
    assert any("[戊]" in p and "无锡规则" in p for p in found)
    assert any("[己]" in p and "Wuxi's rules" in p for p in found)
    assert not any("[庚]" in p for p in found)


def test_lint_wants_the_category_to_agree_with_its_tip(tmp_path):
    d = _write(
        tmp_path,
        """
- category: food
  items:
    - {name: 丙, en: [c], tip: {zh: 整包投放其他垃圾。, en: Residual.}}
    - {name: 丁, en: [d], tip: {zh: 茶叶倒入厨余，袋子投放其他垃圾。, en: Split.}}
""",
    )
    found = [str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv")]
    assert any("[丙]" in p and "tip" in p for p in found)
    assert not any("[丁]" in p for p in found)


@pytest.mark.parametrize("q", ["毛豆结", "鸡肉块", "苹果泥"])
def test_what_cooking_makes_of_a_food_is_food(kb, q):
    v = kb.classify(q)
    assert (v.category, v.confidence) == ("food", "likely")


def test_a_brand_before_a_known_name_keeps_the_name(kb):
    assert said(kb, "老乡鸡炸鸡") == ("炸鸡", "food", "likely")


def test_a_name_with_a_state_word_before_it_answers_for_the_plain_name():
    from knowledge.kb import KnowledgeBase
    from knowledge.schema import Item, Text

    kb = KnowledgeBase()
    tip = Text(zh="投放。", en="Put it out.")
    for name, aliases, cat in (
        ("过期黄油", [], "food"),
        ("黄油包装纸", [], "residual"),
        ("黄油润滑脂", [], "hazardous"),
    ):
        kb._register(Item(name=name, aliases=aliases, en=[name], category=cat, tip=tip), strict=False)
    v = kb.classify("黄油")  # only 过期黄油 is 黄油 itself; the others are other things named after it
    assert (v.category, v.confidence) == ("food", "likely")


def test_lint_wants_a_condition_to_agree_with_its_tip(tmp_path):
    d = _write(
        tmp_path,
        """
- category: recyclable
  tip: {zh: 投放可回收物。, en: Recyclables.}
  items:
    - name: 辛
      en: [h]
      conditions:
        - {when: [发霉], category: recyclable, label: {zh: 发霉, en: mouldy}, tip: {zh: 投放其他垃圾。, en: Residual.}}
""",
    )
    found = [str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv")]
    assert any("[辛]" in p and "condition #1" in p for p in found)


def test_lint_keeps_a_decision_group_in_one_bin(tmp_path):
    d = _write(
        tmp_path,
        """
- category: residual
  tip: {zh: 投放其他垃圾。, en: Residual waste.}
  items:
    - {name: 壬, en: [i]}
    - {name: 癸, en: [j]}
- category: food
  tip: {zh: 投放厨余垃圾。, en: Food waste.}
  items:
    - {name: 子鼠, en: [k]}
""",
    )
    decisions = tmp_path / "decisions.yaml"  # beside the data directory, as cards.yaml is
    decisions.write_text("- {names: [壬, 癸], why: same}\n", encoding="utf-8")
    assert not any("decision" in str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv"))
    decisions.write_text("- {names: [壬, 子鼠, 丑牛], why: same}\n", encoding="utf-8")
    found = [str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv")]
    assert any("split across bins" in p and "子鼠: food" in p for p in found)
    assert any("[丑牛]" in p and "unknown item" in p for p in found)


def test_lint_finds_one_thing_in_two_bins_by_a_trailing_zi(tmp_path):
    d = _write(
        tmp_path,
        """
- category: residual
  tip: {zh: 投放其他垃圾。, en: Residual waste.}
  items:
    - {name: 烟杆子, en: [l]}
- category: recyclable
  tip: {zh: 投放可回收物。, en: Recyclables.}
  items:
    - {name: 烟杆, en: [m]}
""",
    )
    found = [str(p) for p in lint(data_dir=d, conflicts_path=tmp_path / "none.csv")]
    assert any("烟杆子" in p and "two bins" in p for p in found)
