"""Steps 4-8: type, amount, witnessed and plate, description, anonymity. Each answered question
keeps the chosen option in the chat (``show_choice``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager, on
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import (
    PLATE_RE,
    ReportFlow,
    ReportStep,
    after_answer,
    draft_gone,
    flow_draft,
    go,
    load,
    show_choice,
)
from bot.keyboards import reports as kb
from bot.keyboards.reports import FlowAction as A, FlowCb
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc
from reports.models import Amount, WasteType

Answer = Callable[[dict], "tuple[State, str] | None"]


async def _answer(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    scenes: ScenesManager,
    session: AsyncSession,
    user: UserInfo,
    reports,
    step: State,
    question: str,
    update: Answer,
    **_kw: Any,
) -> None:
    """A reporter's answer to ``step`` by button: ``update`` writes it into the draft and names the
    next step and the chosen option's label (None: the value is not one of ours, an old or forged
    button)."""
    draft = await flow_draft(query, callback_answer, state, session, user, reports, step)
    if draft is None:
        return
    answered = update(draft.data)
    if answered is None:
        return
    nxt, label = answered
    await show_choice(query, question, label)
    await go(scenes, session, reports, user, draft.data, nxt)


class WasteTypeStep(ReportStep, state=ReportFlow.waste_type.state):
    @staticmethod
    def question() -> str:
        return _("🗑 What kind of waste is it?")

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(self.question(), reply_markup=kb.waste_types(user.language))

    @on.callback_query(FlowCb.filter(F.a == A.WASTE_TYPE))
    async def chosen(self, query: CallbackQuery, callback_data: FlowCb, user: UserInfo, **kw: Any) -> None:
        def update(data: dict) -> tuple[State, str] | None:
            if callback_data.v not in {w.value for w in WasteType}:
                return None
            data["waste_type"] = callback_data.v
            return after_answer(data, ReportFlow.amount), view.waste_label(user.language, callback_data.v)

        await _answer(query, user=user, step=ReportFlow.waste_type, question=self.question(), update=update, **kw)


class AmountStep(ReportStep, state=ReportFlow.amount.state):
    @staticmethod
    def question() -> str:
        return _("⚖️ How much is there?")

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(self.question(), reply_markup=kb.amounts(user.language))

    @on.callback_query(FlowCb.filter(F.a == A.AMOUNT))
    async def chosen(self, query: CallbackQuery, callback_data: FlowCb, user: UserInfo, **kw: Any) -> None:
        def update(data: dict) -> tuple[State, str] | None:
            if callback_data.v not in {x.value for x in Amount}:
                return None
            data["amount"] = callback_data.v
            return after_answer(data, ReportFlow.witnessed), view.amount_label(user.language, callback_data.v)

        await _answer(query, user=user, step=ReportFlow.amount, question=self.question(), update=update, **kw)


class WitnessedStep(ReportStep, state=ReportFlow.witnessed.state):
    @staticmethod
    def question() -> str:
        return _("👀 Did you see it being dumped?")

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(self.question(), reply_markup=kb.yes_no_witnessed(user.language))

    @on.callback_query(FlowCb.filter(F.a == A.WITNESSED))
    async def chosen(self, query: CallbackQuery, callback_data: FlowCb, user: UserInfo, **kw: Any) -> None:
        def update(data: dict) -> tuple[State, str]:
            saw = callback_data.v == "1"
            data["witnessed"] = saw
            if not saw:
                data["plate"] = None
            label = _(kb.BTN_SAW_IT) if saw else _(kb.BTN_DID_NOT_SEE)
            return (ReportFlow.plate if saw else after_answer(data, ReportFlow.description)), label

        await _answer(query, user=user, step=ReportFlow.witnessed, question=self.question(), update=update, **kw)


def clean_plate(text: str) -> str | None:
    """A plate number, loosely validated (苏B12345, 苏B·D12345, 沪A 1234学); None if it is not one."""
    cleaned = re.sub(r"[\s·.\-•・]", "", text).upper()
    if PLATE_RE.match(cleaned) and any(c.isdigit() for c in cleaned):
        return cleaned
    return None


class PlateStep(ReportStep, state=ReportFlow.plate.state):
    @staticmethod
    def question() -> str:
        return _("🚗 If you saw a vehicle, type its plate number (e.g. 苏B12345). Otherwise press Skip.")

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(self.question(), reply_markup=kb.skip(user.language, "plate"))

    @on.callback_query(FlowCb.filter((F.a == A.SKIP) & (F.v == "plate")))
    async def skipped(self, query: CallbackQuery, **kw: Any) -> None:
        def update(data: dict) -> tuple[State, str]:
            data["plate"] = None
            return after_answer(data, ReportFlow.description), _(kb.BTN_SKIP)

        await _answer(query, step=ReportFlow.plate, question=self.question(), update=update, **kw)

    @on.message()
    async def typed(
        self,
        message: Message,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
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
        await go(scenes, session, reports, user, draft.data, after_answer(draft.data, ReportFlow.description))


class DescriptionStep(ReportStep, state=ReportFlow.description.state):
    @staticmethod
    def question() -> str:
        return _("📝 Anything the staff should know? Type a short description (up to 500 characters), or press Skip.")

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(self.question(), reply_markup=kb.skip(user.language, "desc"))

    @on.callback_query(FlowCb.filter((F.a == A.SKIP) & (F.v == "desc")))
    async def skipped(self, query: CallbackQuery, **kw: Any) -> None:
        def update(data: dict) -> tuple[State, str]:
            data["description"] = None
            return after_answer(data, ReportFlow.anonymous), _(kb.BTN_SKIP)

        await _answer(query, step=ReportFlow.description, question=self.question(), update=update, **kw)

    @on.message()
    async def typed(
        self,
        message: Message,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        draft = await load(session, reports, user.id)
        if draft is None:
            await draft_gone(message, state)
            return
        text = (message.text or "").strip()
        if not text or text.startswith("/"):
            await self.ask(message, session, user, draft.data)
            return
        if len(text) > svc.MAX_DESCRIPTION:
            await message.answer(
                _("That is {n} characters; please keep it under {max}.").format(n=len(text), max=svc.MAX_DESCRIPTION),
                reply_markup=kb.skip(user.language, "desc"),
            )
            return
        draft.data["description"] = text
        await go(scenes, session, reports, user, draft.data, after_answer(draft.data, ReportFlow.anonymous))


class AnonymousStep(ReportStep, state=ReportFlow.anonymous.state):
    @staticmethod
    def question() -> str:
        return _("🙈 Should the unit's staff see your name? By default your report is anonymous to them.")

    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(self.question(), reply_markup=kb.anonymity(user.language))

    @on.callback_query(FlowCb.filter(F.a == A.ANONYMOUS))
    async def chosen(self, query: CallbackQuery, callback_data: FlowCb, **kw: Any) -> None:
        def update(data: dict) -> tuple[State, str]:
            data["anonymous"] = callback_data.v != "0"
            return ReportFlow.confirm, _(kb.BTN_ANONYMOUS if data["anonymous"] else kb.BTN_NAMED)

        await _answer(query, step=ReportFlow.anonymous, question=self.question(), update=update, **kw)


SCENES = (WasteTypeStep, AmountStep, WitnessedStep, PlateStep, DescriptionStep, AnonymousStep)
