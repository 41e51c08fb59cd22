"""Drafts a restart left behind: the next message is taken as the answer to the saved step, by that
step's scene."""

from __future__ import annotations

from typing import Any, cast

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import STEPS, ReportStep, load
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc


class LostDraft(Filter):
    """A message with no conversation state while a draft saved by an earlier run exists."""

    async def __call__(
        self, message: Message, session: AsyncSession, user: UserInfo | None, reports=None
    ) -> bool | dict:
        if user is None or reports is None or not reports.resume_lost_drafts or (message.text or "").startswith("/"):
            return False
        if user.id not in reports.lost_draft_users:
            return False  # no draft from an earlier run: no database lookup on every message
        draft = await load(session, reports, user.id)
        if draft is None or draft.data.get("instance") == reports.instance:
            reports.lost_draft_users.discard(user.id)
        if draft is None or draft.data.get("instance") == reports.instance or draft.step not in STEPS:
            return False
        return {"lost_draft": draft}


async def resume_lost(
    message: Message, lost_draft: svc.Draft, scenes: ScenesManager, state: FSMContext, user: UserInfo, **data: Any
) -> None:
    await message.answer(
        _("🔄 I was restarted, but your report is safe. We were at: {step}.").format(
            step=view.step_label(user.language, lost_draft.step)
        )
    )
    step = cast(type[ReportStep], scenes.registry.get(lost_draft.step))  # a draft's step is one of ours
    await step.resume(message, scenes=scenes, state=state, user=user, **data)
