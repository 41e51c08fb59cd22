"""``/report`` and the menu button: start a report, or continue or restart an unfinished one."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import (
    CallbackQuery,
    Message,
)
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import (
    STEPS,
    ReportFlow,
    go,
    limit_text,
    load,
    show_choice,
)
from bot.keyboards import reports as kb
from bot.keyboards.menu import main_menu
from bot.keyboards.reports import FlowAction, FlowCb
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc


async def start_report(
    message: Message,
    state: FSMContext,
    scenes: ScenesManager,
    session: AsyncSession,
    user: UserInfo,
    reports,
    settings,
    **_kw: Any,
) -> None:
    draft = await load(session, reports, user.id)
    if draft is not None:
        await message.answer(
            _("📝 You have an unfinished report (at: {step}). Continue it or start over?").format(
                step=view.step_label(user.language, draft.step)
            ),
            reply_markup=kb.resume_or_restart(user.language),
        )
        return
    await begin(message, state, scenes, session, user, reports, settings)


async def begin(
    message: Message, state: FSMContext, scenes: ScenesManager, session: AsyncSession, user: UserInfo, reports, settings
) -> None:
    quota = await svc.daily_quota(session, user.id, settings.report_daily_limit, clock=reports.clock)
    if not quota.allowed:
        await state.clear()
        await message.answer(limit_text(settings.report_daily_limit), reply_markup=main_menu())
        return
    await go(scenes, session, reports, user, {"photos": []}, ReportFlow.photos)


async def continue_or_restart(
    query: CallbackQuery,
    callback_data: FlowCb,
    state: FSMContext,
    scenes: ScenesManager,
    session: AsyncSession,
    user: UserInfo,
    reports,
    settings,
    **_kw: Any,
) -> None:
    label = kb.BTN_START_OVER if callback_data.a == FlowAction.START_OVER else kb.BTN_CONTINUE
    await show_choice(query, None, _(label))
    draft = await load(session, reports, user.id)
    if callback_data.a == FlowAction.START_OVER or draft is None:
        await svc.clear_draft(session, user.id)
        await begin(query.message, state, scenes, session, user, reports, settings)
        return
    await go(scenes, session, reports, user, draft.data, STEPS.get(draft.step, ReportFlow.photos))
