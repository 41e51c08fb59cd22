"""Callback data and inline keyboards of the campaigns feature (subscriptions, cells, campaigns).

Callback data is never trusted: handlers re-check roles (router filters), states and ids.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.views.campaigns import EVERYTHING, kind_name, weekday_names
from campaigns.cells import CellInfo
from campaigns.models import CampaignStatus, CellKind
from core.units import all_units

CELLS_PER_PAGE = 20


class SubCb(CallbackData, prefix="sb"):
    """Residents' subscriptions. a: menu, k (kind), units, u (unit), places, pu (places of a unit),
    c (cell), all, list, rm (remove ``target.value``)."""

    a: str
    v: str = ""


class CellCb(CallbackData, prefix="ce"):
    """Staff: cells. a: page, new, open, name, addr, noaddr, kind, setkind, unit, setunit, retire,
    restore, link, qr, nk (new cell's kind), nu (new cell's unit), skip (no address)."""

    a: str
    id: int = 0
    v: str = ""


class AudCb(CallbackData, prefix="au"):
    """Staff: a campaign's audience. a: all, k, units, u, places, pu, c, back, next."""

    a: str
    v: str = ""


class TimeCb(CallbackData, prefix="tm"):
    """Staff: timing. a: now, at, daily, weekly, monthly, wd (toggle a weekday), wdok, noend."""

    a: str
    v: str = ""


class CampCb(CallbackData, prefix="cp"):
    """Staff: campaigns. a: skipen, ok, drop, pause, resume, edit, etext, eten, etime, noen, cancel,
    cancelok, back."""

    a: str
    id: int = 0


def _mark(on: bool, text: str) -> str:
    return ("✅ " if on else "") + text


def _back(builder: InlineKeyboardBuilder, data: CallbackData) -> None:
    builder.button(text=_("◀ Back"), callback_data=data)


# --- residents ---------------------------------------------------------------------------------


