"""Inline keyboards of the campaigns feature (subscriptions, cells, campaigns); their callback
data is in ``bot.keyboards.campaign_callbacks``."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import current
from bot.keyboards.campaign_callbacks import (
    AnnAction,
    AnnCb,
    AudAction,
    AudCb,
    CampAction,
    CampCb,
    CellAction,
    CellCb,
    SubAction,
    SubCb,
    TimeAction,
    TimeCb,
)
from bot.views.campaigns import EVERYTHING, kind_name, weekday_names
from campaigns.cells import CellInfo
from campaigns.models import CampaignStatus, CellKind
from campaigns.subscriptions import SubscriptionInfo
from core.units import all_units

CELLS_PER_PAGE = 20


def _mark(on: bool, text: str) -> str:
    return ("✅ " if on else "") + text


def _back(builder: InlineKeyboardBuilder, data: CallbackData) -> None:
    builder.button(text=_("◀ Back"), callback_data=data)


# --- residents ---------------------------------------------------------------------------------


def subscribe_menu(kinds: set[str], everything: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in CellKind:
        builder.button(
            text=_mark(kind.value in kinds, kind_name(kind)),
            callback_data=SubCb(action=SubAction.KIND, value=kind.value),
        )
    builder.button(text=_("📍 A town or street"), callback_data=SubCb(action=SubAction.UNITS))
    builder.button(text=_("📌 A specific waste-free cell"), callback_data=SubCb(action=SubAction.PLACES))
    builder.button(text=_mark(everything, _(EVERYTHING)), callback_data=SubCb(action=SubAction.ALL))
    builder.button(text=_("📋 My subscriptions"), callback_data=SubCb(action=SubAction.LIST))
    builder.adjust(2, 2, 1, 1, 1, 1)
    return builder.as_markup()


def units_keyboard(selected: Iterable[str], make, back, counts: dict[str, int] | None = None) -> InlineKeyboardMarkup:
    """The 18 units; ``make(code)`` builds the callback data of one, ``back`` the back button's."""
    selected = set(selected)
    builder = InlineKeyboardBuilder()
    for unit in all_units():
        label = unit.label(current().current_locale)
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
        builder.button(text="❌ " + label, callback_data=SubCb(action=SubAction.REMOVE, value=ref))
    builder.button(text=_("➕ Add"), callback_data=SubCb(action=SubAction.MENU))
    builder.adjust(1)
    return builder.as_markup()


# --- staff: cells ------------------------------------------------------------------------------


def cells_list_keyboard(cells: list[CellInfo], page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ New waste-free cell"), callback_data=CellCb(action=CellAction.NEW))
    for cell in cells:
        builder.button(
            text=("🗄 " if cell.retired else "") + f"#{cell.id} {cell.name}",
            callback_data=CellCb(action=CellAction.SHOW, id=cell.id),
        )
    nav = []
    if page > 0:
        builder.button(text="◀", callback_data=CellCb(action=CellAction.PAGE, id=page - 1))
        nav.append(1)
    if page + 1 < pages:
        builder.button(text="▶", callback_data=CellCb(action=CellAction.PAGE, id=page + 1))
        nav.append(1)
    builder.adjust(*([1] * (len(cells) + 1)), max(1, len(nav)))
    return builder.as_markup()


def cell_card_keyboard(cell: CellInfo) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔳 QR code"), callback_data=CellCb(action=CellAction.QR, id=cell.id))
    builder.button(text=_("🔗 Link"), callback_data=CellCb(action=CellAction.LINK, id=cell.id))
    builder.button(text=_("✏️ Name"), callback_data=CellCb(action=CellAction.NAME, id=cell.id))
    builder.button(text=_("✏️ Address"), callback_data=CellCb(action=CellAction.ADDRESS, id=cell.id))
    builder.button(text=_("✏️ Kind"), callback_data=CellCb(action=CellAction.KIND, id=cell.id))
    builder.button(text=_("✏️ Town/street"), callback_data=CellCb(action=CellAction.UNIT, id=cell.id))
    if cell.retired:
        builder.button(text=_("♻️ Bring back"), callback_data=CellCb(action=CellAction.RESTORE, id=cell.id))
    else:
        builder.button(text=_("🗄 Retire"), callback_data=CellCb(action=CellAction.RETIRE, id=cell.id))
    builder.button(text=_("◀ All waste-free cells"), callback_data=CellCb(action=CellAction.PAGE, id=0))
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


def announcement_keyboard(sub: SubscriptionInfo | None, name: str) -> InlineKeyboardMarkup:
    """Under an announcement: stop the subscription that brought it (``name``), or everything."""
    builder = InlineKeyboardBuilder()
    if sub is not None:
        builder.button(
            text=_("🔕 Unsubscribe from {what}").format(what=name),
            callback_data=AnnCb(action=AnnAction.UNSUBSCRIBE, target=sub.target, value=sub.value),
        )
    builder.button(text=_("🔕 Stop all announcements"), callback_data=AnnCb(action=AnnAction.STOP_ALL))
    builder.adjust(1)
    return builder.as_markup()


def undo_keyboard(sub: SubscriptionInfo) -> InlineKeyboardMarkup:
    return single_button(_("↩️ Undo"), AnnCb(action=AnnAction.UNDO, target=sub.target, value=sub.value))


# --- staff: campaigns --------------------------------------------------------------------------


def audience_keyboard(data: dict) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_mark(bool(data.get("everyone")), _("🌐 Every subscriber")), callback_data=AudCb(action=AudAction.EVERYONE)
    )
    kinds = set(data.get("kinds") or ())
    for kind in CellKind:
        builder.button(
            text=_mark(kind.value in kinds, kind_name(kind)),
            callback_data=AudCb(action=AudAction.KIND, value=kind.value),
        )
    units = len(data.get("units") or ())
    cells = len(data.get("cells") or ())
    builder.button(text=_("📍 Towns/streets ({n}) ▸").format(n=units), callback_data=AudCb(action=AudAction.UNITS))
    builder.button(text=_("📌 Waste-free cells ({n}) ▸").format(n=cells), callback_data=AudCb(action=AudAction.PLACES))
    builder.button(text=_("Next ▶"), callback_data=AudCb(action=AudAction.NEXT))
    builder.adjust(1, 2, 2, 2, 1)
    return builder.as_markup()


