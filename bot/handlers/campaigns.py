"""Telegram handlers of the campaigns feature.

Residents: /subscribe (and the menu button) by kind, town/street, single place or everything;
/subscriptions with remove buttons; ``/start cell-<id>`` (the QR code of a place) subscribes in
one tap. Campaign staff: /cells (create, edit, retire, link, QR code), /newcampaign (audience ->
texts -> timing -> preview -> confirm), /campaigns (pause, resume, edit, cancel).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from html import escape, unescape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime, send_campaign_message
from bot.filters import HasRole, MenuButton
from bot.handlers.admin import not_allowed
from bot.keyboards import campaigns as kb
from bot.keyboards.campaigns import AudCb, CampCb, CellCb, SubCb, TimeCb
from bot.keyboards.menu import BTN_SUBSCRIPTIONS, main_menu
from bot.views import campaigns as views
from campaigns import cells as cells_service
from campaigns import service
from campaigns import subscriptions as subs
from campaigns.cells import CellError, CellInfo
from campaigns.models import CampaignStatus, CellKind, ScheduleKind, Target
from campaigns.schedule import Schedule, next_occurrence, occurrences, parse_date, parse_datetime, parse_time
from campaigns.service import MAX_CAPTION, MAX_TEXT, CampaignError, CampaignInfo
from campaigns.subscriptions import Audience, SubscriptionError
from core import accounts
from core.accounts import UserInfo
from core.models import Role
from core.units import all_units, unit_name

STAFF_COMMANDS = ("cells", "newcell", "newcampaign", "campaigns")
MAX_NAME = 128
MAX_ADDRESS = 256
CAMPAIGNS_LISTED = 30


class CellForm(StatesGroup):
    name = State()
    kind = State()
    unit = State()
    address = State()
    edit_name = State()
    edit_address = State()


class NewCampaign(StatesGroup):
    audience = State()
    text_zh = State()
    text_en = State()
    timing = State()
    at = State()
    weekdays = State()
    month_day = State()
    time = State()
    end = State()
    preview = State()


class EditCampaign(StatesGroup):
    text_zh = State()
    text_en = State()


# =============================================================================================
# residents
# =============================================================================================


def _menu_text() -> str:
    return _(
        "🔔 <b>Waste-free news</b>\n"
        "Choose what you want to hear about: a kind of place, everything in your town or street, "
        "a single place, or everything. Tap again to unsubscribe."
    )


async def _menu_markup(session: AsyncSession, user_id: int) -> InlineKeyboardMarkup:
    mine = await subs.list_subscriptions(session, user_id)
    kinds = {s.value for s in mine if s.target is Target.KIND}
    return kb.subscribe_menu(kinds, any(s.target is Target.ALL for s in mine))


async def _selected(session: AsyncSession, user_id: int, target: Target) -> set[str]:
    return {s.value for s in await subs.list_subscriptions(session, user_id) if s.target is target}


async def subscribe_command(message: Message, session: AsyncSession, user: UserInfo) -> None:
    await message.answer(_menu_text(), reply_markup=await _menu_markup(session, user.id))


async def _edit(query: CallbackQuery, text: str | None, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message the button belongs to (only its keyboard when ``text`` is None)."""
    if query.message is None:
        return
    try:
        if text is None:
            await query.message.edit_reply_markup(reply_markup=markup)
        else:
            await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:  # a double tap changes nothing
            raise


async def _toggle(session: AsyncSession, user_id: int, target: Target, value: str) -> bool:
    """Subscribe, or unsubscribe if subscribed; True if now subscribed."""
    if await subs.unsubscribe(session, user_id, target, value):
        return False
    await subs.subscribe(session, user_id, target, value)
    return True


def _toast(on: bool, label: str) -> str:
    return (_("✅ Subscribed: {what}") if on else _("Unsubscribed: {what}")).format(what=unescape(label))


async def _places_of_unit_markup(session: AsyncSession, user_id: int, unit_code: str) -> tuple[str, InlineKeyboardMarkup] | None:
    cells = await cells_service.list_cells(session, unit_code=unit_code)
    if not cells:
        return None
    chosen = {int(v) for v in await _selected(session, user_id, Target.CELL)}
    text = _("📌 Places in {unit}: tap one to follow it.").format(unit=escape(unit_name(unit_code) or unit_code))
    markup = kb.cells_keyboard(cells, chosen, lambda i: SubCb(a="c", v=str(i)), SubCb(a="places"))
    return text, markup


async def _cell_counts(session: AsyncSession) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cell in await cells_service.list_cells(session):
        counts[cell.unit_code] = counts.get(cell.unit_code, 0) + 1
    return counts


