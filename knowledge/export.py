"""Writing runtime curation (aliases and items added through the bot) back to YAML files.

The files land in `data/curated/` so that curators review them in git like any data file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .kb import CURATED_ALIASES, CURATED_DIR, CURATED_ITEMS, parse_groups
from .normalize import normalize
from .schema import KbError


def _dump(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("# Written by `kb export` (runtime curation). Review before merging.\n")
        yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False, width=120)
    tmp.replace(path)


def _load(path: Path) -> Any:
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def write_curated(
    data_dir: str | Path, aliases: dict[str, list[str]] | None = None, items: list[dict[str, Any]] | None = None
) -> list[Path]:
    """Merge new aliases and items into data_dir/curated/{aliases,items}.yaml.

    Aliases are appended to the item's list (duplicates after normalisation skipped);
    an item whose name already is in items.yaml replaces the old entry. Items are
    validated first (KbError if invalid). Returns the files written.
    """
    cur = Path(data_dir) / CURATED_DIR
    written: list[Path] = []
    if aliases:
        path = cur / CURATED_ALIASES
        existing = _load(path) or {}
        if not isinstance(existing, dict):
            raise KbError(f"{path}: expected a mapping")
        for name, new in aliases.items():
            if isinstance(new, str):
                new = [new]
            lst = [str(a) for a in (existing.get(name) or [])]
            keys = {normalize(a) for a in lst}
            for a in new:
                a = str(a).strip()
                if a and normalize(a) not in keys:
                    lst.append(a)
                    keys.add(normalize(a))
            existing[name] = lst
        _dump(existing, path)
        written.append(path)
    if items:
        _, problems = parse_groups([{"items": list(items)}], "<export>")
        if problems:
            raise KbError("invalid curated items: " + "; ".join(str(p) for p in problems))
        path = cur / CURATED_ITEMS
        existing = _load(path) or []
        if not isinstance(existing, list):
            raise KbError(f"{path}: expected a list of groups")
        if not existing or not isinstance(existing[-1], dict) or set(existing[-1]) != {"items"}:
            existing.append({"items": []})
        group = existing[-1]
        by_key = {}
        for g in existing:
            for i, it in enumerate(g.get("items") or []):
                if isinstance(it, dict) and "name" in it:
                    by_key[normalize(str(it["name"]))] = (g, i)
        for it in items:
            it = {k: v for k, v in it.items() if v not in (None, [], {})}
            key = normalize(str(it["name"]))
            if key in by_key:
                g, i = by_key[key]
                g["items"][i] = it
            else:
                group["items"].append(it)
                by_key[key] = (group, len(group["items"]) - 1)
        _dump(existing, path)
        written.append(path)
    return written
