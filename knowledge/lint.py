"""Checks on the knowledge base data: `lint()` returns the problems (empty list = clean)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .kb import PACKAGE_DIR, KnowledgeBase, Problem, load_kb
from .lint_rules import decision_problems, tip_problems, twin_problems, wuxi_problems
from .normalize import normalize
from .schema import Category

CONFLICTS_NAME = "sorting_conflicts.csv"
DECISIONS_NAME = "decisions.yaml"


def default_shared_file(name: str) -> Path:
    """<repo>/../shared/data/<name> (the repo root is the package's parent)."""
    return PACKAGE_DIR.parent.parent / "shared" / "data" / name


@dataclass
class LintResult:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _text_missing(t) -> list[str]:
    if t is None:
        return ["zh", "en"]
    return [lang for lang in ("zh", "en") if not getattr(t, lang)]


def run_lint(
    kb: KnowledgeBase | None = None,
    data_dir: str | Path | None = None,
    conflicts_path: str | Path | None = None,
    cards_path: str | Path | None = None,
) -> LintResult:
    if kb is None:
        kb = load_kb(data_dir, cards_path)
    res = LintResult(problems=list(kb.problems), warnings=list(kb.warnings))
    P = res.problems.append

    streams_used: set[str] = set()
    for item in kb.items:
        src, name = item.source, item.name
        if not item.en:
            P(Problem(src, name, "missing English name (en)"))
        for lang in _text_missing(item.tip):
            P(Problem(src, name, f"missing tip.{lang}"))
        if item.note is not None:
            for lang in _text_missing(item.note):
                P(Problem(src, name, f"missing note.{lang}"))
        if item.stream:
            streams_used.add(item.stream.value)
        res.problems.extend(tip_problems(item) + wuxi_problems(item))
        for ci, cond in enumerate(item.conditions, 1):
            what = f"condition #{ci} ({', '.join(cond.when[:3])})"
            if cond.label is None:
                P(Problem(src, name, f"{what}: no label"))
            else:
                for lang in _text_missing(cond.label):
                    P(Problem(src, name, f"{what}: missing label.{lang}"))
            if cond.tip is not None:
                for lang in _text_missing(cond.tip):
                    P(Problem(src, name, f"{what}: missing tip.{lang}"))
            if cond.note is not None:
                for lang in _text_missing(cond.note):
                    P(Problem(src, name, f"{what}: missing note.{lang}"))
            if cond.stream:
                streams_used.add(cond.stream.value)

    if kb.data_dir is not None:  # decisions.yaml lives beside the data directory, as cards.yaml does
        res.problems.extend(decision_problems(kb, Path(kb.data_dir).parent / DECISIONS_NAME))
    res.problems.extend(twin_problems(kb))

    # cards
    cards_src = str(kb.cards_file) if kb.cards_file else "cards.yaml"
    if kb.cards_file is None:
        P(Problem(cards_src, None, "cards file not found"))
    for key in [c.value for c in Category] + sorted(streams_used):
        if key not in kb.cards:
            P(Problem(cards_src, key, f"missing card for '{key}'"))

    # conflicts: each query is a name/alias of exactly one item, and that item has a note
    path = Path(conflicts_path) if conflicts_path else default_shared_file(CONFLICTS_NAME)
    if not path.exists():
        res.warnings.append(Problem(str(path), None, "conflicts file not found: check skipped", "warning"))
    else:
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                q = (row.get("query") or "").strip()
                if not q:
                    continue
                ids = kb.matcher.exact.get(normalize(q), [])
                if not ids:
                    P(
                        Problem(
                            path.name,
                            q,
                            "conflict item is not a name/alias of any item (needs a Wuxi decision and a note)",
                        )
                    )
                elif len(ids) > 1:
                    names = ", ".join(kb.items[i].name for i in ids)
                    P(Problem(path.name, q, f"conflict item matches several items: {names}"))
                else:
                    item = kb.items[ids[0]]
                    if item.note is None:
                        P(Problem(item.source, item.name, f"conflict item '{q}' needs a note (Wuxi decision)"))
    return res


def lint(
    kb: KnowledgeBase | None = None,
    data_dir: str | Path | None = None,
    conflicts_path: str | Path | None = None,
    cards_path: str | Path | None = None,
) -> list[Problem]:
    """Problems found (load errors included); an empty list means the data is clean."""
    return run_lint(kb, data_dir, conflicts_path, cards_path).problems
