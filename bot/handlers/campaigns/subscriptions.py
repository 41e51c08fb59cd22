"""Residents' subscriptions: /subscribe (and the menu button) by kind of place, town/street, single
place or everything; /subscriptions with a remove button each; ``/start cell-<id>`` (the QR code of
a place) subscribes in one tap.

A tap on a subscribe button toggles: it subscribes, or unsubscribes if already subscribed, and says
which in a toast. Every button re-reads the resident's subscriptions; none is remembered between
presses.
"""

from __future__ import annotations

from html import escape, unescape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import MenuButton
from bot.handlers.campaigns.picker import Picker, live_cell
from bot.handlers.campaigns.shared import cells_by_id, edit
from bot.i18n import unit_label
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import SubAction, SubCb
from bot.keyboards.menu import BTN_SUBSCRIPTIONS, main_menu
from bot.views import campaigns as views
from campaigns import cells as cells_service, subscriptions as subs
from campaigns.models import Target
from campaigns.subscriptions import SubscriptionError
from core.accounts import UserInfo

PICKER = Picker.of(SubCb, SubAction, back=SubAction.MENU)


def _menu_text() -> str:
    return _(
        "🔔 <b>Waste-free news</b>\n"
        "Choose what you want to hear about: a kind of waste-free cell, everything in your town or street, "
        "a single waste-free cell, or everything. Tap again to unsubscribe."
    )


async def _menu_markup(session: AsyncSession, user_id: int) -> InlineKeyboardMarkup:
    mine = await subs.list_subscriptions(session, user_id)
    kinds = {s.value for s in mine if s.target is Target.KIND}
    return kb.subscribe_menu(kinds, any(s.target is Target.ALL for s in mine))


async def _selected(session: AsyncSession, user_id: int, target: Target) -> set[str]:
    return {s.value for s in await subs.list_subscriptions(session, user_id) if s.target is target}


async def _toggle(session: AsyncSession, user_id: int, target: Target, value: str | int) -> bool:
    """Subscribe, or unsubscribe if subscribed; True if now subscribed."""
    if await subs.unsubscribe(session, user_id, target, value):
        return False
    await subs.subscribe(session, user_id, target, value)
    return True


def _toast(on: bool, label: str) -> str:
    return (_("✅ Subscribed: {what}") if on else _("Unsubscribed: {what}")).format(what=unescape(label))