async def subscription_button(
    query: CallbackQuery, callback_data: SubCb, session: AsyncSession, user: UserInfo
) -> None:
    a, v = callback_data.a, callback_data.v
    if a == "menu":
        await query.answer()
        await _edit(query, _menu_text(), await _menu_markup(session, user.id))
    elif a == "k" and v in {k.value for k in CellKind}:
        on = await _toggle(session, user.id, Target.KIND, v)
        await query.answer(_toast(on, views.kind_name(v)))
        await _edit(query, None, await _menu_markup(session, user.id))
    elif a == "all":
        on = await _toggle(session, user.id, Target.ALL, "")
        await query.answer(_toast(on, _(views.EVERYTHING)))
        await _edit(query, None, await _menu_markup(session, user.id))
    elif a == "units":
        await query.answer()
        chosen = await _selected(session, user.id, Target.UNIT)
        await _edit(
            query,
            _("📍 Tap a town or street to get news of every waste-free place in it."),
            kb.units_keyboard(chosen, lambda c: SubCb(a="u", v=c), SubCb(a="menu")),
        )
    elif a == "u" and unit_name(v) and v in {u.code for u in all_units()}:
        on = await _toggle(session, user.id, Target.UNIT, v)
        await query.answer(_toast(on, unit_name(v)))
        chosen = await _selected(session, user.id, Target.UNIT)
        await _edit(query, None, kb.units_keyboard(chosen, lambda c: SubCb(a="u", v=c), SubCb(a="menu")))
    elif a == "places":
        await query.answer()
        counts = await _cell_counts(session)
        await _edit(
            query,
            _("📌 Where is the place? Choose its town or street (the number of places is in brackets)."),
            kb.units_keyboard((), lambda c: SubCb(a="pu", v=c), SubCb(a="menu"), counts),
        )
    elif a == "pu":
        view = await _places_of_unit_markup(session, user.id, v)
        if view is None:
            await query.answer(_("No waste-free places are registered there yet."), show_alert=True)
            return
        await query.answer()
        await _edit(query, *view)
    elif a == "c" and v.isdigit():
        cell = await cells_service.get_cell(session, int(v))
        if cell is None or cell.retired:
            await query.answer(_("This place no longer takes part."), show_alert=True)
            return
        on = await _toggle(session, user.id, Target.CELL, v)
        await query.answer(_toast(on, escape(cell.name)))
        view = await _places_of_unit_markup(session, user.id, cell.unit_code)
        if view is not None:
            await _edit(query, None, view[1])
    elif a == "list":
        await query.answer()
        await _edit(query, *await _list_view(session, user.id))
    elif a == "rm":
        target, _sep, value = v.partition(".")
        try:
            removed = await subs.unsubscribe(session, user.id, target, value)
        except SubscriptionError:
            removed = False
        await query.answer(_("Removed.") if removed else _("That subscription was already gone."))
        await _edit(query, *await _list_view(session, user.id))
    else:
        await query.answer()


async def _cells_by_id(session: AsyncSession) -> dict[int, CellInfo]:
    return {c.id: c for c in await cells_service.list_cells(session, include_retired=True)}


async def _list_view(session: AsyncSession, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    mine = await subs.list_subscriptions(session, user_id)
    if not mine:
        return _("You have no subscriptions yet.") + "\n\n" + _menu_text(), await _menu_markup(session, user_id)
    cells = await _cells_by_id(session)
    labels = [views.subscription_label(s, cells) for s in mine]
    text = "\n".join([_("<b>Your subscriptions</b>")] + [f"• {label}" for label in labels])
    items = [(unescape(label), f"{s.target.value}.{s.value}") for s, label in zip(mine, labels)]
    return text, kb.removal_keyboard(items)


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
            _("This link or QR code is no longer valid: the place does not take part any more. "
              "Send /subscribe to choose other news."),
            reply_markup=main_menu(),
        )  # fmt: skip
        return
    new = await subs.subscribe(session, user.id, Target.CELL, cell.id)
    text = (
        _("✅ You now get the news of <b>{name}</b> ({kind}, {unit}).")
        if new
        else _("You already get the news of <b>{name}</b> ({kind}, {unit}).")
    )
    await message.answer(
        text.format(name=escape(cell.name), kind=views.kind_one(cell.kind), unit=escape(unit_name(cell.unit_code) or ""))
        + "\n"
        + _("Send /subscriptions to see or change what you follow."),
        reply_markup=main_menu(),
    )


# =============================================================================================
# staff: cells
# =============================================================================================


