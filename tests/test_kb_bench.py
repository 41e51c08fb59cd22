"""The benchmark's synthetic scaling is deterministic and keeps the base consistent; the held-out
run really removes each fold's phrasings."""

import importlib.util
import json
from pathlib import Path

from knowledge import load_kb

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "kb_fixtures" / "good" / "data"


def _bench(name: str = "kb_eval"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_synthetic_items_are_deterministic_and_do_not_break_real_answers():
    bench = _bench()
    a, b = load_kb(FIX), load_kb(FIX)
    bench.add_synthetic(a, 400)
    bench.add_synthetic(b, 400)
    assert len(a) == len(b) == 400
    assert [i.name for i in a.items] == [i.name for i in b.items]
    assert a.problems == []  # no clashing names or aliases were added
    v = a.classify("电池是什么垃圾")
    assert (v.item, v.category) == ("电池", "hazardous")


def test_strip_forms_drops_aliases_promotes_an_alias_and_drops_bare_items():
    bench = _bench()
    from knowledge.normalize import normalize
    from knowledge.schema import Item

    item = Item(name="甲乙", aliases=["丙丁", "戊己"], en=["Foo Bar"], category="residual")
    assert bench.strip_forms(item, {"庚"}, set()) == (item, 0)
    kept, n = bench.strip_forms(item, {normalize("甲乙"), normalize("丙丁")}, {"foo bar"})
    assert (kept.name, kept.aliases, kept.en, n) == ("戊己", [], [], 3)
    assert item.name == "甲乙" and item.aliases == ["丙丁", "戊己"]  # the original is untouched
    assert bench.strip_forms(Item(name="甲乙", category="residual"), {normalize("甲乙")}, set()) == (None, 1)


def test_holdout_removes_the_fold_phrasings_from_the_real_base(tmp_path, capsys, monkeypatch):
    bench = _bench()
    kb = load_kb()
    # real data: 笔记本电脑 has the alias 手提电脑; 蚊帐 has the alias 旧蚊帐
    laptop = kb.classify("手提电脑")
    assert (laptop.item, laptop.confidence) == ("笔记本电脑", "sure")
    assert "旧蚊帐" in kb.get("蚊帐").aliases

    held, forms, items = bench.holdout_kb(kb, ["手提电脑", "蚊帐"])
    assert (forms, items) == (2, 0)
    assert "手提电脑" not in held.get("笔记本电脑").aliases  # the item stays, without that alias
    v = held.classify("手提电脑")
    assert not (v.item == "笔记本电脑" and v.confidence == "sure")
    assert held.get("蚊帐") is None and held.get("旧蚊帐").name == "旧蚊帐"  # alias promoted to name
    assert kb.get("手提电脑").name == "笔记本电脑"  # the loaded base is not modified

    csv_path = tmp_path / "tiny_eval.csv"
    csv_path.write_text(
        "query,category\n手提电脑,recyclable\n蚊帐,recyclable\n不是物品的一句话,residual\n", encoding="utf-8"
    )
    monkeypatch.setattr(bench, "load_kb", lambda data_dir=None: kb)  # main() would load it again
    assert bench.main(["--eval", str(csv_path), "--no-synthetic", "--holdout", "2", "--misses"]) == 0
    lines = [json.loads(s) for s in capsys.readouterr().out.splitlines()]
    normal = next(x for x in lines if x.get("dataset") == "tiny_eval")
    held_line = next(x for x in lines if x.get("dataset", "").endswith("_holdout"))
    assert held_line["dataset"] == "tiny_eval_holdout"
    assert {
        "items",
        "queries",
        "accuracy",
        "answered_share",
        "answered_precision",
        "p50_ms",
        "p99_ms",
    } <= held_line.keys()
    assert (held_line["folds"], held_line["queries"]) == (2, 3)
    assert (held_line["removed_forms"], held_line["removed_items"]) == (2, 0)  # 手提电脑, 蚊帐
    assert held_line["answered_share"] <= normal["answered_share"]
    assert all(x["miss"] in ("tiny_eval", "tiny_eval_holdout", "typo_queries") for x in lines if "miss" in x)
    typos = next(x for x in lines if x.get("dataset") == "typo_queries")
    assert typos["queries"] >= 200 and {"wrong_share", "corrected_share", "by_kind"} <= typos.keys()
    assert set(typos["by_kind"]) == {"homophone", "key", "swap"}


def test_typo_line_scores_wrong_answers_apart_from_unanswered(tmp_path):
    bench = _bench()
    kb = load_kb()
    typos = tmp_path / "t.csv"
    # 玻离瓶: a typo of 玻璃瓶 (recyclable); the second row expects a bin the answer is not
    typos.write_text(
        "query,intended,category,kind\n玻离瓶,玻璃瓶,recyclable,homophone\n璃玻瓶,玻璃瓶,hazardous,swap\n",
        encoding="utf-8",
    )
    line = bench.measure_typos(kb, typos, False)
    assert (line["accuracy"], line["wrong_share"], line["corrected_share"]) == (0.5, 0.5, 1.0)
    assert line["by_kind"] == {"homophone": 1.0, "swap": 0.0}


def test_coverage_counts_each_kind_of_verdict(tmp_path, capsys):
    queries = tmp_path / "q.txt"
    queries.write_text("纸箱\n火星土壤样本\n\n电池是什么垃圾\n", encoding="utf-8")
    assert _bench("kb_coverage").main(["--queries", str(queries), "--data", str(FIX), "--gaps"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0] == {"gap": "火星土壤样本", "confidence": "unknown", "alternatives": []}
    assert lines[-1] == {
        "dataset": "q",
        "queries": 3,
        "sure": 2,
        "likely": 0,
        "ambiguous": 0,
        "unknown": 1,
        "answered_share": 0.6667,
    }