async def _list_view(session: AsyncSession, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    mine = await subs.list_subscriptions(session, user_id)
    if not mine:
        return _("You have no subscriptions yet.") + "\n\n" + _menu_text(), await _menu_markup(session, user_id)
    cells = await cells_by_id(session)
    labels = [views.subscription_label(s, cells) for s in mine]
    text = "\n".join([_("<b>Your subscriptions</b>")] + [f"• {label}" for label in labels])
    items = [(unescape(label), f"{s.target.value}.{s.value}") for s, label in zip(mine, labels)]
    return text, kb.removal_keyboard(items)


# --- commands -----------------------------------------------------------------------------------


async def subscribe_command(message: Message, session: AsyncSession, user: UserInfo) -> None:
    await message.answer(_menu_text(), reply_markup=await _menu_markup(session, user.id))


async def list_subscriptions_command(message: Message, session: AsyncSession, user: UserInfo) -> None:
    text, markup = await _list_view(session, user.id)
    await message.answer(text, reply_markup=markup)


async def start_cell(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, user: UserInfo
) -> None:
    """``/start cell-<id>``: the QR code of a place subscribes to it in one tap."""
    await state.clear()
    cell_id = cells_service.parse_payload(command.args)
    cell = await cells_service.get_cell(session, cell_id) if cell_id else None
    if cell is None or cell.retired:
        await message.answer(
            _(
                "This link or QR code is no longer valid: the waste-free cell does not take part any more. "
                "Send /subscribe to choose other news."
            ),
            reply_markup=main_menu(),
        )
        return
    new = await subs.subscribe(session, user.id, Target.CELL, cell.id)
    text = (
        _("✅ You now get the news of <b>{name}</b> ({kind}, {unit}).")
        if new
        else _("You already get the news of <b>{name}</b> ({kind}, {unit}).")
    )
    unit = escape(unit_label(cell.unit_code))
    await message.answer(
        text.format(name=escape(cell.name), kind=views.kind_one(cell.kind), unit=unit)
        + "\n"
        + _("Send /subscriptions to see or change what you follow."),
        reply_markup=main_menu(),
    )


# --- buttons ------------------------------------------------------------------------------------


async def show_menu(query: CallbackQuery, session: AsyncSession, user: UserInfo) -> None:
    await edit(query, _menu_text(), await _menu_markup(session, user.id))


async def toggle_kind(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: SubCb, session: AsyncSession, user: UserInfo
) -> None:
    on = await _toggle(session, user.id, Target.KIND, callback_data.value)
    callback_answer.text = _toast(on, views.kind_name(callback_data.value))
    await edit(query, None, await _menu_markup(session, user.id))


async def toggle_everything(
    query: CallbackQuery, callback_answer: CallbackAnswer, session: AsyncSession, user: UserInfo
) -> None:
    on = await _toggle(session, user.id, Target.ALL, "")
    callback_answer.text = _toast(on, _(views.EVERYTHING))
    await edit(query, None, await _menu_markup(session, user.id))


async def show_units(
    query: CallbackQuery, callback_answer: CallbackAnswer, session: AsyncSession, user: UserInfo
) -> None:
    await PICKER.show_units(
        query,
        callback_answer,
        _("📍 Tap a town or street to get news of every waste-free cell in it."),
        await _selected(session, user.id, Target.UNIT),
    )


async def toggle_unit(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: SubCb, session: AsyncSession, user: UserInfo
) -> None:
    unit_code = callback_data.value
    on = await _toggle(session, user.id, Target.UNIT, unit_code)
    callback_answer.text = _toast(on, unit_label(unit_code))
    await edit(query, None, PICKER.units_markup(await _selected(session, user.id, Target.UNIT)))


async def show_places_units(query: CallbackQuery, session: AsyncSession) -> None:
    await PICKER.show_places_units(
        query,
        session,
        _("📌 Where is the waste-free cell? Choose its town or street (the number of cells is in brackets)."),
    )


async def show_places(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: SubCb, session: AsyncSession, user: UserInfo
) -> None:
    chosen = {int(v) for v in await _selected(session, user.id, Target.CELL)}
    template = _("📌 Waste-free cells in {unit}: tap one to follow it.")
    await PICKER.show_places(query, callback_answer, session, callback_data.value, template, chosen)


async def toggle_cell(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: SubCb, session: AsyncSession, user: UserInfo
) -> None:
    if (cell := await live_cell(query, callback_answer, session, callback_data.cell_id)) is None:
        return
    on = await _toggle(session, user.id, Target.CELL, str(cell.id))
    callback_answer.text = _toast(on, escape(cell.name))
    chosen = {int(v) for v in await _selected(session, user.id, Target.CELL)}
    await PICKER.redraw_places(query, session, cell.unit_code, chosen)


async def show_list(query: CallbackQuery, session: AsyncSession, user: UserInfo) -> None:
    await edit(query, *await _list_view(session, user.id))


async def remove(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: SubCb, session: AsyncSession, user: UserInfo
) -> None:
    target, _sep, value = callback_data.value.partition(".")
    try:
        removed = await subs.unsubscribe(session, user.id, target, value)
    except SubscriptionError:
        removed = False
    callback_answer.text = _("Removed.") if removed else _("That subscription was already gone.")
    await edit(query, *await _list_view(session, user.id))


def build_deep_links() -> Router:
    """``/start cell-<id>``: must meet updates before ``common``'s plain /start."""
    router = Router(name=__name__ + ".deep_links")
    router.message.register(start_cell, CommandStart(deep_link=True, magic=F.args.startswith("cell-")))
    return router


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(subscribe_command, Command("subscribe"))
    router.message.register(subscribe_command, MenuButton(BTN_SUBSCRIPTIONS))
    router.message.register(list_subscriptions_command, Command("subscriptions"))
    press = router.callback_query.register
    press(show_menu, SubCb.filter(F.action == SubAction.MENU))
    press(toggle_kind, SubCb.filter(F.action == SubAction.KIND))
    press(toggle_everything, SubCb.filter(F.action == SubAction.ALL))
    press(show_units, SubCb.filter(F.action == SubAction.UNITS))
    press(toggle_unit, SubCb.filter(F.action == SubAction.UNIT))
    press(show_places_units, SubCb.filter(F.action == SubAction.PLACES))
    press(show_places, SubCb.filter(F.action == SubAction.PLACES_OF_UNIT))
    press(toggle_cell, SubCb.filter(F.action == SubAction.CELL))
    press(show_list, SubCb.filter(F.action == SubAction.LIST))
    press(remove, SubCb.filter(F.action == SubAction.REMOVE))
    return router
