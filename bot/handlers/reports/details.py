"""Steps 4-8: type, amount, witnessed and plate, description, anonymity."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    CallbackQuery,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import (
    PLATE_RE,
    STEPS,
    ReportFlow,
    ask,
    draft_gone,
    flow_draft,
    go,
    load,
)
from bot.keyboards import reports as kb
from bot.keyboards.reports import FlowCb
from core.accounts import UserInfo
from reports import service as svc
from reports.models import Amount, WasteType


async def _answer(query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, session: AsyncSession, user: UserInfo, reports,
                  step: State, update: Callable[[dict], State | None]) -> None:
    """A reporter's answer to ``step`` by button: ``update`` writes it into the draft and names the
    next step (None: the value is not one of ours, an old or forged button)."""
    draft = await flow_draft(query, callback_answer, state, session, user, reports, step)
    if draft is None:
        return
    nxt = update(draft.data)
    if nxt is None:
        return
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    await go(query.message, state, session, reports, user, draft.data, nxt)


async def choose_waste_type(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext,
                            session: AsyncSession, user: UserInfo, reports, **_kw: Any) -> None:
    def update(data: dict) -> State | None:
        if callback_data.v not in {w.value for w in WasteType}:
            return None
        data["waste_type"] = callback_data.v
        return ReportFlow.amount

    await _answer(query, callback_answer, state, session, user, reports, ReportFlow.waste_type, update)


async def choose_amount(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                        user: UserInfo, reports, **_kw: Any) -> None:
    def update(data: dict) -> State | None:
        if callback_data.v not in {x.value for x in Amount}:
            return None
        data["amount"] = callback_data.v
        return ReportFlow.witnessed

    await _answer(query, callback_answer, state, session, user, reports, ReportFlow.amount, update)


async def choose_witnessed(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext,
                           session: AsyncSession, user: UserInfo, reports, **_kw: Any) -> None:
    def update(data: dict) -> State:
        saw = callback_data.v == "1"
        data["witnessed"] = saw
        if not saw:
            data["plate"] = None
        return ReportFlow.plate if saw else ReportFlow.description

    await _answer(query, callback_answer, state, session, user, reports, ReportFlow.witnessed, update)


async def choose_anonymity(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext,
                           session: AsyncSession, user: UserInfo, reports, **_kw: Any) -> None:
    def update(data: dict) -> State:
        data["anonymous"] = callback_data.v != "0"
        return ReportFlow.confirm

    await _answer(query, callback_answer, state, session, user, reports, ReportFlow.anonymous, update)


async def skip_step(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                    user: UserInfo, reports, **_kw: Any) -> None:
    expected = ReportFlow.plate if callback_data.v == "plate" else ReportFlow.description
    draft = await flow_draft(query, callback_answer, state, session, user, reports, expected)
    if draft is None:
        return
    data = draft.data
    if expected == ReportFlow.plate:
        data["plate"] = None
        nxt = ReportFlow.description
    else:
        data["description"] = None
        nxt = ReportFlow.anonymous
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    await go(query.message, state, session, reports, user, data, nxt)


def clean_plate(text: str) -> str | None:
    """A plate number, loosely validated (苏B12345, 苏B·D12345, 沪A 1234学); None if it is not one."""
    cleaned = re.sub(r"[\s·.\-•・]", "", text).upper()
    if PLATE_RE.match(cleaned) and any(c.isdigit() for c in cleaned):
        return cleaned
    return None


async def step_plate(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                     reports, **_kw: Any) -> None:
    draft = await load(session, reports, user.id)
    if draft is None:
        await draft_gone(message, state)
        return
    plate = clean_plate(message.text or "") if message.text and not message.text.startswith("/") else None
    if plate is None:
        await message.answer(
            _("That doesn't look like a plate number (e.g. 苏B12345). Type it again, or press Skip."),
            reply_markup=kb.skip(user.language, "plate"),
        )
        return
    draft.data["plate"] = plate
    await go(message, state, session, reports, user, draft.data, ReportFlow.description)


async def step_description(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                           reports, **_kw: Any) -> None:
    draft = await load(session, reports, user.id)
    if draft is None:
        await draft_gone(message, state)
        return
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await ask(message, session, user, draft.data, ReportFlow.description)
        return
    if len(text) > svc.MAX_DESCRIPTION:
        await message.answer(
            _("That is {n} characters; please keep it under {max}.").format(n=len(text), max=svc.MAX_DESCRIPTION),
            reply_markup=kb.skip(user.language, "desc"),
        )
        return
    draft.data["description"] = text
    await go(message, state, session, reports, user, draft.data, ReportFlow.anonymous)


async def step_buttons(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                       reports, **_kw: Any) -> None:
    """A message where a button is expected: ask again."""
    draft = await load(session, reports, user.id)
    if draft is None:
        await draft_gone(message, state)
        return
    step = STEPS.get(draft.step, ReportFlow.photos)
    await message.answer(_("Please choose one of the buttons (or /cancel)."))
    await ask(message, session, user, draft.data, step)
