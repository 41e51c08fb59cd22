"""Step 9: the summary and "Send the report": the report is stored with what it owes people (the
resident's receipt, the unit's post) in the outbox, which sends them (``bot/notifications/reports.py``).

A press handled again after a restart (``redelivered``, bot/inbox.py) whose draft is gone was
handled before: the report exists, its receipt is in the outbox, and nothing new is said
(``submit_draft`` is compare-and-set, so a second report cannot be made either)."""

from __future__ import annotations

import contextlib
import logging
from html import escape
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import ReportFlow, flow_draft, limit_text, load
from bot.keyboards.menu import main_menu
from bot.keyboards.reports import FlowAction, FlowCb
from core.accounts import UserInfo
from reports import service as svc
from reports.service import ReportError, ReportErrorCode

log = logging.getLogger(__name__)


async def confirm(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                  user: UserInfo, reports, settings, redelivered: bool = False, **_kw: Any) -> None:
    if redelivered and await load(session, reports, user.id) is None:
        return  # sent before the restart
    draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.confirm)
    if draft is None:
        return
    # Cosmetic (the spent buttons): a failure here must not cost the report.
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.a == FlowAction.DISCARD:
        await svc.clear_draft(session, user.id)
        await state.clear()
        await query.message.answer(_("Discarded. Nothing was sent."), reply_markup=main_menu())
        return
    try:
        created = await svc.submit_draft(session, user.id, daily_limit=settings.report_daily_limit,
                                         router=reports.router, clock=reports.clock)
    except ReportError as error:
        if error.code == ReportErrorCode.NO_DRAFT:
            return  # a double tap: the first press sent it
        if error.code == ReportErrorCode.DAILY_LIMIT:
            await state.clear()
            await svc.clear_draft(session, user.id)
            await query.message.answer(limit_text(settings.report_daily_limit), reply_markup=main_menu())
            return
        log.warning("draft of %s not accepted: %s", user.id, error)
        await query.message.answer(
            _("Something in this report is not complete ({problem}). Please check it: /report").format(
                problem=escape(error.code.value)))
        return
    await state.clear()
    log.info("report %s stored", created.ticket)  # the receipt is on its way through the outbox
