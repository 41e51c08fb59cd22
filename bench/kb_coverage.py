"""Coverage of everyday questions: how many get a sure/likely answer, a did-you-mean or nothing.

bench/everyday_queries.txt holds 775 everyday questions (708 Chinese, 67 English) written by
us from what residents ask, not taken from any public list. They carry no expected bins: this
measures reach, not correctness (that is bench/kb_eval.py). The list was used to find gaps,
so it overstates reach on new questions; keep it as a regression check.

Prints one JSON line: {"dataset", "queries", "sure", "likely", "ambiguous", "unknown", "answered_share"}.

    python bench/kb_coverage.py [--queries PATH] [--data DIR] [--gaps]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from knowledge import load_kb  # noqa: E402

DEFAULT_QUERIES = Path(__file__).resolve().parent / "everyday_queries.txt"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--data", type=Path, default=None, help="knowledge data dir (default: knowledge/data)")
    ap.add_argument("--gaps", action="store_true", help="also print the questions without an answer")
    args = ap.parse_args(argv)
    queries = [q.strip() for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()]
    kb = load_kb(args.data)
    counts: Counter[str] = Counter()
    for q in queries:
        v = kb.classify(q)
        counts[v.confidence] += 1
        if args.gaps and not v.answered:
            print(
                json.dumps(
                    {"gap": q, "confidence": v.confidence, "alternatives": [a["item"] for a in v.alternatives]},
                    ensure_ascii=False,
                )
            )
    n = len(queries)
    line = {
        "dataset": args.queries.stem,
        "queries": n,
        **{c: counts[c] for c in ("sure", "likely", "ambiguous", "unknown")},
        "answered_share": round((counts["sure"] + counts["likely"]) / n, 4) if n else 0.0,
    }
    print(json.dumps(line, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
