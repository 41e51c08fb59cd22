"""Drafts a restart left behind: the next message resumes at the saved step."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    Message,
)
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.details import step_buttons, step_description, step_plate
from bot.handlers.reports.drafts import STEPS, ReportFlow, load
from bot.handlers.reports.photos import step_photos
from bot.handlers.reports.place import step_location
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc

STEP_HANDLERS = {
    ReportFlow.photos.state: step_photos,
    ReportFlow.location.state: step_location,
    ReportFlow.duplicates.state: step_buttons,
    ReportFlow.waste_type.state: step_buttons,
    ReportFlow.amount.state: step_buttons,
    ReportFlow.witnessed.state: step_buttons,
    ReportFlow.plate.state: step_plate,
    ReportFlow.description.state: step_description,
    ReportFlow.anonymous.state: step_buttons,
    ReportFlow.confirm.state: step_buttons,
}


class LostDraft(Filter):
    """A message with no conversation state while a draft saved by an earlier run exists."""

    async def __call__(self, message: Message, session: AsyncSession, user: UserInfo | None,
                       reports=None) -> bool | dict:
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


async def resume_lost(message: Message, lost_draft: svc.Draft, **data: Any) -> None:
    state: FSMContext = data["state"]
    user: UserInfo = data["user"]
    step = STEPS[lost_draft.step]
    await state.set_state(step)
    await message.answer(
        _("🔄 I was restarted, but your report is safe. We were at: {step}.").format(
            step=view.step_label(user.language, lost_draft.step))
    )
    await STEP_HANDLERS[step.state](message, **data)
