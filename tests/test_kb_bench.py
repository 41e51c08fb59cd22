"""The benchmark's synthetic scaling is deterministic and keeps the base consistent."""

import importlib.util
from pathlib import Path

from knowledge import load_kb

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "kb_fixtures" / "good" / "data"


def _bench():
    spec = importlib.util.spec_from_file_location("kb_eval", ROOT / "bench" / "kb_eval.py")
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
