"""The card of one waste-free place, for campaign staff: its subscribe link and QR code, and
edits of its name, address, kind and town/street; retire it or bring it back.

Every press re-reads the place (one that is gone gets a friendly answer); every change is audited.
"""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime
from bot.handlers.campaigns.cells import MAX_ADDRESS, MAX_NAME, CellForm, show_card, text_field
from bot.handlers.campaigns.shared import edit
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import CellAction, CellCb
from campaigns import cells as cells_service
from campaigns.cells import CellError, CellInfo
from core import accounts
from core.accounts import UserInfo


async def _cell(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CellCb, session: AsyncSession
) -> CellInfo | None:
    cell = await cells_service.get_cell(session, callback_data.id)
    if cell is None:
        callback_answer.text = _("That waste-free cell no longer exists. Send /cells.")
        callback_answer.show_alert = True
    return cell


async def _saved(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    session: AsyncSession,
    user: UserInfo,
    runtime: CampaignRuntime,
    cell: CellInfo,
    changes: dict,
    *,
    in_place: bool = True,
) -> None:
    await accounts.audit(session, user.id, "cell.edit", str(cell.id), changes)
    callback_answer.text = _("✅ Saved.")
    await show_card(query.message, cell, runtime, in_place=in_place)


async def show(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    session: AsyncSession,
    campaign_runtime: CampaignRuntime,
) -> None:
    if cell := await _cell(query, callback_answer, callback_data, session):
        await show_card(query.message, cell, campaign_runtime, in_place=True)


async def send_link(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    session: AsyncSession,
    campaign_runtime: CampaignRuntime,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    link = cells_service.deep_link(await campaign_runtime.bot_username(), cell.id)
    await query.message.answer(
        _("Link for <b>{name}</b>: opening it subscribes to this waste-free cell in one tap.\n{link}").format(
            name=escape(cell.name), link=escape(link)
        )
    )


async def send_qr(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    session: AsyncSession,
    bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    link = cells_service.deep_link(await campaign_runtime.bot_username(), cell.id)
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(cells_service.qr_png(link), filename=f"wufei-cell-{cell.id}.png"),
        caption=_(
            "QR code of <b>{name}</b>: print it at the place. Scanning it subscribes to its news.\n{link}"
        ).format(name=escape(cell.name), link=escape(link)),
    )


async def ask_name(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    await state.set_state(CellForm.edit_name)
    await state.update_data(cell_id=cell.id)
    await query.message.answer(_("New name for {name}?").format(name=escape(cell.name)))


async def ask_address(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    await state.set_state(CellForm.edit_address)
    await state.update_data(cell_id=cell.id)
    await query.message.answer(
        _("New address for {name}?").format(name=escape(cell.name)),
        reply_markup=kb.single_button(_("Remove the address"), CellCb(action=CellAction.NO_ADDRESS, id=cell.id)),
    )


async def remove_address(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    await state.clear()
    cell = await cells_service.edit_cell(session, cell.id, clear_address=True)
    await _saved(query, callback_answer, session, user, campaign_runtime, cell, {"address": None}, in_place=False)


async def choose_kind(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CellCb, session: AsyncSession
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    markup = kb.kinds_keyboard(lambda k: CellCb(action=CellAction.SET_KIND, id=cell.id, value=k), {cell.kind.value})
    await edit(query, None, markup)


async def set_kind(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    cell = await cells_service.edit_cell(session, cell.id, kind=callback_data.value)
    await _saved(query, callback_answer, session, user, campaign_runtime, cell, {"kind": callback_data.value})


async def choose_unit(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CellCb, session: AsyncSession
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    markup = kb.units_keyboard(
        [cell.unit_code],
        lambda c: CellCb(action=CellAction.SET_UNIT, id=cell.id, value=c),
        CellCb(action=CellAction.SHOW, id=cell.id),
    )
    await edit(query, None, markup)


async def set_unit(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    try:
        cell = await cells_service.edit_cell(session, cell.id, unit_code=callback_data.value)
    except CellError:
        return
    await _saved(query, callback_answer, session, user, campaign_runtime, cell, {"unit": callback_data.value})


async def retire_or_restore(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CellCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    if (cell := await _cell(query, callback_answer, callback_data, session)) is None:
        return
    retire = callback_data.action is CellAction.RETIRE
    cell = await cells_service.retire_cell(session, cell.id, retire)
    await accounts.audit(session, user.id, f"cell.{callback_data.action.value}", str(cell.id))
    callback_answer.text = _("Retired.") if retire else _("The waste-free cell takes part again.")
    await show_card(query.message, cell, campaign_runtime, in_place=True)


async def edit_name(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    if (name := await text_field(message, MAX_NAME)) is not None:
        await _apply_edit(message, state, session, user, campaign_runtime, name=name)


async def edit_address(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    if (address := await text_field(message, MAX_ADDRESS)) is not None:
        await _apply_edit(message, state, session, user, campaign_runtime, address=address)


async def _apply_edit(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, runtime: CampaignRuntime, **changes: str
) -> None:
    cell_id = (await state.get_data()).get("cell_id")
    await state.clear()
    try:
        cell = await cells_service.edit_cell(session, int(cell_id), **changes)
    except (CellError, TypeError, ValueError):
        await message.answer(_("That waste-free cell no longer exists. Send /cells."))
        return
    await accounts.audit(session, user.id, "cell.edit", str(cell.id), {k: str(v) for k, v in changes.items()})
    await message.answer(_("✅ Saved."))
    await show_card(message, cell, runtime, in_place=False)


def build() -> Router:
    """A place's card (staff only: the package sets the role filter)."""
    router = Router(name=__name__)
    router.message.register(edit_name, CellForm.edit_name)
    router.message.register(edit_address, CellForm.edit_address)
    press = router.callback_query.register
    press(show, CellCb.filter(F.action == CellAction.SHOW))
    press(send_link, CellCb.filter(F.action == CellAction.LINK))
    press(send_qr, CellCb.filter(F.action == CellAction.QR))
    press(ask_name, CellCb.filter(F.action == CellAction.NAME))
    press(ask_address, CellCb.filter(F.action == CellAction.ADDRESS))
    press(remove_address, CellCb.filter(F.action == CellAction.NO_ADDRESS))
    press(choose_kind, CellCb.filter(F.action == CellAction.KIND))
    press(set_kind, CellCb.filter(F.action == CellAction.SET_KIND))
    press(choose_unit, CellCb.filter(F.action == CellAction.UNIT))
    press(set_unit, CellCb.filter(F.action == CellAction.SET_UNIT))
    press(retire_or_restore, CellCb.filter(F.action.in_({CellAction.RETIRE, CellAction.RESTORE})))
    return router
