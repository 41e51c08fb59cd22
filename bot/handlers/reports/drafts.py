"""The report wizard's steps and its draft.

Each step is an aiogram ``Scene`` (``ReportStep``): entering it asks its question, its buttons and
messages answer it. The draft is saved in the database at every step and is the source of truth;
the FSM state (the scene) only says which step we are at. So a button press is checked against
the draft (``flow_draft``), and a lost state is taken back from the draft (``resume``).

From the summary the resident can change one field: the draft is marked ``editing`` and the step
answered next returns to the summary (``after_answer``) instead of going on through the wizard."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from html import escape
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import Scene, ScenesManager, SceneWizard, on
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keyboards.menu import main_menu
from core.accounts import UserInfo
from reports import service as svc

DRAFT_MAX_AGE = timedelta(days=3)


DUPLICATE_RADIUS_M = 250


DUPLICATE_DAYS = 7


GEOCODE_DEADLINE_S = 12.0


PLATE_RE = re.compile(r"^[\u4e00-\u9fffA-Z][A-Z0-9\u4e00-\u9fff]{4,9}$")


class ReportFlow(StatesGroup):
    """The steps' names, as saved in drafts (``ReportFlow:photos``): each is a scene's state."""

    photos = State()
    location = State()
    duplicates = State()
    waste_type = State()
    amount = State()
    witnessed = State()
    plate = State()
    description = State()
    anonymous = State()
    confirm = State()


STEPS = {s.state: s for s in ReportFlow.__all_states__}


async def load(session: AsyncSession, reports, user_id: int) -> svc.Draft | None:
    return await svc.load_draft(session, user_id, max_age=DRAFT_MAX_AGE, now=reports.clock())


async def save(session: AsyncSession, reports, user_id: int, data: dict, step: State) -> None:
    data["instance"] = reports.instance
    await svc.save_draft(session, user_id, data, step.state, now=reports.clock())


def route_unit(reports, lat: float, lon: float) -> str:
    return reports.router.route(lat, lon).unit_code


def after_answer(data: dict, step: State) -> State:
    """The step after an answer: ``step``, or back to the summary when the resident is changing
    one field from it."""
    return ReportFlow.confirm if data.get("editing") else step


async def go(scenes: ScenesManager, session: AsyncSession, reports, user: UserInfo, data: dict, step: State) -> None:
    """Save the draft at ``step``, then enter the step's scene, which asks its question."""
    if step == ReportFlow.confirm:
        data.pop("editing", None)
    await save(session, reports, user.id, data, step)
    await scenes.enter(step.state, draft_data=data)


async def show_choice(query: CallbackQuery, question: str | None, choice: str) -> None:
    """The answered question keeps the chosen option in the chat, in place of its spent buttons
    (``question``: its text; None: the message's own). Cosmetic: a failure must not cost the answer."""
    if not isinstance(query.message, Message):  # too old to be edited
        return
    question = query.message.html_text if question is None else question
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_text(f"{question}\n» <b>{escape(choice)}</b>", reply_markup=None)


async def drop_buttons(query: CallbackQuery) -> None:
    if not isinstance(query.message, Message):
        return  # too old to edit
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)


class ReportStep(Scene, callback_query_without_state=True):
    """One step of the wizard. Buttons are handled whatever the FSM state (the draft decides,
    ``flow_draft``); messages only in the step's own state. Subclasses write ``ask`` and, for a
    step that takes typed answers, an ``@on.message()`` handler named ``typed``."""

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        raise NotImplementedError

    @on.message.enter()
    async def asked_by_message(
        self, message: Message, session: AsyncSession, user: UserInfo, draft_data: dict, **kw: Any
    ) -> None:
        await self.ask(message, session, user, draft_data, **kw)

    @on.callback_query.enter()
    async def asked_by_press(
        self, query: CallbackQuery, session: AsyncSession, user: UserInfo, draft_data: dict, **kw: Any
    ) -> None:
        await self.ask(query.message, session, user, draft_data, **kw)

    @on.message()
    async def typed(
        self, message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports, **kw: Any
    ) -> None:
        """A message where a button is expected: ask again."""
        draft = await load(session, reports, user.id)
        if draft is None:
            await draft_gone(message, state)
            return
        await message.answer(_("Please choose one of the buttons (or /cancel)."))
        await self.ask(message, session, user, draft.data, reports=reports, **kw)

    @classmethod
    async def resume(cls, message: Message, scenes: ScenesManager, state: FSMContext, **data: Any) -> None:
        """Handle ``message`` as this step's answer when the state was lost (``resume.py``)."""
        await state.set_state(cls.__scene_config__.state)
        wizard = SceneWizard(
            scene_config=cls.__scene_config__,
            manager=scenes,
            state=state,
            update_type="message",
            event=message,
            data=data,
        )
        await cls(wizard).typed(message, scenes=scenes, state=state, **data)


async def flow_draft(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    reports,
    *steps: State,
) -> svc.Draft | None:
    """The draft a reporter's button belongs to, or None (and the press is answered)."""
    draft = await load(session, reports, user.id)
    if draft is None:
        callback_answer.text = _("This report is no longer open. Send /report to start a new one.")
        callback_answer.show_alert = True
        return None
    if draft.step not in {s.state for s in steps}:
        callback_answer.text = _("This button is out of date: please use the latest message.")
        return None
    if await state.get_state() != draft.step:
        await state.set_state(draft.step)  # the conversation state was lost: resume from the draft
    return draft


async def draft_gone(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("This report is no longer open. Send /report to start a new one."), reply_markup=main_menu())


def limit_text(limit: int) -> str:
    return _(
        "🙏 You have already sent {limit} reports today, the daily limit. Thank you for caring! "
        "Please send new ones tomorrow."
    ).format(limit=limit)
