"""Sorting engine benchmark: accuracy on the public eval set and classify latency.

Latency is the CPU time of classify() per query on one thread, caches warm (wall-clock p99
is added as wall_p99_ms; on a shared machine it includes time spent waiting for a core).

Prints JSON lines (never asserts):
  {"dataset": "sorting_eval_public", "items": ..., "queries": ..., "accuracy": ..., "answered_share": ...,
   "answered_precision": ..., "p50_ms": ..., "p99_ms": ...}
  {"dataset": "synthetic_50k", ...}   # same queries, base scaled to 50,000 items with synthetic names
  {"dataset": "sorting_eval_public_holdout", ..., "folds": K, "removed_forms": ..., "removed_items": ...}
  {"dataset": "typo_queries", ..., "wrong_share": ..., "corrected_share": ..., "by_kind": {...}}

Many eval queries are themselves item names or aliases, so the first line overstates how the
matcher does on phrasings it has never seen. `--holdout K` adds a leave-the-phrasing-out line:
the rows are split into K folds (row index % K); each fold is classified by a base from which
every name/alias equal (normalised) to one of that fold's queries is removed (an alias is
dropped; a removed name is replaced by the item's first remaining alias, or the item is dropped
when none is left), as are English names equal to an English fold query. Counts are summed
over the folds; `items` is the mean size of the fold bases, `removed_forms` counts the forms
removed (summed over folds) and `removed_items` the items dropped. `nearest_string_accuracy` is
the baseline of always answering with the category of the most similar known form.
`one_tap_share` counts rows answered right or offered a did-you-mean button of the right bin.

The typo line classifies bench/typo_queries.csv (item names typed with one input error: same
pinyin, a key away, swapped characters; see bench/make_typo_queries.py). `wrong_share` is the
share answered (sure/likely) with the wrong bin; `corrected_share` the share answered as a
correction ("answered as X").

    python bench/kb_eval.py [--eval PATH] [--data DIR] [--misses] [--no-synthetic] [--synthetic-size N]
                            [--holdout K] [--typos PATH | --no-typos]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rapidfuzz import fuzz, process  # noqa: E402

from knowledge import load_kb  # noqa: E402
from knowledge.kb import KnowledgeBase  # noqa: E402
from knowledge.normalize import has_cjk, normalize  # noqa: E402
from knowledge.schema import Category, Item, Text  # noqa: E402

DEFAULT_EVAL = REPO.parent / "shared" / "data" / "sorting_eval_public.csv"
DEFAULT_TYPOS = Path(__file__).resolve().parent / "typo_queries.csv"


def read_eval(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["query"].strip(), r["category"].strip()) for r in csv.DictReader(fh) if r.get("query")]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


class Tally:
    """Counts and timings of classified rows; add several runs (folds) into one."""

    def __init__(self) -> None:
        self.correct = self.answered = self.answered_correct = self.one_tap = 0
        self.times: list[float] = []  # CPU ms per query
        self.wall: list[float] = []
        self.wrong: list[dict] = []

    def line(self, dataset: str, items: int) -> dict:
        n = len(self.times)
        return {
            "dataset": dataset,
            "items": items,
            "queries": n,
            "accuracy": round(self.correct / n, 4) if n else 0.0,
            "answered_share": round(self.answered / n, 4) if n else 0.0,
            "answered_precision": round(self.answered_correct / self.answered, 4) if self.answered else 0.0,
            "one_tap_share": round(self.one_tap / n, 4) if n else 0.0,
            "p50_ms": round(percentile(self.times, 50), 3),
            "p99_ms": round(percentile(self.times, 99), 3),
            "max_ms": round(max(self.times), 3) if self.times else 0.0,
            "wall_p99_ms": round(percentile(self.wall, 99), 3),
        }

    def print_misses(self, dataset: str) -> None:
        for w in self.wrong:
            print(json.dumps({"miss": dataset, **w}, ensure_ascii=False))


def count(kb: KnowledgeBase, rows: list[tuple[str, str]], tally: Tally | None = None) -> Tally:
    """Classify rows with kb, adding the outcomes to tally (a new one by default)."""
    t = tally if tally is not None else Tally()
    for q, _ in rows:  # warm caches (lru caches, pinyin of the queries)
        kb.classify(q)
    gc.collect()
    gc.disable()
    try:
        for q, expected in rows:
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()  # CPU time: stable on a shared machine
            v = kb.classify(q)
            t.wall.append((time.perf_counter_ns() - t0) / 1e6)
            t.times.append((time.thread_time_ns() - c0) / 1e6)
            ok = v.category == expected
            t.correct += ok
            # right, or a did-you-mean button of the right bin: one tap away
            t.one_tap += ok or (v.confidence == "ambiguous" and any(a["category"] == expected for a in v.alternatives))
            if v.answered:
                t.answered += 1
                t.answered_correct += ok
            if not ok:
                t.wrong.append(
                    {
                        "query": q,
                        "expected": expected,
                        "got": v.category,
                        "item": v.item,
                        "confidence": v.confidence,
                        "method": v.method,
                        "alternatives": [a["item"] for a in v.alternatives],
                    }
                )
    finally:
        gc.enable()
    return t


def measure(kb: KnowledgeBase, rows: list[tuple[str, str]], dataset: str, misses: bool) -> dict:
    t = count(kb, rows)
    if misses:
        t.print_misses(dataset)
    return t.line(dataset, len(kb))


def measure_typos(kb: KnowledgeBase, path: Path, misses: bool) -> dict:
    """Accuracy and wrong answers on the typo set, overall and by kind of error."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    t = count(kb, [(r["query"], r["category"]) for r in rows])
    if misses:
        t.print_misses(path.stem)
    line = t.line(path.stem, len(kb))
    wrong = corrected = 0
    kinds: dict[str, list[int]] = {}
    for r in rows:
        v = kb.classify(r["query"])
        ok = v.category == r["category"]
        wrong += v.answered and not ok
        corrected += bool(v.corrected)
        k = kinds.setdefault(r["kind"], [0, 0])
        k[0] += ok
        k[1] += 1
    n = len(rows)
    line.update(
        wrong_share=round(wrong / n, 4) if n else 0.0,
        corrected_share=round(corrected / n, 4) if n else 0.0,
        by_kind={k: round(a / b, 4) for k, (a, b) in sorted(kinds.items())},
    )
    return line


