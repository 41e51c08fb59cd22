"""Sorting answers rendered as compact cards, in the reader's language."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from html import escape
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from knowledge import KnowledgeBase, Verdict
from knowledge.normalize import has_cjk, is_chitchat, normalize

CATEGORIES = ("recyclable", "hazardous", "food", "residual")


class SortCb(CallbackData, prefix="srt"):
    action: str  # i: show item, w: wrong answer, c: expected category
    ref: str


def item_ref(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:10]


class ItemRefs:
    """Short references to items for callback data (names can exceed Telegram's 64 bytes)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._by_ref: dict[str, str] = {}
        self._size = -1

    def resolve(self, ref: str) -> str | None:
        if self._size != len(self.kb):
            self._by_ref = {item_ref(item.name): item.name for item in self.kb.items}
            self._size = len(self.kb)
        return self._by_ref.get(ref)


def _text(pair, locale: str) -> str:
    if not pair:
        return ""
    if isinstance(pair, dict):
        return pair.get(locale) or pair.get("zh") or ""
    return getattr(pair, locale, None) or getattr(pair, "zh", None) or ""


def category_line(kb: KnowledgeBase, category: str, locale: str) -> str:
    card = kb.cards.get(category, {})
    name = _text(card.get("name"), locale) or category
    colour = _text(card.get("bin"), locale)
    emoji = card.get("emoji", "")
    return f"{emoji} <b>{escape(name)}</b>" + (f" · {escape(colour)}" if colour else "")


def stream_card(kb: KnowledgeBase, key: str, locale: str) -> str:
    """A category's or special stream's own card: what belongs, how to put it out, where."""
    card = kb.cards.get(key, {})
    lines = [category_line(kb, key, locale)]
    for icon, field in (("📦", "belongs"), ("💡", "how"), ("📍", "where")):
        text = _text(card.get(field), locale)
        if text:
            lines.append(f"{icon} {escape(text)}")
    lines.append(_("<i>Send me any item to know its bin.</i>"))
    return "\n".join(lines)


def category_name(kb: KnowledgeBase, category: str, locale: str) -> str:
    return _text(kb.cards.get(category, {}).get("name"), locale) or category


def plain_name(kb: KnowledgeBase, name: str, locale: str) -> str:
    item = kb.get(name)
    if locale == "en" and item is not None and item.en:
        return f"{item.en[0]} ({name})"
    return name


def display_name(kb: KnowledgeBase, name: str, locale: str) -> str:
    return escape(plain_name(kb, name, locale))


# A card's text and its alternatives' buttons, remembered per verdict: the knowledge base hands out
# the same Verdict object for the same question (until it changes, when it makes new ones), so the
# same answer is not rendered again for every person who asks (issue 16). Each entry keeps its
# verdict alive, so an id here cannot be reused by another verdict while the entry stands.
_RENDERED: dict[tuple[int, str, str], tuple[Verdict, Any]] = {}
_RENDERED_MAX = 4096


def _remembered(kind: str, verdict: Verdict, locale: str, render: Callable[[], Any]) -> Any:
    key = (id(verdict), locale, kind)
    hit = _RENDERED.get(key)
    if hit is not None and hit[0] is verdict:
        return hit[1]
    value = render()
    if len(_RENDERED) >= _RENDERED_MAX:
        _RENDERED.clear()
    _RENDERED[key] = (verdict, value)
    return value


def card(kb: KnowledgeBase, verdict: Verdict, locale: str) -> str:
    """The answer for one recognised item."""
    return _remembered("card", verdict, locale, lambda: _card(kb, verdict, locale))


def _card(kb: KnowledgeBase, verdict: Verdict, locale: str) -> str:
    title = display_name(kb, verdict.item, locale)
    if verdict.condition:
        title += f" · {escape(_text(verdict.condition, locale))}"
    lines = [f"<b>{title}</b>", category_line(kb, verdict.category, locale)]
    tip = _text(verdict.tip, locale)
    if tip:
        lines.append(f"💡 {escape(tip)}")
    if verdict.stream:
        stream = kb.cards.get(verdict.stream, {})
        where = _text(stream.get("where"), locale) or _text(stream.get("how"), locale)
        name = _text(stream.get("name"), locale) or verdict.stream
        lines.append(f"🚚 <b>{escape(name)}</b>" + (f": {escape(where)}" if where else ""))
    note = _text(verdict.note, locale)
    if note:
        lines.append(f"📌 {escape(note)}")
    item = kb.get(verdict.item)
    if item is not None and item.conditions and not verdict.condition:
        by_bin: dict[str, list[str]] = {}  # only states that change the bin, one line per bin
        for c in item.conditions:
            label = _text(c.label, locale) if c.label else ""
            if label and c.category.value != verdict.category and label not in by_bin.get(c.category.value, []):
                by_bin.setdefault(c.category.value, []).append(label)
        sep = "；" if locale == "zh" else "; "
        depends = [
            f"• {escape(sep.join(labels))} → {escape(category_name(kb, cat, locale))}" for cat, labels in by_bin.items()
        ]
        if depends:
            lines.append(_("⚖️ It depends:") + "\n" + "\n".join(depends))
    asked = asked_line(kb, verdict, locale)
    if asked:
        lines.insert(2, asked)
    if verdict.corrected:  # a typo read as a known word: say which, so a wrong reading is obvious
        lines.append(_("<i>Answered as “{name}”.</i>").format(name=escape(verdict.corrected)))
    elif verdict.is_correction:  # a guess at what was meant; other answers name what was asked
        lines.append(_("<i>Closest match for “{query}”.</i>").format(query=escape(verdict.query)))
    return "\n".join(lines)


def asked_line(kb: KnowledgeBase, verdict: Verdict, locale: str) -> str | None:
    """The answer to "is it X?" / "X or Y?" when the question named bins."""
    asked, cat = verdict.asked, verdict.category
    if not asked or not cat:
        return None
    hit = next((a for a in asked if a == cat or (a == "not_recyclable" and cat != "recyclable")), None)
    name = escape(category_name(kb, cat, locale))
    if len(asked) == 1:
        return _("✅ Yes: {bin}.").format(bin=name) if hit else _("❌ No: it is {bin}.").format(bin=name)
    if hit:
        return _("✅ Of the two you named: {bin}.").format(bin=name)
    return _("❌ Neither of the two you named: it is {bin}.").format(bin=name)


def close_category(kb: KnowledgeBase, verdict: Verdict, locale: str) -> str:
    """No item of that name, but every close one goes in the same bin: say the bin, honestly."""
    names = "、".join(display_name(kb, alt["item"], locale) for alt in verdict.alternatives[:3])
    return "\n".join(
        [
            _("🤔 I don't know “{query}” itself, but the closest items ({items}) all go in:").format(
                query=escape(verdict.query), items=names
            ),
            category_line(kb, verdict.category, locale),
            _("<i>Tap the one you mean for its disposal tip.</i>"),
        ]
    )


def card_keyboard(verdict: Verdict, log_id: int | None, locale: str) -> InlineKeyboardMarkup:
    # Built directly, one button a row: InlineKeyboardBuilder deep-copies its buttons three times,
    # a quarter of a sorting answer's time (issue 16, bench/updates.py). The alternatives' rows
    # are the same for every asker of a question in a language: remembered with the card.
    # The "wrong answer?" button differs only in its question's id: copied from one made per
    # language (a copy skips pydantic's validation of values that are already valid).
    rows = list(_remembered("alternatives", verdict, locale, lambda: _alternative_rows(verdict)))
    if log_id is not None:
        wrong = _WRONG.get(locale)
        if wrong is None:
            wrong = _WRONG[locale] = InlineKeyboardButton(text=_("❓ Wrong answer?"), callback_data="-")
        rows.append([wrong.model_copy(update={"callback_data": _WRONG_DATA + str(log_id)})])
    return _EMPTY_MARKUP.model_copy(update={"inline_keyboard": rows})


_WRONG: dict[str, InlineKeyboardButton] = {}
_WRONG_DATA = SortCb(action="w", ref="").pack()  # + the id: what SortCb(action="w", ref=id).pack() gives
_EMPTY_MARKUP = InlineKeyboardMarkup(inline_keyboard=[])


def _alternative_rows(verdict: Verdict) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                text=_("Or: {item}").format(item=alt["item"]) if verdict.item else alt["item"],
                callback_data=SortCb(action="i", ref=item_ref(alt["item"])).pack(),
            )
        ]
        for alt in verdict.alternatives[:3]
    ]


