"""Loading the YAML knowledge base and the runtime `KnowledgeBase` object."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import kb_cache
from .matcher import Matcher
from .normalize import en_key, has_cjk, is_latin_text, normalize
from .schema import Item, KbError, RawGroup, RawItem
from .verdicts import SearchHit, Verdict

try:  # libyaml is much faster on 3,000 items
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = PACKAGE_DIR / "data"
CURATED_DIR = "curated"
CURATED_ALIASES = "aliases.yaml"
CURATED_ITEMS = "items.yaml"


@dataclass
class Problem:
    """One finding of the loader or of lint."""

    file: str
    item: str | None
    message: str
    kind: str = "error"  # error | warning

    def __str__(self) -> str:
        where = self.file or "-"
        if self.item:
            where += f" [{self.item}]"
        return f"{where}: {self.message}"


def _fmt_validation(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        locs = [str(x) for x in err.get("loc", ())]
        loc = ".".join(locs)
        msg = str(err.get("msg"))
        if err.get("type") == "extra_forbidden" and locs:
            field = locs[-1]
            msg = f"unknown field '{field}'"
            if len(locs) >= 2 and locs[-2] in ("tip", "note", "label") and " " in field:
                msg += " (unquoted comma inside a {zh, en} flow mapping? quote the text)"
            loc = ".".join(locs[:-1])
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


# "有害垃圾有哪些", "什么是可回收物", "大件垃圾怎么处理", "what goes in the food waste bin"
_CARD_PREFIX_RE = re.compile(
    r"^(?:请问|问一下|问下|什么是|啥是|什么叫|哪些是|哪些属于|哪些东西是|哪些东西属于|什么东西是|什么属于|"
    r"what is|what are|what goes in|what goes into|what belongs in|what is in|explain|tell me about)\s*(?:the |a )?"
)
_CARD_SUFFIX_RE = re.compile(
    r"\s*(?:是什么|是啥|有哪些|有什么|包括哪些|包括什么|包含哪些|包含什么|都有什么|都有哪些|都包括什么|指什么|"
    r"指的是什么|是指什么|怎么处理|怎么扔|怎么投放|怎么办|如何处理|如何投放|放哪里|扔哪里|扔到哪|去哪扔|"
    r"投放点在哪|投放点在哪里|在哪里投放|在哪投放|在哪|的定义|的标准|呢|吗|啊|bin)$"
)

VERDICT_CACHE_SIZE = 4096


class KnowledgeBase:
    """Items, cards and indexes. Build it with `load_kb()`."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self.matcher = Matcher()
        self.cards: dict[str, dict[str, Any]] = {}
        self.cards_file: Path | None = None
        self.problems: list[Problem] = []  # load errors (lint fails on them)
        self.warnings: list[Problem] = []
        self.files: list[Path] = []
        self._owner: dict[str, int] = {}  # normalised zh name/alias -> item id (uniqueness)
        self._en_owner: dict[str, int] = {}
        # Answers to questions already asked, until the items change (a city asks the same few
        # hundred things all day). Verdicts are shared: callers read them, never change them.
        self._verdicts: dict[str, Verdict] = {}
        self._card_index: tuple[dict[str, dict[str, Any]], dict[str, str]] | None = None
        self.loaded_from = "built"  # or "cache" (load_kb with a cache_dir)

    # -- read access --
    @property
    def items(self) -> list[Item]:
        return self.matcher.items

    def __len__(self) -> int:
        return len(self.matcher.items)

    def get(self, name: str) -> Item | None:
        """Item by canonical name, alias or English name (normalised)."""
        ids = self.matcher.lookup(normalize(name))
        return self.matcher.items[ids[0]] if ids else None

    def classify(self, query: str) -> Verdict:
        verdict = self._verdicts.get(query)
        if verdict is None:
            verdict = self.matcher.classify(query)
            if len(self._verdicts) >= VERDICT_CACHE_SIZE:
                del self._verdicts[next(iter(self._verdicts))]  # the oldest question
            self._verdicts[query] = verdict
        return verdict

    def _changed(self) -> None:
        """Items or forms changed: answers given before may be wrong now."""
        self._verdicts.clear()

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        return self.matcher.search(query, limit)

    def card_for(self, query: str) -> str | None:
        """The category or stream a question asks about as such ("有害垃圾有哪些", "什么是大件垃圾",
        "what is food waste"), by card name or alias; None for anything else."""
        key = normalize(query)
        for _ in range(3):
            stripped = _CARD_SUFFIX_RE.sub("", _CARD_PREFIX_RE.sub("", key)).strip()
            if stripped == key:
                break
            key = stripped
        if not key:
            return None
        return self._card_names().get(key)

    def _card_names(self) -> dict[str, str]:
        """Normalised card name or alias -> card key (the first card claiming it), built once per
        ``cards`` dict."""
        if self._card_index is None or self._card_index[0] is not self.cards:
            index: dict[str, str] = {}
            for card_key, card in self.cards.items():
                for name in [*(card.get("name") or {}).values(), *(card.get("aliases") or [])]:
                    if name:
                        index.setdefault(normalize(str(name)), card_key)
            self._card_index = (self.cards, index)
        return self._card_index[1]

    # -- building --
    def _claims(self, item: Item) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(zh keys, en keys) as (key, surface form)."""
        zh = []
        for form in [item.name, *item.aliases]:
            k = normalize(form)
            if k:
                zh.append((k, form))
                if is_latin_text(k):
                    zh.append((en_key(form), form))
        en = [(en_key(f), f) for f in item.en if en_key(f)]
        return zh, en

    def _clashes(self, item: Item, skip_self: int | None = None) -> list[str]:
        zh, _ = self._claims(item)
        out = []
        for k, form in zh:
            owner = self._owner.get(k)
            if owner is not None and owner != skip_self:
                other = self.items[owner]
                out.append(f"'{form}' is already a name/alias of '{other.name}' ({other.source})")
        return out

    def _register(self, item: Item, *, strict: bool) -> int | None:
        """Index an item. strict: raise KbError on clashes; else record and drop the clashing forms."""
        clashes = self._clashes(item)
        if clashes and strict:
            raise KbError(f"item '{item.name}': " + "; ".join(clashes))
        name_key = normalize(item.name)
        if name_key in self._owner:
            other = self.items[self._owner[name_key]]
            self.problems.append(
                Problem(
                    item.source,
                    item.name,
                    f"duplicate name: already an item or alias of '{other.name}' ({other.source})",
                )
            )
            return None
        if clashes:
            for c in clashes:
                self.problems.append(Problem(item.source, item.name, f"duplicate alias: {c}"))
            keep = []
            for a in item.aliases:
                k = normalize(a)
                if k and k not in self._owner and k != name_key:
                    keep.append(a)
            item = item.model_copy(update={"aliases": keep})
        # drop exact repeats inside the item itself
        seen: set[str] = {name_key}
        aliases = []
        for a in item.aliases:
            k = normalize(a)
            if k and k not in seen:
                seen.add(k)
                aliases.append(a)
        if aliases != item.aliases:
            item = item.model_copy(update={"aliases": aliases})
        _, en = self._claims(item)
        iid = self.matcher.add(item)
        self._changed()
        zh, _ = self._claims(item)
        for k, _f in zh:
            self._owner.setdefault(k, iid)
        for k, f in en:
            if k in self._en_owner and self._en_owner[k] != iid:
                other = self.items[self._en_owner[k]]
                self.warnings.append(
                    Problem(item.source, item.name, f"English name '{f}' shared with '{other.name}'", "warning")
                )
            else:
                self._en_owner.setdefault(k, iid)
        return iid

    # -- runtime curation --
    def add_alias(self, item_name: str, alias: str) -> Item:
        """Add an alias to an existing item, effective at once. Raises KbError on a clash."""
        iid = self.matcher.name_key.get(normalize(item_name))
        if iid is None:
            raise KbError(f"no item named '{item_name}'")
        alias = (alias or "").strip()
        key = normalize(alias)
        if not key:
            raise KbError("empty alias")
        owner = self._owner.get(key)
        if owner is not None:
            if owner == iid:
                return self.items[iid]  # already known: nothing to do
            other = self.items[owner]
            raise KbError(f"'{alias}' is already a name/alias of '{other.name}'")
        item = self.items[iid]
        english = not has_cjk(key)
        if english and key in self._en_owner and self._en_owner[key] != iid:
            other = self.items[self._en_owner[key]]
            raise KbError(f"'{alias}' is already an English name of '{other.name}'")
        if english:
            item.en.append(alias)
            self._en_owner[en_key(alias)] = iid
        else:
            item.aliases.append(alias)
            self._owner[key] = iid
            if is_latin_text(key):
                self._owner.setdefault(en_key(alias), iid)
        self.matcher.add_form(iid, alias, english=english)
        self._changed()
        return item

    def add_item(self, item: dict[str, Any] | Item) -> Item:
        """Add a new item (DATA.md item fields, category and tip required), effective at once."""
        if isinstance(item, Item):
            resolved = item
        else:
            try:
                raw = RawItem.model_validate(item)
            except ValidationError as e:
                raise KbError(f"invalid item: {_fmt_validation(e)}") from e
            if raw.category is None:
                raise KbError(f"item '{raw.name}': category is required")
            if raw.tip is None or not raw.tip.zh or not raw.tip.en:
                raise KbError(f"item '{raw.name}': tip with zh and en is required")
            resolved = Item(**raw.model_dump(exclude_none=False), source="<runtime>")
        if normalize(resolved.name) in self._owner:
            other = self.items[self._owner[normalize(resolved.name)]]
            raise KbError(f"'{resolved.name}' is already a name/alias of '{other.name}'")
        iid = self._register(resolved, strict=True)
        assert iid is not None
        return self.items[iid]


# --- loading -----------------------------------------------------------------------------


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, base: Path, problems: list[Problem]) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problems.append(Problem(_rel(path, base), None, f"invalid YAML{where}: {getattr(e, 'problem', None) or e}"))
    except (OSError, UnicodeDecodeError) as e:
        problems.append(Problem(_rel(path, base), None, f"cannot read: {e}"))
    return None


def _salvage(idata: Any, e: ValidationError) -> RawItem | None:
    """Drop the broken parts of an item (bad conditions, extra keys in texts) and retry."""
    if not isinstance(idata, dict):
        return None
    data = dict(idata)
    bad_conds: set[int] = set()
    for err in e.errors():
        loc = err.get("loc", ())
        if len(loc) >= 2 and loc[0] == "conditions" and isinstance(loc[1], int):
            bad_conds.add(loc[1])
        elif loc and loc[0] in ("tip", "note") and isinstance(data.get(loc[0]), dict):
            data[loc[0]] = {k: v for k, v in data[loc[0]].items() if k in ("zh", "en")}
    if bad_conds and isinstance(data.get("conditions"), list):
        data["conditions"] = [c for i, c in enumerate(data["conditions"]) if i not in bad_conds]
    try:
        return RawItem.model_validate(data)
    except ValidationError:
        return None


def parse_groups(data: Any, source: str) -> tuple[list[Item], list[Problem]]:
    """Validate a list of groups and resolve group -> item inheritance."""
    items: list[Item] = []
    problems: list[Problem] = []
    if data is None:
        return items, problems
    if not isinstance(data, list):
        return items, [Problem(source, None, "top level must be a list of groups")]
    for gi, gdata in enumerate(data, 1):
        if not isinstance(gdata, dict):
            problems.append(Problem(source, None, f"group #{gi}: must be a mapping"))
            continue
        try:
            group = RawGroup.model_validate(gdata)
        except ValidationError as e:
            problems.append(Problem(source, None, f"group #{gi}: {_fmt_validation(e)}"))
            continue
        for ii, idata in enumerate(group.items, 1):
            label = idata.get("name") if isinstance(idata, dict) else None
            label = str(label) if label is not None else f"group #{gi} item #{ii}"
            raw: RawItem | None
            try:
                raw = RawItem.model_validate(idata)
            except ValidationError as e:
                problems.append(Problem(source, label, _fmt_validation(e)))
                raw = _salvage(idata, e)  # keep the item usable at runtime; lint still fails
                if raw is None:
                    continue
            category = raw.category or group.category
            if category is None:
                problems.append(Problem(source, raw.name, "no category (item or group)"))
                continue
            items.append(
                Item(
                    name=raw.name,
                    aliases=list(raw.aliases),
                    en=[e.lower() for e in raw.en],
                    category=category,
                    stream=raw.stream or group.stream,
                    tip=raw.tip or group.tip,
                    note=raw.note or group.note,
                    note_source=raw.note_source or group.note_source,
                    conditions=[*raw.conditions, *(c for c in group.conditions if c.category != category)],
                    source=source,
                )
            )
    return items, problems


def _parse_cards(data: Any, source: str, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """cards.yaml: a mapping key -> card (optionally nested under categories:/streams:),
    or a list of cards each carrying `key`, `id`, `category` or `stream`."""
    cards: dict[str, dict[str, Any]] = {}
    if data is None:
        return cards
    if isinstance(data, dict):
        for k, v in data.items():
            if k in ("categories", "streams") and isinstance(v, dict):
                for k2, v2 in v.items():
                    cards[str(k2)] = v2 if isinstance(v2, dict) else {"value": v2}
            elif k in ("categories", "streams") and isinstance(v, list):
                cards.update(_parse_cards(v, source, problems))
            else:
                cards[str(k)] = v if isinstance(v, dict) else {"value": v}
    elif isinstance(data, list):
        for i, c in enumerate(data, 1):
            if not isinstance(c, dict):
                problems.append(Problem(source, None, f"card #{i}: must be a mapping"))
                continue
            key = c.get("key") or c.get("id") or c.get("stream") or c.get("category")
            if not key:
                problems.append(Problem(source, None, f"card #{i}: no key/id/category/stream"))
                continue
            cards[str(key)] = c
    else:
        problems.append(Problem(source, None, "cards file must be a mapping or a list"))
    return cards


def load_kb(
    data_dir: str | Path | None = None,
    cards_path: str | Path | None = None,
    *,
    strict: bool = False,
    cache_dir: str | Path | None = None,
) -> KnowledgeBase:
    """Load every YAML file under data_dir (default: the package's data/) and cards.yaml.

    Invalid files/items are skipped and recorded in `kb.problems` (lint reports them);
    with strict=True a KbError listing them is raised instead. With ``cache_dir``, the built
    knowledge base is read from there when its sources are unchanged, else built and stored there
    (kb_cache.py); ``kb.loaded_from`` says which ("cache" or "built").
    """
    base = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    base = base.resolve()
    cards_file = Path(cards_path) if cards_path is not None else base.parent / "cards.yaml"
    if cache_dir is None:
        kb = _build(base, cards_file)
    else:
        key = kb_cache.cache_key(base, cards_file.resolve())
        cached = kb_cache.read(Path(cache_dir), key)
        if cached is None:
            kb = _build(base, cards_file)
            kb.matcher.typos.refresh()  # stored ready: questions need no pinyin of known forms
            kb_cache.write(Path(cache_dir), key, kb)
        else:
            kb = cached
            kb.loaded_from = "cache"
    if strict and kb.problems:
        raise KbError("knowledge base has errors:\n" + "\n".join(str(p) for p in kb.problems))
    return kb


def _build(base: Path, cards_file: Path) -> KnowledgeBase:
    kb = KnowledgeBase(base)
    if not base.is_dir():
        kb.problems.append(Problem(str(base), None, "data directory not found"))
    curated = base / CURATED_DIR
    files = sorted(p for p in base.rglob("*.y*ml") if p.suffix in (".yaml", ".yml")) if base.is_dir() else []
    cur_items = curated / CURATED_ITEMS
    cur_aliases = curated / CURATED_ALIASES
    files = [p for p in files if p not in (cur_items, cur_aliases)]
    if cur_items.exists():
        files.append(cur_items)
    kb.matcher.begin_bulk()
    try:
        _load_files(kb, base, files)
    finally:
        kb.matcher.end_bulk()
    _load_aliases(kb, base, cur_aliases)
    if cards_file.exists():
        kb.cards_file = cards_file
        data = _read_yaml(cards_file, base, kb.problems)
        kb.cards = _parse_cards(data, _rel(cards_file, base), kb.problems)
    return kb


def _load_files(kb: KnowledgeBase, base: Path, files: list[Path]) -> None:
    for path in files:
        kb.files.append(path)
        rel = _rel(path, base)
        data = _read_yaml(path, base, kb.problems)
        items, probs = parse_groups(data, rel)
        kb.problems.extend(probs)
        for item in items:
            kb._register(item, strict=False)


def _load_aliases(kb: KnowledgeBase, base: Path, cur_aliases: Path) -> None:
    """data/curated/aliases.yaml: canonical item name -> extra aliases."""
    if not cur_aliases.exists():
        return
    kb.files.append(cur_aliases)
    rel = _rel(cur_aliases, base)
    data = _read_yaml(cur_aliases, base, kb.problems)
    if data is not None and not isinstance(data, dict):
        kb.problems.append(Problem(rel, None, "must be a mapping: canonical item name -> list of aliases"))
        return
    for name, aliases in (data or {}).items():
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list):
            kb.problems.append(Problem(rel, str(name), "aliases must be a list"))
            continue
        for a in aliases:
            try:
                kb.add_alias(str(name), str(a))
            except KbError as e:
                kb.problems.append(Problem(rel, str(name), str(e)))