# --- held-out phrasings ----------------------------------------------------------------


def strip_forms(item: Item, keys: set[str], en: set[str]) -> tuple[Item | None, int]:
    """The item without the names/aliases whose normalised form is in keys and the English names
    in en (lower case); a removed name is replaced by the first remaining alias. Returns (item or
    None when no Chinese form is left, number of forms removed)."""
    forms = [f for f in [item.name, *item.aliases] if normalize(f) not in keys]
    ens = [e for e in item.en if e.strip().lower() not in en]
    removed = 1 + len(item.aliases) - len(forms) + len(item.en) - len(ens)
    if not removed:
        return item, 0
    if not forms:
        return None, removed
    return item.model_copy(update={"name": forms[0], "aliases": forms[1:], "en": ens}), removed


def holdout_kb(
    base: KnowledgeBase, queries: list[str], items: list[Item] | None = None
) -> tuple[KnowledgeBase, int, int]:
    """A fresh base built from `items` (default: base.items) without the surface forms equal to
    one of `queries`. Returns (kb, forms removed, items dropped)."""
    keys = {k for k in map(normalize, queries) if k}
    en = {q.strip().lower() for q in queries if q.strip() and not has_cjk(q)}
    kb = KnowledgeBase(base.data_dir)
    kb.cards, kb.cards_file = base.cards, base.cards_file
    removed_forms = removed_items = 0
    kb.matcher.begin_bulk()
    try:
        for item in base.items if items is None else items:
            kept, n = strip_forms(item, keys, en)
            removed_forms += n
            if kept is None:
                removed_items += 1
            else:
                kb._register(kept, strict=False)
    finally:
        kb.matcher.end_bulk()
    return kb, removed_forms, removed_items


def measure_holdout(
    base: KnowledgeBase,
    rows: list[tuple[str, str]],
    dataset: str,
    folds: int,
    misses: bool,
    items: list[Item] | None = None,
) -> dict:
    """K-fold leave-the-phrasing-out: each fold's queries against a base without those phrasings."""
    t = Tally()
    sizes: list[int] = []
    removed_forms = removed_items = nearest_right = 0
    for f in range(folds):
        fold = rows[f::folds]  # row index % folds == f
        if not fold:
            continue
        kb, n_forms, n_items = holdout_kb(base, [q for q, _ in fold], items)
        removed_forms += n_forms
        removed_items += n_items
        sizes.append(len(kb))
        count(kb, fold, t)
        nearest_right += nearest_string_correct(kb, fold)
    if misses:
        t.print_misses(dataset)
    line = t.line(dataset, round(sum(sizes) / len(sizes)) if sizes else 0)
    line.update(
        folds=folds,
        removed_forms=removed_forms,
        removed_items=removed_items,
        nearest_string_accuracy=round(nearest_right / len(rows), 4) if rows else 0.0,
    )
    return line


