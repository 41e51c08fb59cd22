"""Counts over the knowledge base (`kb stats`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .kb import KnowledgeBase
from .schema import Category


def stats(kb: KnowledgeBase) -> dict[str, Any]:
    items = kb.items
    n = len(items)
    forms = sum(1 + len(i.aliases) + len(i.en) for i in items)
    by_cat = Counter(i.category.value for i in items)
    by_stream = Counter(i.stream.value for i in items if i.stream)
    return {
        "items": n,
        "surface_forms": forms,
        "index_keys": len(kb.matcher.exact),
        "pinyin_keys": len(kb.matcher.pinyin),
        "forms_per_item": round(forms / n, 2) if n else 0.0,
        "items_with_en": sum(1 for i in items if i.en),
        "by_category": {c.value: by_cat.get(c.value, 0) for c in Category},
        "by_stream": dict(sorted(by_stream.items())),
        "items_with_conditions": sum(1 for i in items if i.conditions),
        "items_with_notes": sum(1 for i in items if i.note),
        "files": len(kb.files),
        "cards": len(kb.cards),
        "load_errors": len(kb.problems),
    }


def format_stats(s: dict[str, Any]) -> str:
    lines = []
    for k, v in s.items():
        if isinstance(v, dict):
            lines.append(f"{k}:")
            for k2, v2 in v.items():
                lines.append(f"  {k2:<22} {v2}")
        else:
            lines.append(f"{k:<24} {v}")
    return "\n".join(lines)
