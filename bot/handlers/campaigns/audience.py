"""/newcampaign, step 1: who gets it (an aiogram Scene, ``AudienceStep``). Staff tick every subscriber, kinds of places,
towns/streets or single places (the shared picker); the draft's audience lives in the FSM data as
``aud`` (``Audience.to_json`` form) until the campaign is scheduled.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import Scene, ScenesManager, on
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import HasRole
from bot.handlers.campaigns.picker import Picker, live_cell
from bot.handlers.campaigns.shared import cells_by_id, edit, toggled
from bot.handlers.campaigns.states import NewCampaign
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import AudAction, AudCb
from bot.views import campaigns as views
from campaigns import subscriptions as subs
from campaigns.subscriptions import Audience
from core.models import Role

EMPTY_AUDIENCE = {"everyone": False, "kinds": [], "units": [], "cells": []}

PICKER = Picker.of(AudCb, AudAction, back=AudAction.BACK)


def audience_of(data: dict) -> Audience:
    """The draft's audience, from the FSM data."""
    return Audience.from_json(data.get("aud") or EMPTY_AUDIENCE)


async def _draft_audience(state: FSMContext) -> dict:
    return dict((await state.get_data()).get("aud") or EMPTY_AUDIENCE)


async def _audience_view(session: AsyncSession, data: dict) -> tuple[str, InlineKeyboardMarkup]:
    audience = audience_of(data)
    cells = await cells_by_id(session)
    lines = [
        _("<b>New campaign</b> · step 1 of 4: who should get it?"),
        _(
            "Tick kinds of waste-free cells, towns/streets, single cells, or every subscriber. A kind and a town "
            "together mean, e.g., the markets of 澄江街道."
        ),
        "",
        _("Selected: {audience}").format(audience=views.audience_summary(audience, cells)),
    ]
    if not audience.empty:
        lines.append(views.reach_line(await subs.preview_audience(session, audience)))
    return "\n".join(lines), kb.audience_keyboard(data.get("aud") or EMPTY_AUDIENCE)


async def _redraw(query: CallbackQuery, state: FSMContext, session: AsyncSession, aud: dict) -> None:
    """Keep the audience and show step 1 with it."""
    await state.update_data(aud=aud)
    await edit(query, *await _audience_view(session, {"aud": aud}))


async def new_campaign_command(message: Message, state: FSMContext, scenes: ScenesManager) -> None:
    await state.clear()
    await scenes.enter(AudienceStep)


STAFF = HasRole(Role.CAMPAIGN_STAFF)  # the scene's router is not under the staff router


def _press(action: AudAction):
    """A button of this step, pressed by campaign staff."""
    return on.callback_query(AudCb.filter(F.action == action), STAFF)


class AudienceStep(Scene, state=NewCampaign.audience.state):
    """Step 1 as an aiogram Scene: its buttons are handled only while the draft is at this step
    (elsewhere ``step_over`` answers them); the picker draws on the pressed message."""

    @on.message.enter()
    async def ask(self, message: Message, state: FSMContext, session: AsyncSession) -> None:
        data = {"aud": dict(EMPTY_AUDIENCE)}
        await state.set_data(data)
        text, markup = await _audience_view(session, data)
        await message.answer(text, reply_markup=markup)

    @_press(AudAction.EVERYONE)
    async def toggle_everyone(self, query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
        aud = await _draft_audience(state)
        aud["everyone"] = not aud.get("everyone")
        await _redraw(query, state, session, aud)

    @_press(AudAction.KIND)
    async def toggle_kind(
        self, query: CallbackQuery, callback_data: AudCb, state: FSMContext, session: AsyncSession
    ) -> None:
        aud = await _draft_audience(state)
        aud["kinds"] = toggled(list(aud["kinds"]), callback_data.value)
        await _redraw(query, state, session, aud)

    @_press(AudAction.BACK)
    async def back(self, query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
        await _redraw(query, state, session, await _draft_audience(state))

    @_press(AudAction.UNITS)
    async def show_units(self, query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext) -> None:
        aud = await _draft_audience(state)
        await PICKER.show_units(query, callback_answer, _("📍 Tick towns/streets, then go back."), aud["units"])

    @_press(AudAction.UNIT)
    async def toggle_unit(self, query: CallbackQuery, callback_data: AudCb, state: FSMContext) -> None:
        aud = await _draft_audience(state)
        aud["units"] = toggled(list(aud["units"]), callback_data.value)
        await state.update_data(aud=aud)
        await edit(query, None, PICKER.units_markup(aud["units"]))

    @_press(AudAction.PLACES)
    async def show_places_units(self, query: CallbackQuery, session: AsyncSession) -> None:
        await PICKER.show_places_units(query, session, _("📌 Choose the town or street of the waste-free cells."))

    @_press(AudAction.PLACES_OF_UNIT)
    async def show_places(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        callback_data: AudCb,
        state: FSMContext,
        session: AsyncSession,
    ) -> None:
        aud = await _draft_audience(state)
        template = _("📌 Tick waste-free cells in {unit}.")
        await PICKER.show_places(query, callback_answer, session, callback_data.value, template, aud["cells"])

    @_press(AudAction.CELL)
    async def toggle_cell(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        callback_data: AudCb,
        state: FSMContext,
        session: AsyncSession,
    ) -> None:
        if (cell := await live_cell(query, callback_answer, session, callback_data.cell_id)) is None:
            return
        aud = await _draft_audience(state)
        aud["cells"] = toggled([int(c) for c in aud["cells"]], cell.id)
        await state.update_data(aud=aud)
        await PICKER.redraw_places(query, session, cell.unit_code, aud["cells"])

    @_press(AudAction.NEXT)
    async def to_texts(
        self, query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, scenes: ScenesManager
    ) -> None:
        aud = await _draft_audience(state)
        if Audience.from_json(aud).empty:
            callback_answer.text = _("Choose at least one group of residents.")
            callback_answer.show_alert = True
            return
        await state.update_data(aud=aud)
        await edit(query, None, None)
        await scenes.enter(NewCampaign.text_zh)  # texts.TextZhStep asks for the Chinese text


async def step_over(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A button of step 1 pressed after the draft moved on (or ended)."""
    callback_answer.text = _("This step is over.")
    callback_answer.show_alert = True


SCENES = (AudienceStep,)


def build() -> Router:
    """Staff only: the package sets the role filter. The step's own buttons are the scene's."""
    router = Router(name=__name__)
    router.message.register(new_campaign_command, Command("newcampaign"))
    router.callback_query.register(step_over, AudCb.filter())
    return router