def timing_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⚡ Now"), callback_data=TimeCb(action=TimeAction.NOW))
    builder.button(text=_("📅 At a date and time"), callback_data=TimeCb(action=TimeAction.AT))
    builder.button(text=_("🔁 Every day"), callback_data=TimeCb(action=TimeAction.DAILY))
    builder.button(text=_("🔁 Every week"), callback_data=TimeCb(action=TimeAction.WEEKLY))
    builder.button(text=_("🔁 Every month"), callback_data=TimeCb(action=TimeAction.MONTHLY))
    builder.adjust(1, 1, 3)
    return builder.as_markup()


def weekdays_keyboard(selected: Iterable[int], locale: str) -> InlineKeyboardMarkup:
    selected = set(selected)
    names = weekday_names(locale)
    builder = InlineKeyboardBuilder()
    for day in range(7):
        builder.button(
            text=_mark(day in selected, names[day]), callback_data=TimeCb(action=TimeAction.WEEKDAY, day=day)
        )
    builder.button(text=_("Done ▶"), callback_data=TimeCb(action=TimeAction.WEEKDAYS_DONE))
    builder.adjust(4, 3, 1)
    return builder.as_markup()


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Schedule it"), callback_data=CampCb(action=CampAction.CONFIRM))
    builder.button(text=_("✖ Discard"), callback_data=CampCb(action=CampAction.DISCARD))
    builder.adjust(2)
    return builder.as_markup()


def campaigns_list_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """``items``: (campaign id, short plain label)."""
    builder = InlineKeyboardBuilder()
    for campaign_id, label in items:
        builder.button(text=f"#{campaign_id} {label}", callback_data=CampCb(action=CampAction.SHOW, id=campaign_id))
    builder.adjust(1)
    return builder.as_markup()


def campaign_keyboard(campaign_id: int, status: CampaignStatus) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    actions = 0
    if status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        if status is CampaignStatus.ACTIVE:
            builder.button(text=_("⏸ Pause"), callback_data=CampCb(action=CampAction.PAUSE, id=campaign_id))
        else:
            builder.button(text=_("▶ Resume"), callback_data=CampCb(action=CampAction.RESUME, id=campaign_id))
        builder.button(text=_("✏️ Edit"), callback_data=CampCb(action=CampAction.EDIT, id=campaign_id))
        builder.button(text=_("✖ Cancel"), callback_data=CampCb(action=CampAction.CANCEL, id=campaign_id))
        actions = 3
    builder.button(text=_("◀ All campaigns"), callback_data=CampCb(action=CampAction.LIST))
    builder.adjust(*([actions] if actions else []), 1)
    return builder.as_markup()


def campaign_edit_keyboard(campaign_id: int, has_en: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Chinese text"), callback_data=CampCb(action=CampAction.EDIT_ZH, id=campaign_id))
    builder.button(text=_("✏️ English text"), callback_data=CampCb(action=CampAction.EDIT_EN, id=campaign_id))
    if has_en:
        builder.button(
            text=_("🗑 Remove English text"), callback_data=CampCb(action=CampAction.REMOVE_EN, id=campaign_id)
        )
    builder.button(text=_("🕒 Timing"), callback_data=CampCb(action=CampAction.EDIT_TIMING, id=campaign_id))
    builder.button(text=_("◀ Back"), callback_data=CampCb(action=CampAction.BACK, id=campaign_id))
    builder.adjust(2, 1, 1, 1) if has_en else builder.adjust(2, 1, 1)
    return builder.as_markup()


def cancel_confirm_keyboard(campaign_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, cancel #{id}").format(id=campaign_id),
        callback_data=CampCb(action=CampAction.CANCEL_CONFIRMED, id=campaign_id),
    )
    builder.button(text=_("No"), callback_data=CampCb(action=CampAction.BACK, id=campaign_id))
    builder.adjust(2)
    return builder.as_markup()
