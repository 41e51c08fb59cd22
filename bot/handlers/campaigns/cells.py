"""Campaign staff manage the waste-free places ("cells"): /cells lists them (paged), a card per
place edits its name, address, kind and town/street, retires or brings it back, and gives its
subscribe link and QR code; /newcell (or the list's button) asks name → kind → town/street →
address.

Every press re-reads the place; one that is gone gets a friendly answer. Every change is audited.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime
from bot.handlers.campaigns.shared import edit
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import CellAction, CellCb
from bot.views import campaigns as views
from campaigns import cells as cells_service
from campaigns.cells import CellError, CellInfo
from core import accounts
from core.accounts import UserInfo

MAX_NAME = 128
MAX_ADDRESS = 256


class CellForm(StatesGroup):
    name = State()
    kind = State()
    unit = State()
    address = State()
    edit_name = State()
    edit_address = State()


async def _cells_page(session: AsyncSession, page: int) -> tuple[str, InlineKeyboardMarkup]:
    cells = await cells_service.list_cells(session, include_retired=True)
    pages = max(1, -(-len(cells) // kb.CELLS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = cells[page * kb.CELLS_PER_PAGE : (page + 1) * kb.CELLS_PER_PAGE]
    lines = [_("<b>Waste-free cells</b> ({n})").format(n=len(cells))]
    if not cells:
        lines.append(_("None yet: add the first one."))
    lines += [f"#{c.id} {views.cell_line(c)}" for c in shown]
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    return "\n".join(lines), kb.cells_list_keyboard(shown, page, pages)


async def show_card(target: Message, cell: CellInfo, runtime: CampaignRuntime, *, in_place: bool) -> None:
    """A place's card: the message of the pressed button becomes it (``in_place``), or a new one."""
    link = cells_service.deep_link(await runtime.bot_username(), cell.id)
    text, markup = views.cell_card(cell, link), kb.cell_card_keyboard(cell)
    if in_place:
        await target.edit_text(text, reply_markup=markup)
    else:
        await target.answer(text, reply_markup=markup)


async def text_field(message: Message, limit: int) -> str | None:
    text = (message.text or "").strip()
    if not text or len(text) > limit:
        await message.answer(_("Please send a text of 1 to {n} characters.").format(n=limit))
        return None
    return text


def _ask_name_text() -> str:
    return _("New waste-free cell. What is its name? (e.g. 澄江实验小学)")


# --- the list and a new place -------------------------------------------------------------------


async def cells_command(message: Message, session: AsyncSession, state: FSMContext) -> None:
    await state.clear()
    text, markup = await _cells_page(session, 0)
    await message.answer(text, reply_markup=markup)


async def show_page(query: CallbackQuery, callback_data: CellCb, session: AsyncSession) -> None:
    await edit(query, *await _cells_page(session, callback_data.id))


async def new_cell_command(message: Message, state: FSMContext) -> None:
    await state.set_state(CellForm.name)
    await message.answer(_ask_name_text())


async def new_cell_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CellForm.name)
    await query.message.answer(_ask_name_text())


async def cell_name(message: Message, state: FSMContext) -> None:
    if (name := await text_field(message, MAX_NAME)) is None:
        return
    await state.update_data(name=name)
    await state.set_state(CellForm.kind)
    markup = kb.kinds_keyboard(lambda k: CellCb(action=CellAction.NEW_KIND, value=k))
    await message.answer(_("What kind of waste-free cell is it?"), reply_markup=markup)


async def new_cell_kind(query: CallbackQuery, callback_data: CellCb, state: FSMContext) -> None:
    await state.update_data(kind=callback_data.value)
    await state.set_state(CellForm.unit)
    markup = kb.units_keyboard(
        (), lambda c: CellCb(action=CellAction.NEW_UNIT, value=c), CellCb(action=CellAction.PAGE)
    )
    await edit(query, _("Which town or street is it in?"), markup)


async def new_cell_unit(query: CallbackQuery, callback_data: CellCb, state: FSMContext) -> None:
    await state.update_data(unit=callback_data.value)
    await state.set_state(CellForm.address)
    await edit(query, _("Its address? (optional)"), kb.single_button(_("Skip"), CellCb(action=CellAction.SKIP_ADDRESS)))


async def cell_address(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    if (address := await text_field(message, MAX_ADDRESS)) is None:
        return
    await _create_cell(message, state, session, user, campaign_runtime, address)


async def skip_address(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    await _create_cell(query.message, state, session, user, campaign_runtime, None)


async def new_cell_step_over(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A button of a new place's form pressed at another step (or after the form ended)."""
    callback_answer.text = _("This step is over: start again with /newcell.")
    callback_answer.show_alert = True


async def _create_cell(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    runtime: CampaignRuntime,
    address: str | None,
) -> None:
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
    await message.answer(
        _("✅ Waste-free cell #{id} created. Print its QR code: scanning it subscribes residents.").format(id=cell.id)
    )
    await show_card(message, cell, runtime, in_place=False)


def build() -> Router:
    """The list and the new-place form (staff only: the package sets the role filter)."""
    router = Router(name=__name__)
    router.message.register(cells_command, Command("cells"))
    router.message.register(new_cell_command, Command("newcell"))
    router.message.register(cell_name, CellForm.name)
    router.message.register(cell_address, CellForm.address)
    press = router.callback_query.register
    press(show_page, CellCb.filter(F.action == CellAction.PAGE))
    press(new_cell_button, CellCb.filter(F.action == CellAction.NEW))
    press(new_cell_kind, CellCb.filter(F.action == CellAction.NEW_KIND), CellForm.kind)
    press(new_cell_unit, CellCb.filter(F.action == CellAction.NEW_UNIT), CellForm.unit)
    press(skip_address, CellCb.filter(F.action == CellAction.SKIP_ADDRESS), CellForm.address)
    form_steps = {CellAction.NEW_KIND, CellAction.NEW_UNIT, CellAction.SKIP_ADDRESS}
    press(new_cell_step_over, CellCb.filter(F.action.in_(form_steps)))
    return router
