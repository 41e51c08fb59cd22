"""Generate bench/typo_queries.csv: item names typed with the common input errors.

Each row is an item name (2-4 Chinese characters, from the knowledge base) with one error:
  homophone   one character replaced by the most common other character of the same pinyin
              (what a pinyin IME offers first when the wrong candidate is picked: 电池 -> 电尺)
  key         one character replaced by the most common character of a syllable one keystroke
              away: a neighbouring key, a letter missing or doubled (dai -> sai, xiang -> xiangg)
  swap        two neighbouring characters swapped (玻璃瓶 -> 璃玻瓶)
Rows whose typo is itself a known name or a dictionary word (words.py) are left out: such a
"typo" is another word, which the matcher must not correct. Character frequencies come from
jieba's dictionary (the frequency of the words a character appears in). Deterministic (seeded).

    python bench/make_typo_queries.py [--per-kind N] [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pypinyin import lazy_pinyin  # noqa: E402

from knowledge import load_kb  # noqa: E402
from knowledge.pinyin import cjk_only, syllables  # noqa: E402
from knowledge.typos import key_variants  # noqa: E402
from knowledge.words import is_word  # noqa: E402

OUT = Path(__file__).resolve().parent / "typo_queries.csv"


def char_freq() -> Counter[str]:
    spec = importlib.util.find_spec("jieba")
    path = Path(spec.origin).with_name("dict.txt")  # type: ignore[union-attr, arg-type]
    freq: Counter[str] = Counter()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            w, f, *_ = line.split(" ")
            for c in w:
                freq[c] += int(f)
    return freq


def by_syllable(freq: Counter[str]) -> dict[str, list[str]]:
    """syllable -> common characters read so, most common first."""
    out: dict[str, list[str]] = defaultdict(list)
    for c, _ in freq.most_common(6000):
        if cjk_only(c):
            out[lazy_pinyin(c)[0]].append(c)
    return out


def typo(name: str, kind: str, rng: random.Random, chars: dict[str, list[str]]) -> str | None:
    syl = syllables(name)
    if len(syl) != len(name):
        return None
    i = rng.randrange(len(name))
    if kind == "swap":
        i = rng.randrange(len(name) - 1)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == "homophone":
        options = [c for c in chars.get(syl[i], []) if c != name[i]][:3]
    else:
        variants = sorted(v for v in key_variants(syl[i]) if chars.get(v))
        options = [chars[v][0] for v in variants]
    if not options:
        return None
    return name[:i] + rng.choice(options) + name[i + 1 :]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-kind", type=int, default=80)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    kb = load_kb()
    chars = by_syllable(char_freq())
    rng = random.Random(20261213)
    names = sorted(i.name for i in kb.items if 2 <= len(i.name) <= 4 and cjk_only(i.name))
    rows = []
    seen = set()
    for kind in ("homophone", "key", "swap"):
        order = names[:]
        rng.shuffle(order)
        n = 0
        for name in order:
            if n >= args.per_kind:
                break
            t = typo(name, kind, rng, chars)
            if not t or t in seen or t == name or kb.matcher.lookup(t) or is_word(t):
                continue
            seen.add(t)
            rows.append({"query": t, "intended": name, "category": kb.get(name).category.value, "kind": kind})
            n += 1
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["query", "intended", "category", "kind"])
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