def nearest_string_correct(kb: KnowledgeBase, rows: list[tuple[str, str]]) -> int:
    """Baseline for the held-out line: always answer with the category of the most similar
    name/alias/English name (rapidfuzz WRatio), as plain string-similarity lookups do."""
    forms: list[str] = []
    cats: list[str] = []
    for item in kb.items:
        for f in (item.name, *item.aliases, *item.en):
            k = normalize(f)
            if k:
                forms.append(k)
                cats.append(item.category.value)
    right = 0
    for q, expected in rows:
        best = process.extractOne(normalize(q) or q, forms, scorer=fuzz.WRatio)
        right += best is not None and cats[best[2]] == expected
    return right


# --- synthetic scaling ---------------------------------------------------------------

_PLACES = [
    "厨房",
    "卫生间",
    "客厅",
    "卧室",
    "阳台",
    "办公室",
    "车载",
    "户外",
    "儿童",
    "宠物",
    "学生",
    "老人",
    "婴儿",
    "浴室",
    "庭院",
    "车间",
    "宿舍",
    "教室",
    "仓库",
    "工地",
]
_MATERIALS = [
    "塑料",
    "玻璃",
    "金属",
    "不锈钢",
    "铝制",
    "铁皮",
    "纸质",
    "木质",
    "竹制",
    "陶瓷",
    "橡胶",
    "硅胶",
    "布艺",
    "皮革",
    "亚克力",
    "尼龙",
    "树脂",
    "搪瓷",
    "藤编",
    "泡沫",
    "棉麻",
    "羊毛",
    "碳纤维",
    "铜制",
]
_ADJS = [
    "迷你",
    "折叠",
    "便携",
    "加厚",
    "一次性",
    "多功能",
    "大号",
    "小号",
    "圆形",
    "方形",
    "长柄",
    "透明",
    "彩色",
    "防水",
    "带盖",
    "双层",
    "手持",
    "电动",
    "充气",
    "复古",
    "简易",
    "加长",
    "镂空",
    "卡通",
]
_OBJECTS = [
    "瓶",
    "盒",
    "袋",
    "杯",
    "碗",
    "盘",
    "罐",
    "桶",
    "刷",
    "夹",
    "架",
    "垫",
    "罩",
    "套",
    "盆",
    "壶",
    "勺",
    "铲",
    "筐",
    "篮",
    "箱",
    "柜",
    "灯",
    "扇",
    "钟",
    "镜",
    "梳",
    "伞",
    "鞋",
    "帽",
    "包",
    "绳",
    "管",
    "网",
    "板",
    "条",
    "片",
    "球",
    "棒",
    "托",
    "座",
    "钩",
    "扣",
    "环",
    "链",
    "牌",
    "卡",
    "贴",
]
_SUFFIXES = ["", "子", "儿", "套装", "配件", "替换装", "收纳", "组合"]
_EN_MAT = [
    "plastic",
    "glass",
    "metal",
    "steel",
    "aluminium",
    "paper",
    "wooden",
    "bamboo",
    "ceramic",
    "rubber",
    "silicone",
    "fabric",
    "leather",
    "acrylic",
    "nylon",
    "resin",
    "enamel",
    "rattan",
    "foam",
    "cotton",
]
_EN_OBJ = [
    "bottle",
    "box",
    "bag",
    "cup",
    "bowl",
    "plate",
    "jar",
    "bucket",
    "brush",
    "clip",
    "rack",
    "mat",
    "cover",
    "case",
    "basin",
    "kettle",
    "spoon",
    "spatula",
    "basket",
    "crate",
    "lamp",
    "fan",
    "clock",
    "mirror",
    "comb",
    "umbrella",
    "shoe",
    "hat",
    "pouch",
    "rope",
    "tube",
    "net",
    "board",
    "strip",
    "ball",
    "stick",
    "tray",
    "stand",
    "hook",
    "buckle",
    "ring",
    "chain",
    "tag",
    "card",
    "sticker",
]
_EN_ADJ = [
    "mini",
    "folding",
    "portable",
    "thick",
    "disposable",
    "multi-purpose",
    "large",
    "small",
    "round",
    "square",
    "long",
    "clear",
    "colourful",
    "waterproof",
    "lidded",
    "double",
    "handheld",
    "electric",
    "inflatable",
    "vintage",
    "simple",
    "extended",
    "hollow",
    "cartoon",
]


