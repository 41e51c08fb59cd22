"""Lint and stats on fixture directories, and lint on the real data."""

import os
from pathlib import Path

import pytest

from knowledge import load_kb
from knowledge.lint import default_shared_file, lint, run_lint
from knowledge.stats import stats

FIX = Path(__file__).parent / "kb_fixtures"


@pytest.fixture(scope="module")
def bad():
    return run_lint(data_dir=FIX / "bad" / "data", conflicts_path=FIX / "bad" / "conflicts.csv")


def messages(res):
    return [str(p) for p in res.problems]


def has(res, *parts):
    return any(all(x in m for x in parts) for m in messages(res))


def test_good_fixture_is_clean():
    res = run_lint(data_dir=FIX / "good" / "data", conflicts_path=FIX / "good" / "conflicts.csv")
    assert messages(res) == []


def test_duplicate_alias(bad):
    assert has(bad, "矿泉水瓶", "饮料瓶", "塑料瓶")


def test_missing_tip_language(bad):
    assert has(bad, "口香糖", "missing tip.en")


def test_missing_english_name(bad):
    assert has(bad, "报纸", "missing English name")


def test_condition_without_label(bad):
    assert has(bad, "披萨盒", "no label")


def test_schema_errors_name_file_and_item(bad):
    assert has(bad, "items.yaml", "category")  # compost is not a category
    assert has(bad, "items.yaml", "果皮", "unknown field 'colour'")
    assert has(bad, "broken.yaml", "invalid YAML")


def test_missing_cards(bad):
    for key in ("hazardous", "food", "residual"):
        assert has(bad, f"missing card for '{key}'")
    assert not has(bad, "missing card for 'recyclable'")


def test_conflict_items_need_one_item_with_note(bad):
    assert has(bad, "塑料瓶", "needs a note")
    assert has(bad, "量子计算机", "not a name/alias")


def test_missing_conflicts_file_is_a_warning(tmp_path):
    res = run_lint(data_dir=FIX / "good" / "data", conflicts_path=tmp_path / "absent.csv")
    assert res.problems == []
    assert any("check skipped" in str(w) for w in res.warnings)


def test_loader_keeps_valid_items_of_a_broken_base():
    kb = load_kb(FIX / "bad" / "data")
    assert kb.problems  # errors are reported...
    assert kb.classify("塑料瓶").category == "recyclable"  # ...and the rest still works
    assert kb.classify("饮料瓶").item == "塑料瓶"  # first claim wins


def test_stats_counts():
    s = stats(load_kb(FIX / "good" / "data"))
    assert s["items"] == 34
    assert s["by_category"]["hazardous"] == 7
    assert s["by_stream"]["e_waste"] == 2
    assert s["items_with_conditions"] == 4
    assert s["items_with_notes"] == 3
    assert s["items_with_en"] == 34
    assert s["surface_forms"] > s["items"]


@pytest.mark.kb_data
@pytest.mark.skipif(os.environ.get("WUFEI_SKIP_DATA_LINT") == "1", reason="WUFEI_SKIP_DATA_LINT=1")
def test_real_data_lint_passes():
    """The real knowledge base (knowledge/data + cards.yaml) must lint clean."""
    conflicts = default_shared_file("sorting_conflicts.csv")
    problems = lint(conflicts_path=conflicts if conflicts.exists() else None)
    assert problems == [], "\n".join(str(p) for p in problems[:50])


def test_group_conditions_follow_each_item_after_its_own(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "paper.yaml").write_text(
        """
- category: recyclable
  tip: {zh: 投放可回收物。, en: Recyclables.}
  conditions:
    - {when: [沾油, greasy], category: residual, label: {zh: 沾油, en: greasy}}
  items:
    - {name: 报纸, en: [newspaper]}
    - name: 纸箱
      en: [cardboard box]
      conditions: [{when: [湿, wet], category: residual, label: {zh: 湿了, en: wet}}]
    - {name: 油污纸, en: [greasy paper], category: residual}
""",
        encoding="utf-8",
    )
    kb = load_kb(data)
    assert kb.problems == []
    labels = {i.name: [c.label.zh for c in i.conditions] for i in kb.items}
    assert labels == {"报纸": ["沾油"], "纸箱": ["湿了", "沾油"], "油污纸": []}  # not its own bin
    assert kb.classify("沾了油的报纸").category == "residual"
    assert kb.classify("湿了的纸箱").condition == {"zh": "湿了", "en": "wet"}
