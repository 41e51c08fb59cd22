"""`kb` command line: lint, stats, classify, export.

python -m knowledge.cli lint
python -m knowledge.cli stats --json
echo 电池 | python -m knowledge.cli classify
python -m knowledge.cli export changes.json     # {"aliases": {name: [alias]}, "items": [item]}
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from .kb import DEFAULT_DATA_DIR, load_kb
from .schema import KbError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kb", description="Wufei sorting knowledge base tools")
    sub = p.add_subparsers(dest="cmd", required=True)

    def data_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data", type=Path, default=None, help="data directory (default: knowledge/data)")
        sp.add_argument("--cards", type=Path, default=None, help="cards file (default: <data>/../cards.yaml)")

    sp = sub.add_parser("lint", help="check the data files; exit 1 on problems")
    data_opts(sp)
    sp.add_argument("--conflicts", type=Path, default=None, help="sorting_conflicts.csv path")
    sp = sub.add_parser("stats", help="print counts")
    data_opts(sp)
    sp.add_argument("--json", action="store_true", help="print JSON")
    sp = sub.add_parser("classify", help="one query per stdin line -> one JSON object per stdout line")
    data_opts(sp)
    sp.add_argument("--full", action="store_true", help="include tip, note, condition, method")
    sp = sub.add_parser("export", help="merge curated changes (JSON file) into data/curated/*.yaml")
    data_opts(sp)
    sp.add_argument("changes", type=Path, help='JSON file: {"aliases": {item: [alias, ...]}, "items": [item, ...]}')
    return p


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = _parser().parse_args(list(argv) if argv is not None else sys.argv[1:])
    except SystemExit as e:  # argparse exits on --help / bad usage
        return int(e.code or 0)

    if args.cmd == "lint":
        from .lint import run_lint

        res = run_lint(data_dir=args.data, conflicts_path=args.conflicts, cards_path=args.cards)
        for w in res.warnings:
            print(f"warning: {w}", file=err)
        for p in res.problems:
            print(str(p), file=out)
        print(f"{len(res.problems)} problem(s), {len(res.warnings)} warning(s)", file=err)
        return 1 if res.problems else 0

    if args.cmd == "stats":
        from .stats import format_stats, stats

        kb = load_kb(args.data, args.cards)
        s = stats(kb)
        print(json.dumps(s, ensure_ascii=False) if args.json else format_stats(s), file=out)
        return 0

    if args.cmd == "classify":
        kb = load_kb(args.data, args.cards)
        if kb.problems:
            print(f"warning: {len(kb.problems)} load problem(s); run `kb lint`", file=err)
        while True:
            line = stdin.readline()
            if not line:
                break
            q = line.rstrip("\r\n")
            v = kb.classify(q)
            obj = v.to_json_obj()
            if args.full:
                obj.update(
                    condition=v.condition,
                    tip=v.tip,
                    note=v.note,
                    conditions_available=v.conditions_available,
                    method=v.method,
                )
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            out.flush()
        return 0

    if args.cmd == "export":
        from .export import write_curated

        try:
            changes = json.loads(args.changes.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            print(f"cannot read {args.changes}: {e}", file=err)
            return 2
        if not isinstance(changes, dict):
            print("changes must be a JSON object with 'aliases' and/or 'items'", file=err)
            return 2
        try:
            paths = write_curated(
                args.data or DEFAULT_DATA_DIR, changes.get("aliases") or {}, changes.get("items") or []
            )
        except KbError as e:
            print(str(e), file=err)
            return 1
        for path in paths:
            print(f"wrote {path}", file=out)
        return 0
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
