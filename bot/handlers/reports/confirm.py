"""Step 9: the summary and "Send the report": the report is stored, then the unit is told.

A press handled again after a restart (``redelivered``, bot/inbox.py) whose draft is gone was
handled before: the report exists and nothing new is said (``submit_draft`` is compare-and-set, so
a second report cannot be made either)."""

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
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import ReportFlow, flow_draft, limit_text, load
from bot.keyboards.menu import main_menu
from bot.keyboards.reports import FlowAction, FlowCb
from bot.notifications.reports import post_report
from core.accounts import UserInfo
from core.units import unit_name
from reports import service as svc
from reports.service import ReportError, ReportErrorCode

log = logging.getLogger(__name__)


async def confirm(query: CallbackQuery, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                  user: UserInfo, reports, settings, redelivered: bool = False, **_kw: Any) -> None:
    if redelivered and await load(session, reports, user.id) is None:
        return  # sent before the restart
    draft = await flow_draft(query, state, session, user, reports, ReportFlow.confirm)
    if draft is None:
        return
    with contextlib.suppress(TelegramAPIError):  # a redelivered press may be answered already
        await query.answer()
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
    report = created.report
    await query.message.answer(
        _("✅ Thank you! Your report <b>{ticket}</b> was sent to {unit}.\n"
          "I'll tell you of every change; /myreports shows its status.").format(
            ticket=report.ticket, unit=escape(unit_name(report.unit_code) or "")),
        reply_markup=main_menu(),
    )
    await post_report(reports, session, report)