async def _cells_page(session: AsyncSession, page: int) -> tuple[str, InlineKeyboardMarkup]:
    cells = await cells_service.list_cells(session, include_retired=True)
    pages = max(1, -(-len(cells) // kb.CELLS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = cells[page * kb.CELLS_PER_PAGE : (page + 1) * kb.CELLS_PER_PAGE]
    lines = [_("<b>Waste-free places</b> ({n})").format(n=len(cells))]
    if not cells:
        lines.append(_("None yet: add the first one."))
    lines += [f"#{c.id} {views.cell_line(c)}" for c in shown]
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    return "\n".join(lines), kb.cells_list_keyboard(shown, page, pages)


async def cells_command(message: Message, session: AsyncSession, state: FSMContext) -> None:
    await state.clear()
    text, markup = await _cells_page(session, 0)
    await message.answer(text, reply_markup=markup)


async def new_cell_command(message: Message, state: FSMContext) -> None:
    await state.set_state(CellForm.name)
    await message.answer(_("New place. What is its name? (e.g. 澄江实验小学)"))


async def _show_card(target: Message, cell: CellInfo, runtime: CampaignRuntime, *, edit: bool) -> None:
    link = cells_service.deep_link(await runtime.bot_username(), cell.id)
    text, markup = views.cell_card(cell, link), kb.cell_card_keyboard(cell)
    if edit:
        await target.edit_text(text, reply_markup=markup)
    else:
        await target.answer(text, reply_markup=markup)


async def _text_field(message: Message, limit: int) -> str | None:
    text = (message.text or "").strip()
    if not text or len(text) > limit:
        await message.answer(_("Please send a text of 1 to {n} characters.").format(n=limit))
        return None
    return text


async def cell_name(message: Message, state: FSMContext) -> None:
    if (name := await _text_field(message, MAX_NAME)) is None:
        return
    await state.update_data(name=name)
    await state.set_state(CellForm.kind)
    await message.answer(_("What kind of place is it?"), reply_markup=kb.kinds_keyboard(lambda k: CellCb(a="nk", v=k)))


async def cell_address(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    if (address := await _text_field(message, MAX_ADDRESS)) is None:
        return
    await _create_cell(message, state, session, user, campaign_runtime, address)


async def _create_cell(message: Message, state, session, user, runtime, address: str | None) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        cell = await cells_service.create_cell(
            session, name=data["name"], kind=data["kind"], unit_code=data["unit"], address=address, created_by=user.id
        )
    except (CellError, KeyError):
        await message.answer(_("That did not work: start again with /newcell."))
        return
    await accounts.audit(session, user.id, "cell.create", str(cell.id), {"name": cell.name})
    await message.answer(_("✅ Place #{id} created. Print its QR code: scanning it subscribes residents.").format(id=cell.id))
    await _show_card(message, cell, runtime, edit=False)


async def cell_edit_name(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    if (name := await _text_field(message, MAX_NAME)) is None:
        return
    await _apply_cell_edit(message, state, session, user, campaign_runtime, name=name)


async def cell_edit_address(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    if (address := await _text_field(message, MAX_ADDRESS)) is None:
        return
    await _apply_cell_edit(message, state, session, user, campaign_runtime, address=address)


async def _apply_cell_edit(message, state, session, user, runtime, **changes) -> None:
    cell_id = (await state.get_data()).get("cell_id")
    await state.clear()
    try:
        cell = await cells_service.edit_cell(session, int(cell_id), **changes)
    except (CellError, TypeError, ValueError):
        await message.answer(_("That place no longer exists. Send /cells."))
        return
    await accounts.audit(session, user.id, "cell.edit", str(cell.id), {k: str(v) for k, v in changes.items()})
    await message.answer(_("✅ Saved."))
    await _show_card(message, cell, runtime, edit=False)


async def cell_button(
    query: CallbackQuery,
    callback_data: CellCb,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:
    a, cell_id, v = callback_data.a, callback_data.id, callback_data.v
    if a == "page":
        await query.answer()
        await _edit(query, *await _cells_page(session, cell_id))
        return
    if a == "new":
        await query.answer()
        await state.set_state(CellForm.name)
        await query.message.answer(_("New place. What is its name? (e.g. 澄江实验小学)"))
        return
    if a in ("nk", "nu", "skip"):
        await _new_cell_step(query, callback_data, state, session, user, campaign_runtime)
        return
    cell = await cells_service.get_cell(session, cell_id)
    if cell is None:
        await query.answer(_("That place no longer exists. Send /cells."), show_alert=True)
        return
    if a == "open":
        await query.answer()
        await _show_card(query.message, cell, campaign_runtime, edit=True)
    elif a == "link":
        await query.answer()
        link = cells_service.deep_link(await campaign_runtime.bot_username(), cell.id)
        await query.message.answer(
            _("Link for <b>{name}</b>: opening it subscribes to the place in one tap.\n{link}").format(
                name=escape(cell.name), link=escape(link)
            )
        )
    elif a == "qr":
        await query.answer()
        link = cells_service.deep_link(await campaign_runtime.bot_username(), cell.id)
        png = cells_service.qr_png(link)
        await bot.send_document(
            query.from_user.id,
            BufferedInputFile(png, filename=f"wufei-cell-{cell.id}.png"),
            caption=_("QR code of <b>{name}</b>: print it at the place. Scanning it subscribes to its news.\n{link}").format(
                name=escape(cell.name), link=escape(link)
            ),
        )
    elif a == "name":
        await query.answer()
        await state.set_state(CellForm.edit_name)
        await state.update_data(cell_id=cell.id)
        await query.message.answer(_("New name for {name}?").format(name=escape(cell.name)))
    elif a == "addr":
        await query.answer()
        await state.set_state(CellForm.edit_address)
        await state.update_data(cell_id=cell.id)
        await query.message.answer(
            _("New address for {name}?").format(name=escape(cell.name)),
            reply_markup=kb.single_button(_("Remove the address"), CellCb(a="noaddr", id=cell.id)),
        )
    elif a == "noaddr":
        await state.clear()
        cell = await cells_service.edit_cell(session, cell.id, clear_address=True)
        await accounts.audit(session, user.id, "cell.edit", str(cell.id), {"address": None})
        await query.answer(_("✅ Saved."))
        await _show_card(query.message, cell, campaign_runtime, edit=False)
    elif a == "kind":
        await query.answer()
        await _edit(query, None, kb.kinds_keyboard(lambda k: CellCb(a="setkind", id=cell.id, v=k), {cell.kind.value}))
    elif a == "setkind" and v in {k.value for k in CellKind}:
        cell = await cells_service.edit_cell(session, cell.id, kind=v)
        await accounts.audit(session, user.id, "cell.edit", str(cell.id), {"kind": v})
        await query.answer(_("✅ Saved."))
        await _show_card(query.message, cell, campaign_runtime, edit=True)
    elif a == "unit":
        await query.answer()
        await _edit(
            query,
            None,
            kb.units_keyboard([cell.unit_code], lambda c: CellCb(a="setunit", id=cell.id, v=c), CellCb(a="open", id=cell.id)),
        )
    elif a == "setunit":
        try:
            cell = await cells_service.edit_cell(session, cell.id, unit_code=v)
        except CellError:
            await query.answer()
            return
        await accounts.audit(session, user.id, "cell.edit", str(cell.id), {"unit": v})
        await query.answer(_("✅ Saved."))
        await _show_card(query.message, cell, campaign_runtime, edit=True)
    elif a in ("retire", "restore"):
        cell = await cells_service.retire_cell(session, cell.id, a == "retire")
        await accounts.audit(session, user.id, f"cell.{a}", str(cell.id))
        await query.answer(_("Retired.") if a == "retire" else _("The place takes part again."))
        await _show_card(query.message, cell, campaign_runtime, edit=True)
    else:
        await query.answer()


async def _new_cell_step(query, callback_data: CellCb, state, session, user, runtime) -> None:
    current = await state.get_state()
    a, v = callback_data.a, callback_data.v
    if a == "nk" and current == CellForm.kind.state and v in {k.value for k in CellKind}:
        await query.answer()
        await state.update_data(kind=v)
        await state.set_state(CellForm.unit)
        await _edit(query, _("Which town or street is it in?"), kb.units_keyboard((), lambda c: CellCb(a="nu", v=c), CellCb(a="page")))
    elif a == "nu" and current == CellForm.unit.state and v in {u.code for u in all_units()}:
        await query.answer()
        await state.update_data(unit=v)
        await state.set_state(CellForm.address)
        await _edit(
            query,
            _("Its address? (optional)"),
            kb.single_button(_("Skip"), CellCb(a="skip")),
        )
    elif a == "skip" and current == CellForm.address.state:
        await query.answer()
        await _create_cell(query.message, state, session, user, runtime, None)
    else:
        await query.answer(_("This step is over: start again with /newcell."), show_alert=True)


# =============================================================================================
# staff: new campaign
# =============================================================================================

EMPTY_AUDIENCE = {"everyone": False, "kinds": [], "units": [], "cells": []}


def _audience(data: dict) -> Audience:
    return Audience.from_json(data.get("aud") or EMPTY_AUDIENCE)


async def _audience_view(session: AsyncSession, data: dict) -> tuple[str, InlineKeyboardMarkup]:
    audience = _audience(data)
    cells = await _cells_by_id(session)
    lines = [
        _("<b>New campaign</b> · step 1 of 4: who should get it?"),
        _("Tick kinds of places, towns/streets, single places, or every subscriber. A kind and a town "
          "together mean, e.g., the markets of 澄江街道."),  # fmt: skip
        "",
        _("Selected: {audience}").format(audience=views.audience_summary(audience, cells)),
    ]
    if not audience.empty:
        lines.append(views.reach_line(await subs.preview_audience(session, audience)))
    return "\n".join(lines), kb.audience_keyboard(data.get("aud") or EMPTY_AUDIENCE)


async def new_campaign_command(message: Message, state: FSMContext, session: AsyncSession) -> None:
    await state.clear()
    await state.set_state(NewCampaign.audience)
    data = {"aud": dict(EMPTY_AUDIENCE)}
    await state.set_data(data)
    text, markup = await _audience_view(session, data)
    await message.answer(text, reply_markup=markup)


def _toggled(values: list, value) -> list:
    return [x for x in values if x != value] if value in values else [*values, value]


async def audience_button(query: CallbackQuery, callback_data: AudCb, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    aud = dict(data.get("aud") or EMPTY_AUDIENCE)
    a, v = callback_data.a, callback_data.v

    async def main_view() -> None:
        await state.update_data(aud=aud)
        await _edit(query, *await _audience_view(session, {"aud": aud}))

    def units_markup():
        return kb.units_keyboard(aud["units"], lambda c: AudCb(a="u", v=c), AudCb(a="back"))

    async def places_markup(unit_code: str):
        cells = await cells_service.list_cells(session, unit_code=unit_code)
        return cells, kb.cells_keyboard(cells, aud["cells"], lambda i: AudCb(a="c", v=str(i)), AudCb(a="places"))

    if a == "all":
        aud["everyone"] = not aud.get("everyone")
        await query.answer()
        await main_view()
    elif a == "k" and v in {k.value for k in CellKind}:
        aud["kinds"] = _toggled(list(aud["kinds"]), v)
        await query.answer()
        await main_view()
    elif a == "back":
        await query.answer()
        await main_view()
    elif a == "units":
        await query.answer()
        await _edit(query, _("📍 Tick towns/streets, then go back."), units_markup())
    elif a == "u" and v in {u.code for u in all_units()}:
        aud["units"] = _toggled(list(aud["units"]), v)
        await state.update_data(aud=aud)
        await query.answer()
        await _edit(query, None, units_markup())
    elif a == "places":
        await query.answer()
        counts = await _cell_counts(session)
        await _edit(
            query,
            _("📌 Choose the town or street of the places."),
            kb.units_keyboard((), lambda c: AudCb(a="pu", v=c), AudCb(a="back"), counts),
        )
    elif a == "pu":
        cells, markup = await places_markup(v)
        if not cells:
            await query.answer(_("No waste-free places are registered there yet."), show_alert=True)
            return
        await query.answer()
        await _edit(query, _("📌 Tick places in {unit}.").format(unit=escape(unit_name(v) or v)), markup)
    elif a == "c" and v.isdigit():
        cell = await cells_service.get_cell(session, int(v))
        if cell is None or cell.retired:
            await query.answer(_("This place no longer takes part."), show_alert=True)
            return
        aud["cells"] = _toggled([int(c) for c in aud["cells"]], cell.id)
        await state.update_data(aud=aud)
        await query.answer()
        await _edit(query, None, (await places_markup(cell.unit_code))[1])
    elif a == "next":
        if Audience.from_json(aud).empty:
            await query.answer(_("Choose at least one group of residents."), show_alert=True)
            return
        await query.answer()
        await state.update_data(aud=aud)
        await state.set_state(NewCampaign.text_zh)
        await _edit(query, None, None)
        await query.message.answer(
            _("Step 2 of 4: send the announcement <b>in Chinese</b>. Formatting is kept. To add a "
              "photo, send the photo with the text as its caption (up to 1024 characters).")  # fmt: skip
        )
    else:
        await query.answer()


def _content(message: Message) -> tuple[str | None, str | None]:
    """(HTML text, photo file id) of the staff's message."""
    if message.photo:
        return (message.html_text if message.caption else None), message.photo[-1].file_id
    if message.text:
        return message.html_text, None
    return None, None


async def campaign_text_zh(message: Message, state: FSMContext) -> None:
    text, photo = _content(message)
    if not text:
        await message.answer(_("Please send a text, or a photo with the text as its caption."))
        return
    limit = MAX_CAPTION if photo else MAX_TEXT
    if len(text) > limit:
        await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
        return
    await state.update_data(text_zh=text, photo=photo)
    await state.set_state(NewCampaign.text_en)
    await message.answer(
        _("Step 3 of 4: send the same announcement <b>in English</b> for residents who use English, or skip."),
        reply_markup=kb.single_button(_("Skip ▶"), CampCb(a="skipen")),
    )


async def campaign_text_en(message: Message, state: FSMContext, campaign_runtime: CampaignRuntime) -> None:
    text, photo = _content(message)
    if not text or photo:
        await message.answer(_("Please send a text (the photo is the one of the Chinese version)."))
        return
    limit = MAX_CAPTION if (await state.get_data()).get("photo") else MAX_TEXT
    if len(text) > limit:
        await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
        return
    await state.update_data(text_en=text)
    await _ask_timing(message, state, campaign_runtime)


async def skip_english(query: CallbackQuery, state: FSMContext, campaign_runtime: CampaignRuntime) -> None:
    await query.answer()
    await state.update_data(text_en=None)
    await _edit(query, None, None)
    await _ask_timing(query.message, state, campaign_runtime)


async def _ask_timing(message: Message, state: FSMContext, runtime: CampaignRuntime) -> None:
    await state.set_state(NewCampaign.timing)
    data = await state.get_data()
    head = (
        _("New timing of campaign #{id}: when should it go out?").format(id=data["edit_id"])
        if data.get("edit_id")
        else _("Step 4 of 4: when should it go out?")
    )
    await message.answer(
        head + "\n" + _("Times are in {tz}.").format(tz=runtime.tz) + "\n" + views.quiet_text(runtime.quiet),
        reply_markup=kb.timing_keyboard(),
    )


def _schedule(sched: dict, now: datetime, runtime: CampaignRuntime) -> Schedule:
    kind = sched["kind"]
    common = dict(tz=runtime.tz, quiet=runtime.quiet)
    if kind == "now":
        return Schedule(kind=ScheduleKind.ONCE, at=now + timedelta(seconds=1), **common)
    if kind == "at":
        return Schedule(kind=ScheduleKind.ONCE, at=datetime.fromisoformat(sched["at"]), **common)
    return Schedule(
        kind=ScheduleKind(kind),
        time=parse_time(sched["time"]),
        weekdays=frozenset(sched.get("weekdays") or ()),
        month_day=sched.get("month_day"),
        end=date.fromisoformat(sched["end"]) if sched.get("end") else None,
        **common,
    )


async def timing_button(
    query: CallbackQuery, callback_data: TimeCb, state: FSMContext, user: UserInfo,
    session: AsyncSession, bot: Bot, campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    a, v = callback_data.a, callback_data.v
    current = await state.get_state()
    data = await state.get_data()
    if a in ("now", "at", "daily", "weekly", "monthly") and current == NewCampaign.timing.state:
        await query.answer()
        await _edit(query, None, None)
        if a == "now":
            await state.update_data(sched={"kind": "now"})
            await _timing_done(query.message, state, session, user, bot, campaign_runtime)
        elif a == "at":
            await state.set_state(NewCampaign.at)
            await query.message.answer(
                _("Send the date and time ({tz}), e.g. <code>{example}</code>.").format(
                    tz=campaign_runtime.tz, example=_example_datetime(campaign_runtime)
                )
            )
        elif a == "daily":
            await state.update_data(sched={"kind": "daily"})
            await _ask_time(query.message, state)
        elif a == "weekly":
            await state.update_data(sched={"kind": "weekly", "weekdays": []})
            await state.set_state(NewCampaign.weekdays)
            await query.message.answer(_("On which days of the week?"), reply_markup=kb.weekdays_keyboard((), user.language))
        else:
            await state.update_data(sched={"kind": "monthly"})
            await state.set_state(NewCampaign.month_day)
            await query.message.answer(
                _("On which day of the month (1–31)? A day a month does not have means its last day.")
            )
    elif a == "wd" and current == NewCampaign.weekdays.state and v.isdigit() and 0 <= int(v) <= 6:
        sched = dict(data.get("sched") or {"kind": "weekly"})
        sched["weekdays"] = sorted(_toggled(list(sched.get("weekdays") or []), int(v)))
        await state.update_data(sched=sched)
        await query.answer()
        await _edit(query, None, kb.weekdays_keyboard(sched["weekdays"], user.language))
    elif a == "wdok" and current == NewCampaign.weekdays.state:
        if not (data.get("sched") or {}).get("weekdays"):
            await query.answer(_("Choose at least one day."), show_alert=True)
            return
        await query.answer()
        await _edit(query, None, None)
        await _ask_time(query.message, state)
    elif a == "noend" and current == NewCampaign.end.state:
        await query.answer()
        await _edit(query, None, None)
        await _timing_done(query.message, state, session, user, bot, campaign_runtime)
    else:
        await query.answer(_("This step is over."), show_alert=True)


def _example_datetime(runtime: CampaignRuntime) -> str:
    from zoneinfo import ZoneInfo

    tomorrow = runtime.clock().astimezone(ZoneInfo(runtime.tz)) + timedelta(days=1)
    return tomorrow.strftime("%Y-%m-%d") + " 09:30"


async def _ask_time(message: Message, state: FSMContext) -> None:
    await state.set_state(NewCampaign.time)
    await message.answer(_("At what time? (HH:MM, e.g. <code>09:30</code>)"))


async def timing_at(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    try:
        at = parse_datetime(message.text or "", campaign_runtime.tz)
    except ValueError:
        await message.answer(
            _("I could not read that. Please write it like <code>{example}</code>.").format(
                example=_example_datetime(campaign_runtime)
            )
        )
        return
    if at <= campaign_runtime.clock():
        await message.answer(_("That time has passed. Please send a time in the future."))
        return
    await state.update_data(sched={"kind": "at", "at": at.isoformat()})
    await _timing_done(message, state, session, user, bot, campaign_runtime)


async def timing_month_day(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 31:
        await message.answer(_("Please send a number from 1 to 31."))
        return
    await state.update_data(sched={"kind": "monthly", "month_day": int(text)})
    await _ask_time(message, state)


async def timing_time(message: Message, state: FSMContext) -> None:
    try:
        at = parse_time(message.text or "")
    except ValueError:
        await message.answer(_("Please send a time like <code>09:30</code>."))
        return
    sched = dict((await state.get_data()).get("sched") or {})
    sched["time"] = at.strftime("%H:%M")
    await state.update_data(sched=sched)
    await state.set_state(NewCampaign.end)
    await message.answer(
        _("Until which date (YYYY-MM-DD, included)?"),
        reply_markup=kb.single_button(_("No end date"), TimeCb(a="noend")),
    )


async def timing_end(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    from zoneinfo import ZoneInfo

    try:
        end = parse_date(message.text or "")
    except ValueError:
        await message.answer(_("Please send a date like <code>2026-12-31</code>."))
        return
    if end < campaign_runtime.clock().astimezone(ZoneInfo(campaign_runtime.tz)).date():
        await message.answer(_("That date has passed. Please send a date in the future."))
        return
    sched = dict((await state.get_data()).get("sched") or {})
    sched["end"] = end.isoformat()
    await state.update_data(sched=sched)
    await _timing_done(message, state, session, user, bot, campaign_runtime)


def _timing_lines(schedule: Schedule, first: datetime, now: datetime, locale: str, runtime: CampaignRuntime, *, is_now: bool) -> list[str]:
    tz = runtime.tz
    lines = [_("When: {schedule}").format(schedule=views.schedule_text(schedule, locale, now_label=is_now))]
    lines.append(_("First run: <b>{when}</b>").format(when=views.when(first, locale, tz)))
    requested = next_occurrence(dataclasses.replace(schedule, quiet=None), now)
    if requested is not None and requested != first:
        lines.append(
            _("🌙 {requested} falls in the quiet hours, so it goes out at {when}.").format(
                requested=views.when(requested, locale, tz), when=views.when(first, locale, tz)
            )
        )
    if schedule.kind is not ScheduleKind.ONCE:
        later = occurrences(schedule, first, first + timedelta(days=400), limit=3)
        if later:
            lines.append(_("Then: {runs}").format(runs="; ".join(views.when(t, locale, tz) for t in later)))
    return lines


async def _timing_done(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot, runtime: CampaignRuntime
) -> None:
    data = await state.get_data()
    now = runtime.clock()
    schedule = _schedule(data["sched"], now, runtime)
    first = next_occurrence(schedule, now)
    if first is None:
        await message.answer(_("This timing has no run in the future. Please choose again."))
        await _ask_timing(message, state, runtime)
        return
    edit_id = data.get("edit_id")
    if edit_id:
        await state.clear()
        try:
            info = await runtime.scheduler.edit(int(edit_id), schedule=schedule)
        except CampaignError:
            await message.answer(_("Campaign #{id} can no longer be changed.").format(id=edit_id))
            return
        await accounts.audit(session, user.id, "campaign.edit", str(info.id), {"timing": data["sched"]})
        lines = [_("✅ Campaign #{id}: new timing saved.").format(id=info.id)]
        lines += _timing_lines(schedule, info.next_run_at or first, now, user.language, runtime, is_now=data["sched"]["kind"] == "now")
        await message.answer("\n".join(lines))
        return
    await state.set_state(NewCampaign.preview)
    await message.answer(_("👀 <b>Preview</b>: this is exactly what recipients get:"))
    await send_campaign_message(bot, message.chat.id, data["text_zh"], data.get("photo"))
    if data.get("text_en"):
        await message.answer(_("Residents who use English get:"))
        await send_campaign_message(bot, message.chat.id, data["text_en"], data.get("photo"))
    audience = _audience(data)
    cells = await _cells_by_id(session)
    lines = [
        _("<b>Summary</b>"),
        _("To: {audience}").format(audience=views.audience_summary(audience, cells)),
        views.reach_line(await subs.preview_audience(session, audience)),
    ]
    lines += _timing_lines(schedule, first, now, user.language, runtime, is_now=data["sched"]["kind"] == "now")
    if not data.get("text_en"):
        lines.append(_("No English text: everyone gets the Chinese one."))
    lines.append(_("Schedule it?"))
    await message.answer("\n".join(lines), reply_markup=kb.confirm_keyboard())


async def confirm_campaign(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    data = await state.get_data()
    if await state.get_state() != NewCampaign.preview.state or "text_zh" not in data:
        await query.answer(_("This draft is gone: start again with /newcampaign."), show_alert=True)
        return
    await state.clear()  # first: a double tap finds no draft and cannot schedule it twice
    runtime = campaign_runtime
    schedule = _schedule(data["sched"], runtime.clock(), runtime)
    try:
        info = await runtime.scheduler.create(
            author_id=user.id, audience=_audience(data), text_zh=data["text_zh"], text_en=data.get("text_en"),
            photo=data.get("photo"), schedule=schedule,
        )  # fmt: skip
    except CampaignError:
        await query.answer(
            _("It cannot be scheduled: a place was retired meanwhile, or the timing has no run left. "
              "Please start again with /newcampaign."),  # fmt: skip
            show_alert=True,
        )
        return
    await accounts.audit(
        session, user.id, "campaign.create", str(info.id), {"audience": info.audience.to_json(), "timing": data["sched"]}
    )
    await query.answer()
    await _edit(query, None, None)
    await query.message.answer(
        _("✅ Campaign #{id} is scheduled. Next run: {when}.\nYou will get its statistics after each run. "
          "/campaigns to pause, edit or cancel it.").format(  # fmt: skip
            id=info.id, when=views.when(info.next_run_at, user.language, runtime.tz)
        )
    )


async def discard_campaign(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await _edit(query, None, None)
    await query.message.answer(_("Discarded. Nothing was sent."))


# =============================================================================================
# staff: existing campaigns
# =============================================================================================


async def _card(session: AsyncSession, info: CampaignInfo, locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
    runs = [r for r in await service.list_runs(session, info.id) if r.targeted]
    text = views.campaign_card(info, await _cells_by_id(session), locale, runs[-1] if runs else None)
    return text, kb.campaign_keyboard(info.id, info.status)


async def _campaigns_list(session: AsyncSession, locale: str, tz: str) -> tuple[str, InlineKeyboardMarkup | None]:
    items = await service.list_campaigns(session, statuses={CampaignStatus.ACTIVE, CampaignStatus.PAUSED})
    if not items:
        return _("No active or paused campaigns. Create one with /newcampaign."), None
    items = items[-CAMPAIGNS_LISTED:]
    lines = [_("<b>Campaigns</b>: {n} active or paused.").format(n=len(items))]
    for info in items:
        line = f"<b>#{info.id}</b> · {views.status_name(info.status)}"
        if info.status is CampaignStatus.ACTIVE:
            line += " · " + _("next run {when}").format(when=views.when(info.next_run_at, locale, tz))
        lines.append(line + "\n    " + views.excerpt(info.text_zh, 60))
    lines.append(_("Tap one to pause, resume, edit or cancel it."))
    buttons = [(info.id, unescape(views.excerpt(info.text_zh, 30))) for info in items]
    return "\n".join(lines), kb.campaigns_list_keyboard(buttons)


async def campaigns_command(
    message: Message, session: AsyncSession, user: UserInfo, state: FSMContext, campaign_runtime: CampaignRuntime
) -> None:
    await state.clear()
    text, markup = await _campaigns_list(session, user.language, campaign_runtime.tz)
    await message.answer(text, reply_markup=markup)


async def campaigns_list_button(
    query: CallbackQuery, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    await query.answer()
    await _edit(query, *await _campaigns_list(session, user.language, campaign_runtime.tz))


async def campaign_button(
    query: CallbackQuery, callback_data: CampCb, state: FSMContext, session: AsyncSession, user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    a, campaign_id = callback_data.a, callback_data.id
    info = await service.get_campaign(session, campaign_id)
    if info is None:
        await query.answer(_("No such campaign."), show_alert=True)
        return
    scheduler = campaign_runtime.scheduler
    try:
        if a in ("pause", "resume", "cancelok", "noen"):
            if a == "pause":
                info = await scheduler.pause(campaign_id)
                toast = _("Paused.")
            elif a == "resume":
                info = await scheduler.resume(campaign_id)
                toast = _("Resumed.")
            elif a == "cancelok":
                info = await scheduler.cancel(campaign_id)
                toast = _("Cancelled: no more runs.")
            else:
                info = await scheduler.edit(campaign_id, text_en=None)
                toast = _("English text removed.")
            await accounts.audit(session, user.id, f"campaign.{a}", str(campaign_id))
            await query.answer(toast)
            session.expire_all()
            await _edit(query, *await _card(session, info, user.language))
            return
    except CampaignError:
        await query.answer(_("Campaign #{id} can no longer be changed.").format(id=campaign_id), show_alert=True)
        await _edit(query, *await _card(session, info, user.language))
        return
    if a == "open":
        await query.answer()
        await _edit(query, *await _card(session, info, user.language))
        return
    if info.status not in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        await query.answer(_("Campaign #{id} can no longer be changed.").format(id=campaign_id), show_alert=True)
        return
    await query.answer()
    if a == "cancel":
        await _edit(query, None, kb.cancel_confirm_keyboard(campaign_id))
    elif a == "back":
        await _edit(query, None, kb.campaign_keyboard(campaign_id, info.status))
    elif a == "edit":
        await _edit(query, None, kb.campaign_edit_keyboard(campaign_id, bool(info.text_en)))
    elif a in ("etext", "eten"):
        await state.clear()
        await state.set_state(EditCampaign.text_zh if a == "etext" else EditCampaign.text_en)
        await state.update_data(edit_id=campaign_id)
        prompt = (
            _("Send the new Chinese text of campaign #{id}. It applies to the runs to come.")
            if a == "etext"
            else _("Send the new English text of campaign #{id}. It applies to the runs to come.")
        )
        await query.message.answer(prompt.format(id=campaign_id))
    elif a == "etime":
        await state.clear()
        await state.update_data(edit_id=campaign_id)
        await _ask_timing(query.message, state, campaign_runtime)


async def edit_campaign_text(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    text, photo = _content(message)
    if not text or photo:
        await message.answer(_("Please send a text."))
        return
    english = await state.get_state() == EditCampaign.text_en.state
    campaign_id = int((await state.get_data()).get("edit_id") or 0)
    info = await service.get_campaign(session, campaign_id)
    if info is None:
        await state.clear()
        await message.answer(_("No such campaign."))
        return
    limit = MAX_CAPTION if info.photo else MAX_TEXT
    if len(text) > limit:
        await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
        return
    await state.clear()
    try:
        info = await campaign_runtime.scheduler.edit(campaign_id, **({"text_en": text} if english else {"text_zh": text}))
    except CampaignError:
        await message.answer(_("Campaign #{id} can no longer be changed.").format(id=campaign_id))
        return
    await accounts.audit(session, user.id, "campaign.edit", str(campaign_id), {"text": "en" if english else "zh"})
    await message.answer(_("✅ Campaign #{id} updated.").format(id=campaign_id))
    session.expire_all()
    card, markup = await _card(session, info, user.language)
    await message.answer(card, reply_markup=markup)


# =============================================================================================


async def _denied_button(query: CallbackQuery) -> None:
    await query.answer(_("⛔ This command is for staff only."), show_alert=True)


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
    router.callback_query.register(subscription_button, SubCb.filter())

    staff = Router(name=__name__ + ".staff")
    staff.message.filter(HasRole(Role.CAMPAIGN_STAFF))
    staff.callback_query.filter(HasRole(Role.CAMPAIGN_STAFF))
    staff.message.register(cells_command, Command("cells"))
    staff.message.register(new_cell_command, Command("newcell"))
    staff.message.register(new_campaign_command, Command("newcampaign"))
    staff.message.register(campaigns_command, Command("campaigns"))
    staff.message.register(cell_name, CellForm.name)
    staff.message.register(cell_address, CellForm.address)
    staff.message.register(cell_edit_name, CellForm.edit_name)
    staff.message.register(cell_edit_address, CellForm.edit_address)
    staff.callback_query.register(cell_button, CellCb.filter())
    staff.callback_query.register(audience_button, AudCb.filter(), NewCampaign.audience)
    staff.message.register(campaign_text_zh, NewCampaign.text_zh)
    staff.message.register(campaign_text_en, NewCampaign.text_en)
    staff.callback_query.register(skip_english, CampCb.filter(F.a == "skipen"), NewCampaign.text_en)
    staff.callback_query.register(timing_button, TimeCb.filter())
    staff.message.register(timing_at, NewCampaign.at)
    staff.message.register(timing_month_day, NewCampaign.month_day)
    staff.message.register(timing_time, NewCampaign.time)
    staff.message.register(timing_end, NewCampaign.end)
    staff.callback_query.register(confirm_campaign, CampCb.filter(F.a == "ok"))
    staff.callback_query.register(discard_campaign, CampCb.filter(F.a == "drop"))
    staff.message.register(edit_campaign_text, StateFilter(EditCampaign.text_zh, EditCampaign.text_en))
    staff.callback_query.register(campaign_button, CampCb.filter(F.id > 0))
    staff.callback_query.register(campaigns_list_button, CampCb.filter(F.a == "list"))
    staff.callback_query.register(_stale_button, AudCb.filter())
    staff.callback_query.register(_stale_button, CampCb.filter())

    denied = Router(name=__name__ + ".denied")
    denied.message.register(not_allowed, Command(*STAFF_COMMANDS))
    for factory in (CellCb, AudCb, TimeCb, CampCb):
        denied.callback_query.register(_denied_button, factory.filter())

    router.include_routers(staff, denied)
    return router


async def _stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This step is over."), show_alert=True)
