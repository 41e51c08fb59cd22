"""The resident's own commands: ``/myreports``, the answer to "is it clean now?", and ``/report``
sent in a group."""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    CallbackQuery,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keyboards.menu import main_menu
from bot.keyboards.reports import FollowupCb
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc
from reports.service import Changed, NotAllowed


async def my_reports(message: Message, session: AsyncSession, user: UserInfo, settings, **_kw: Any) -> None:
    rows = await svc.my_reports(session, user.id, limit=10, include_followed=True)
    if not rows:
        await message.answer(_("You have no reports yet. /report sends one."), reply_markup=main_menu())
        return
    lines = [_("<b>Your reports</b> (and the ones you follow), newest first:")]
    lines += [view.report_line(user.language, r, settings.timezone) for r in rows]
    await message.answer("\n".join(lines))


async def followup_answer(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: FollowupCb,
    session: AsyncSession,
    user: UserInfo,
    reports,
    **_kw: Any,
) -> None:
    outcome = await svc.answer_followup(session, callback_data.r, user.id, callback_data.clean, now=reports.clock())
    if isinstance(outcome, Changed):
        with contextlib.suppress(TelegramAPIError):
            await query.message.edit_reply_markup(reply_markup=None)
        if callback_data.clean:
            await query.message.answer(_("🙏 Thank you for checking! Jiangyin is a little cleaner."))
        else:
            await query.message.answer(_("🔁 Sorry about that! The report is open again and the unit has been told."))
        return
    if isinstance(outcome, NotAllowed) and outcome.reason == "not_reporter":
        callback_answer.text = _("Only the person who reported it can answer.")
        callback_answer.show_alert = True
    elif isinstance(outcome, NotAllowed):
        callback_answer.text = _("You already answered. Thank you!")
    else:
        callback_answer.text = _("This report has changed since; no answer is needed.")
        callback_answer.show_alert = True


async def group_report_hint(message: Message, **_kw: Any) -> None:
    await message.answer(_("📸 To report illegal dumping, write to me in a private chat."))