def subscribe_menu(kinds: set[str], everything: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in CellKind:
        builder.button(text=_mark(kind.value in kinds, kind_name(kind)), callback_data=SubCb(a="k", v=kind.value))
    builder.button(text=_("📍 A town or street"), callback_data=SubCb(a="units"))
    builder.button(text=_("📌 A specific place"), callback_data=SubCb(a="places"))
    builder.button(text=_mark(everything, _(EVERYTHING)), callback_data=SubCb(a="all"))
    builder.button(text=_("📋 My subscriptions"), callback_data=SubCb(a="list"))
    builder.adjust(2, 2, 1, 1, 1, 1)
    return builder.as_markup()


def units_keyboard(selected: Iterable[str], make, back, counts: dict[str, int] | None = None) -> InlineKeyboardMarkup:
    """The 18 units; ``make(code)`` builds the callback data of one, ``back`` the back button's."""
    selected = set(selected)
    builder = InlineKeyboardBuilder()
    for unit in all_units():
        label = unit.name
        if counts is not None:
            label += f" ({counts.get(unit.code, 0)})"
        builder.button(text=_mark(unit.code in selected, label), callback_data=make(unit.code))
    _back(builder, back)
    builder.adjust(*([3] * 6), 1)
    return builder.as_markup()


def cells_keyboard(cells: list[CellInfo], selected: Iterable[int], make, back) -> InlineKeyboardMarkup:
    selected = set(selected)
    builder = InlineKeyboardBuilder()
    for cell in cells:
        builder.button(text=_mark(cell.id in selected, cell.name), callback_data=make(cell.id))
    _back(builder, back)
    builder.adjust(*([1] * len(cells)), 1)
    return builder.as_markup()


def removal_keyboard(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """``items``: (plain label, "target.value")."""
    builder = InlineKeyboardBuilder()
    for label, ref in items:
        builder.button(text="❌ " + label, callback_data=SubCb(a="rm", v=ref))
    builder.button(text=_("➕ Add"), callback_data=SubCb(a="menu"))
    builder.adjust(1)
    return builder.as_markup()


# --- staff: cells ------------------------------------------------------------------------------


def cells_list_keyboard(cells: list[CellInfo], page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ New place"), callback_data=CellCb(a="new"))
    for cell in cells:
        builder.button(text=("🗄 " if cell.retired else "") + f"#{cell.id} {cell.name}", callback_data=CellCb(a="open", id=cell.id))
    nav = []
    if page > 0:
        builder.button(text="◀", callback_data=CellCb(a="page", id=page - 1))
        nav.append(1)
    if page + 1 < pages:
        builder.button(text="▶", callback_data=CellCb(a="page", id=page + 1))
        nav.append(1)
    builder.adjust(*([1] * (len(cells) + 1)), max(1, len(nav)))
    return builder.as_markup()


def cell_card_keyboard(cell: CellInfo) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔳 QR code"), callback_data=CellCb(a="qr", id=cell.id))
    builder.button(text=_("🔗 Link"), callback_data=CellCb(a="link", id=cell.id))
    builder.button(text=_("✏️ Name"), callback_data=CellCb(a="name", id=cell.id))
    builder.button(text=_("✏️ Address"), callback_data=CellCb(a="addr", id=cell.id))
    builder.button(text=_("✏️ Kind"), callback_data=CellCb(a="kind", id=cell.id))
    builder.button(text=_("✏️ Town/street"), callback_data=CellCb(a="unit", id=cell.id))
    if cell.retired:
        builder.button(text=_("♻️ Bring back"), callback_data=CellCb(a="restore", id=cell.id))
    else:
        builder.button(text=_("🗄 Retire"), callback_data=CellCb(a="retire", id=cell.id))
    builder.button(text=_("◀ All places"), callback_data=CellCb(a="page", id=0))
    builder.adjust(2, 2, 2, 1, 1)
    return builder.as_markup()


def kinds_keyboard(make, selected: Iterable[str] = ()) -> InlineKeyboardMarkup:
    selected = set(selected)
    builder = InlineKeyboardBuilder()
    for kind in CellKind:
        builder.button(text=_mark(kind.value in selected, kind_name(kind)), callback_data=make(kind.value))
    builder.adjust(2)
    return builder.as_markup()


def single_button(text: str, data: CallbackData) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=text, callback_data=data)
    return builder.as_markup()


# --- staff: campaigns --------------------------------------------------------------------------


def audience_keyboard(data: dict) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_mark(bool(data.get("everyone")), _("🌐 Every subscriber")), callback_data=AudCb(a="all"))
    kinds = set(data.get("kinds") or ())
    for kind in CellKind:
        builder.button(text=_mark(kind.value in kinds, kind_name(kind)), callback_data=AudCb(a="k", v=kind.value))
    units = len(data.get("units") or ())
    cells = len(data.get("cells") or ())
    builder.button(text=_("📍 Towns/streets ({n}) ▸").format(n=units), callback_data=AudCb(a="units"))
    builder.button(text=_("📌 Places ({n}) ▸").format(n=cells), callback_data=AudCb(a="places"))
    builder.button(text=_("Next ▶"), callback_data=AudCb(a="next"))
    builder.adjust(1, 2, 2, 2, 1)
    return builder.as_markup()


def timing_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⚡ Now"), callback_data=TimeCb(a="now"))
    builder.button(text=_("📅 At a date and time"), callback_data=TimeCb(a="at"))
    builder.button(text=_("🔁 Every day"), callback_data=TimeCb(a="daily"))
    builder.button(text=_("🔁 Every week"), callback_data=TimeCb(a="weekly"))
    builder.button(text=_("🔁 Every month"), callback_data=TimeCb(a="monthly"))
    builder.adjust(1, 1, 3)
    return builder.as_markup()


def weekdays_keyboard(selected: Iterable[int], locale: str) -> InlineKeyboardMarkup:
    selected = set(selected)
    names = weekday_names(locale)
    builder = InlineKeyboardBuilder()
    for day in range(7):
        builder.button(text=_mark(day in selected, names[day]), callback_data=TimeCb(a="wd", v=str(day)))
    builder.button(text=_("Done ▶"), callback_data=TimeCb(a="wdok"))
    builder.adjust(4, 3, 1)
    return builder.as_markup()


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Schedule it"), callback_data=CampCb(a="ok"))
    builder.button(text=_("✖ Discard"), callback_data=CampCb(a="drop"))
    builder.adjust(2)
    return builder.as_markup()


def campaigns_list_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """``items``: (campaign id, short plain label)."""
    builder = InlineKeyboardBuilder()
    for campaign_id, label in items:
        builder.button(text=f"#{campaign_id} {label}", callback_data=CampCb(a="open", id=campaign_id))
    builder.adjust(1)
    return builder.as_markup()


def campaign_keyboard(campaign_id: int, status: CampaignStatus) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    actions = 0
    if status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        if status is CampaignStatus.ACTIVE:
            builder.button(text=_("⏸ Pause"), callback_data=CampCb(a="pause", id=campaign_id))
        else:
            builder.button(text=_("▶ Resume"), callback_data=CampCb(a="resume", id=campaign_id))
        builder.button(text=_("✏️ Edit"), callback_data=CampCb(a="edit", id=campaign_id))
        builder.button(text=_("✖ Cancel"), callback_data=CampCb(a="cancel", id=campaign_id))
        actions = 3
    builder.button(text=_("◀ All campaigns"), callback_data=CampCb(a="list"))
    builder.adjust(*([actions] if actions else []), 1)
    return builder.as_markup()


def campaign_edit_keyboard(campaign_id: int, has_en: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Chinese text"), callback_data=CampCb(a="etext", id=campaign_id))
    builder.button(text=_("✏️ English text"), callback_data=CampCb(a="eten", id=campaign_id))
    if has_en:
        builder.button(text=_("🗑 Remove English text"), callback_data=CampCb(a="noen", id=campaign_id))
    builder.button(text=_("🕒 Timing"), callback_data=CampCb(a="etime", id=campaign_id))
    builder.button(text=_("◀ Back"), callback_data=CampCb(a="back", id=campaign_id))
    builder.adjust(2, 1, 1, 1) if has_en else builder.adjust(2, 1, 1)
    return builder.as_markup()


def cancel_confirm_keyboard(campaign_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, cancel #{id}").format(id=campaign_id), callback_data=CampCb(a="cancelok", id=campaign_id))
    builder.button(text=_("No"), callback_data=CampCb(a="back", id=campaign_id))
    builder.adjust(2)
    return builder.as_markup()
