"""Step 9: the summary, changing a field from it, and "Send the report": the report is stored with
what it owes people (the resident's receipt, the unit's post) in the outbox, which sends them
(``bot/notifications/reports.py``).

"✏️ Change something" shows one button per field; a field's button goes to the step that asks it,
with everything else in the draft kept, and that step's answer comes back to the summary.

A press handled again after a restart (``redelivered``, bot/inbox.py) whose draft is gone was
handled before: the report exists, its receipt is in the outbox, and nothing new is said
(``submit_draft`` is compare-and-set, so a second report cannot be made either)."""

from __future__ import annotations

import contextlib
import logging
from html import escape
from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager, on
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import (
    ReportFlow,
    ReportStep,
    drop_buttons,
    flow_draft,
    go,
    limit_text,
    load,
)
from bot.keyboards import reports as kb
from bot.keyboards.menu import main_menu
from bot.keyboards.reports import EditField, FlowAction, FlowCb
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc
from reports.service import ReportError, ReportErrorCode

log = logging.getLogger(__name__)

EDIT_STEPS: dict[EditField, State] = {field: getattr(ReportFlow, field.value) for field in EditField}


class ConfirmStep(ReportStep, state=ReportFlow.confirm.state):
    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        await message.answer(
            view.draft_summary(user.language, data, data.get("route_unit")), reply_markup=kb.confirm(user.language)
        )

    @on.callback_query(FlowCb.filter(F.a == FlowAction.EDIT_MENU))
    async def edit_menu(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        if await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.confirm) is None:
            return
        with contextlib.suppress(TelegramAPIError):
            await query.message.edit_reply_markup(reply_markup=kb.edit_fields(user.language))

    @on.callback_query(FlowCb.filter(F.a == FlowAction.SUMMARY))
    async def back_to_summary(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        if await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.confirm) is None:
            return
        with contextlib.suppress(TelegramAPIError):
            await query.message.edit_reply_markup(reply_markup=kb.confirm(user.language))

    @on.callback_query(FlowCb.filter(F.a == FlowAction.EDIT))
    async def edit(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        callback_data: FlowCb,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.confirm)
        if draft is None:
            return
        try:
            step = EDIT_STEPS[EditField(callback_data.v)]
        except ValueError:
            callback_answer.text = _("This button is out of date: please use the latest message.")
            return
        await drop_buttons(query)
        draft.data["editing"] = True
        await go(scenes, session, reports, user, draft.data, step)

    @on.callback_query(FlowCb.filter(F.a.in_({FlowAction.SEND, FlowAction.DISCARD})))
    async def decided(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        callback_data: FlowCb,
        state: FSMContext,
        session: AsyncSession,
        user: UserInfo,
        reports,
        settings,
        redelivered: bool = False,
        **_kw: Any,
    ) -> None:
        if redelivered and await load(session, reports, user.id) is None:
            return  # sent before the restart
        draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.confirm)
        if draft is None:
            return
        await drop_buttons(query)  # cosmetic (the spent buttons): a failure here must not cost the report
        if callback_data.a == FlowAction.DISCARD:
            await svc.clear_draft(session, user.id)
            await state.clear()
            await query.message.answer(_("Discarded. Nothing was sent."), reply_markup=main_menu())
            return
        if query.message is not None:  # a button in the private chat always has its message
            await submit(query.message, state, session, user, reports, settings)


async def submit(
    message: Message | InaccessibleMessage, state: FSMContext, session: AsyncSession, user: UserInfo, reports, settings
) -> None:
    try:
        created = await svc.submit_draft(
            session, user.id, daily_limit=settings.report_daily_limit, router=reports.router, clock=reports.clock
        )
    except ReportError as error:
        if error.code == ReportErrorCode.NO_DRAFT:
            return  # a double tap: the first press sent it
        if error.code == ReportErrorCode.DAILY_LIMIT:
            await state.clear()
            await svc.clear_draft(session, user.id)
            await message.answer(limit_text(settings.report_daily_limit), reply_markup=main_menu())
            return
        log.warning("draft of %s not accepted: %s", user.id, error)
        await message.answer(
            _("Something in this report is not complete ({problem}). Please check it: /report").format(
                problem=escape(error.code.value)
            )
        )
        return
    await state.clear()
    log.info("report %s stored", created.ticket)  # the receipt is on its way through the outbox


SCENES = (ConfirmStep,)