def add_synthetic(kb: KnowledgeBase, target: int, seed: int = 20261128) -> int:
    """Add deterministic synthetic items until the base holds `target` items."""
    rng = random.Random(seed)
    cats = list(Category)
    tip = Text(zh="按类别投放。", en="Put it in the right bin.")
    added = 0
    attempts = 0
    kb.matcher.begin_bulk()
    try:
        added, attempts = _fill(kb, target, rng, cats, tip)
    finally:
        kb.matcher.end_bulk()
    return added


def _fill(kb: KnowledgeBase, target: int, rng: random.Random, cats: list, tip: Text) -> tuple[int, int]:
    added = attempts = 0
    while len(kb) < target and attempts < target * 20:
        attempts += 1
        place, mat, adj, obj, suf = (
            rng.choice(_PLACES),
            rng.choice(_MATERIALS),
            rng.choice(_ADJS),
            rng.choice(_OBJECTS),
            rng.choice(_SUFFIXES),
        )
        shape = rng.random()
        if shape < 0.35:
            name = f"{mat}{adj}{obj}{suf}"
        elif shape < 0.7:
            name = f"{place}{mat}{obj}{suf}"
        else:
            name = f"{place}{adj}{mat}{obj}{suf}"
        aliases = []
        if rng.random() < 0.8:
            aliases.append(f"{adj}{place}{obj}{suf}")
        if rng.random() < 0.5:
            aliases.append(f"{mat}{obj}{rng.choice(['', '子', '儿'])}{rng.randint(1, 999)}号")
        if rng.random() < 0.3:
            aliases.append(f"{place}用{adj}{mat}{obj}")
        en = [f"{rng.choice(_EN_ADJ)} {rng.choice(_EN_MAT)} {rng.choice(_EN_OBJ)} {rng.randint(1, 9999)}"]
        item = Item(name=name, aliases=aliases, en=en, category=rng.choice(cats), tip=tip, source="<synthetic>")
        if kb._clashes(item):  # keep the synthetic base as clean as the real one
            continue
        before = len(kb)
        kb._register(item, strict=False)
        added += len(kb) - before
    return added, attempts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="CSV with columns query,category")
    ap.add_argument("--data", type=Path, default=None, help="knowledge data dir (default: knowledge/data)")
    ap.add_argument("--misses", action="store_true", help="also print the rows answered wrongly")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the 50k synthetic run")
    ap.add_argument("--synthetic-size", type=int, default=50_000)
    ap.add_argument(
        "--holdout",
        type=int,
        default=0,
        metavar="K",
        help="also measure K-fold leave-the-phrasing-out accuracy (0: off)",
    )
    ap.add_argument("--typos", type=Path, default=DEFAULT_TYPOS, help="CSV with query,intended,category,kind")
    ap.add_argument("--no-typos", action="store_true", help="skip the typo line")
    args = ap.parse_args(argv)
    if args.holdout < 0:
        ap.error("--holdout must be >= 0")

    rows = read_eval(args.eval)
    t0 = time.perf_counter()
    kb = load_kb(args.data)
    load_s = time.perf_counter() - t0
    line = measure(kb, rows, args.eval.stem, args.misses)
    line["load_s"] = round(load_s, 3)
    line["load_errors"] = len(kb.problems)
    print(json.dumps(line, ensure_ascii=False), flush=True)
    real_items = list(kb.items)  # before the synthetic run grows the base
    if not args.no_typos and args.typos.exists():
        print(json.dumps(measure_typos(kb, args.typos, args.misses), ensure_ascii=False), flush=True)

    if not args.no_synthetic:
        t0 = time.perf_counter()
        add_synthetic(kb, args.synthetic_size)
        build_s = time.perf_counter() - t0
        line = measure(
            kb, rows, "synthetic_50k" if args.synthetic_size == 50_000 else f"synthetic_{args.synthetic_size}", False
        )
        line["build_s"] = round(build_s, 2)
        print(json.dumps(line, ensure_ascii=False), flush=True)

    if args.holdout:
        t0 = time.perf_counter()
        line = measure_holdout(kb, rows, f"{args.eval.stem}_holdout", args.holdout, args.misses, real_items)
        line["run_s"] = round(time.perf_counter() - t0, 2)
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