def _suggestion_label(kb: KnowledgeBase, query: str, name: str) -> str:
    """The item's name, or "alias（name）" when only one of its aliases looks like the question
    (鸡粪 -> 鸡精（味精）): a suggestion should show why it was made."""
    chars = {c for c in normalize(query) if has_cjk(c)}
    item = kb.get(name)
    if not chars or chars & set(name) or item is None:
        return name
    best = max(item.aliases, key=lambda a: len(chars & set(a)), default="")
    return f"{best}（{name}）" if best and chars & set(best) else name


def did_you_mean(verdict: Verdict, kb: KnowledgeBase | None = None) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for alt in verdict.alternatives[:3]:
        label = _suggestion_label(kb, verdict.query, alt["item"]) if kb is not None else alt["item"]
        builder.button(text=label, callback_data=SortCb(action="i", ref=item_ref(alt["item"])))
    builder.adjust(1)
    text = _("🤔 Did you mean one of these for “{query}”?").format(query=escape(verdict.query))
    return text, builder.as_markup()


def unknown(query: str) -> str:
    if is_chitchat(query):  # small talk is not an item: a hint, not "I don't know this item"
        return _(
            "👋 Hello! Send me the name of an item, e.g. <i>battery</i> or <i>外卖盒</i>, "
            "and I tell you which bin it goes in."
        )
    return _(
        "🙇 I don't know “{query}” yet, so I won't guess. I have noted it for our curators.\n"
        "Try a simpler name (e.g. <i>plastic bottle</i> instead of a brand), or see /help."
    ).format(query=escape(query[:100]))


def feedback_keyboard(log_id: int, kb: KnowledgeBase, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, category in enumerate(CATEGORIES):
        card_ = kb.cards.get(category, {})
        emoji = card_.get("emoji", "").split()[0] if card_.get("emoji") else ""
        builder.button(
            text=f"{emoji} {category_name(kb, category, locale)}",
            callback_data=SortCb(action="c", ref=f"{log_id}.{index}"),
        )
    builder.button(text=_("Not sure"), callback_data=SortCb(action="c", ref=f"{log_id}.x"))
    builder.adjust(2, 2, 1)
    return builder.as_markup()
