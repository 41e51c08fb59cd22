"""The end of the timing steps. For a campaign being edited (``edit_id``), its new timing is
saved; for a new one, the preview shows exactly what recipients get, who and when, and the staff
member schedules it or discards it.

Scheduling clears the draft first: a double tap finds no draft and cannot schedule it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager, on
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime, send_campaign_message
from bot.handlers.campaigns.audience import audience_of
from bot.handlers.campaigns.scheduling import schedule_from, timing_lines
from bot.handlers.campaigns.shared import cells_by_id, edit
from bot.handlers.campaigns.states import NewCampaign
from bot.handlers.campaigns.wizard import STAFF, CampaignStep
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import CampAction, CampCb
from bot.views import campaigns as views
from bot.views.announcements import announcement_text, in_locale
from campaigns import subscriptions as subs
from campaigns.origin import Origin, audience_origin
from campaigns.schedule import Schedule, next_occurrence
from campaigns.service import CampaignError
from core import accounts
from core.accounts import UserInfo


async def timing_done(
    message: Message,
    state: FSMContext,
    scenes: ScenesManager,
    session: AsyncSession,
    user: UserInfo,
    bot: Bot,
    runtime: CampaignRuntime,
) -> None:
    data = await state.get_data()
    now = runtime.clock()
    schedule = schedule_from(data["sched"], now, runtime)
    first = next_occurrence(schedule, now)
    if first is None:
        await message.answer(_("This timing has no run in the future. Please choose again."))
        await scenes.enter(NewCampaign.timing)  # timing.TimingStep asks again
        return
    if data.get("edit_id"):
        await _save_timing(message, state, session, user, runtime, schedule, first, now)
        return
    await scenes.enter(NewCampaign.preview, planned=(schedule, first, now))


class PreviewStep(CampaignStep, state=NewCampaign.preview.state):
    """Exactly what recipients get, who and when; then schedule it or discard it."""

    async def ask(
        self,
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: UserInfo,
        bot: Bot,
        campaign_runtime: CampaignRuntime,
        planned: tuple[Schedule, datetime, datetime],
        **kw: Any,
    ) -> None:
        schedule, first, now = planned
        data = await state.get_data()
        audience = audience_of(data)
        origin = await audience_origin(session, audience)
        await message.answer(_("👀 <b>Preview</b>: this is exactly what recipients get:"))
        await send_campaign_message(bot, message.chat.id, _in("zh", data["text_zh"], origin, data), data.get("photo"))
        if data.get("text_en"):
            await message.answer(_("Residents who use English get:"))
            await send_campaign_message(
                bot, message.chat.id, _in("en", data["text_en"], origin, data), data.get("photo")
            )
        lines = [
            _("<b>Summary</b>"),
            _("To: {audience}").format(audience=views.audience_summary(audience, await cells_by_id(session))),
            views.reach_line(await subs.preview_audience(session, audience)),
        ]
        lines += timing_lines(
            schedule, first, now, user.language, campaign_runtime, is_now=data["sched"]["kind"] == "now"
        )
        if not data.get("text_en"):
            lines.append(_("No English text: everyone gets the Chinese one."))
        lines.append(_("Schedule it?"))
        await message.answer("\n".join(lines), reply_markup=kb.confirm_keyboard())

    @on.callback_query(CampCb.filter(F.action == CampAction.CONFIRM), STAFF)
    async def schedule_it(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        session: AsyncSession,
        user: UserInfo,
        campaign_runtime: CampaignRuntime,
    ) -> None:
        await schedule_draft(query, callback_answer, state, session, user, campaign_runtime)

    @on.callback_query(CampCb.filter(F.action == CampAction.DISCARD), STAFF)
    async def discard_it(self, query: CallbackQuery, state: FSMContext) -> None:
        await discard(query, state)


SCENES = (PreviewStep,)


def _in(locale: str, text: str, origin: Origin, data: dict) -> str:
    """The text as readers of ``locale`` get it, under the sender's line."""
    with in_locale(locale):
        return announcement_text(text, origin, photo=bool(data.get("photo")))


async def _save_timing(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    runtime: CampaignRuntime,
    schedule: Schedule,
    first: datetime,
    now: datetime,
) -> None:
    data = await state.get_data()
    edit_id = data["edit_id"]
    await state.clear()
    try:
        info = await runtime.scheduler.edit(int(edit_id), schedule=schedule)
    except CampaignError:
        await message.answer(_("Campaign #{id} can no longer be changed.").format(id=edit_id))
        return
    await accounts.audit(session, user.id, "campaign.edit", str(info.id), {"timing": data["sched"]})
    lines = [_("✅ Campaign #{id}: new timing saved.").format(id=info.id)]
    is_now = data["sched"]["kind"] == "now"
    lines += timing_lines(schedule, info.next_run_at or first, now, user.language, runtime, is_now=is_now)
    await message.answer("\n".join(lines))


def _draft_gone(callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This draft is gone: start again with /newcampaign.")
    callback_answer.show_alert = True


async def draft_gone(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """Schedule pressed when no draft is at the preview (a double tap, or after /cancel)."""
    _draft_gone(callback_answer)


async def schedule_draft(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    data = await state.get_data()
    if "text_zh" not in data:
        _draft_gone(callback_answer)
        return
    await state.clear()  # first: a double tap finds no draft and cannot schedule it twice
    runtime = campaign_runtime
    schedule = schedule_from(data["sched"], runtime.clock(), runtime)
    try:
        info = await runtime.scheduler.create(
            author_id=user.id,
            audience=audience_of(data),
            text_zh=data["text_zh"],
            text_en=data.get("text_en"),
            photo=data.get("photo"),
            schedule=schedule,
        )
    except CampaignError:
        callback_answer.text = _(
            "It cannot be scheduled: a waste-free cell was retired meanwhile, or the timing "
            "has no run left. Please start again with /newcampaign."
        )
        callback_answer.show_alert = True
        return
    details = {"audience": info.audience.to_json(), "timing": data["sched"]}
    await accounts.audit(session, user.id, "campaign.create", str(info.id), details)
    await edit(query, None, None)
    await query.message.answer(
        _(
            "✅ Campaign #{id} is scheduled. Next run: {when}.\nYou will get its statistics after each run. "
            "/campaigns to pause, edit or cancel it."
        ).format(id=info.id, when=views.when(info.next_run_at, user.language, runtime.tz))
    )


async def discard(query: CallbackQuery, state: FSMContext) -> None:
    """Discard pressed, at the preview or later: whatever draft there is goes."""
    await state.clear()
    await edit(query, None, None)
    await query.message.answer(_("Discarded. Nothing was sent."))


def build() -> Router:
    """Staff only: the package sets the role filter. At the preview, its buttons are the scene's."""
    router = Router(name=__name__)
    router.callback_query.register(draft_gone, CampCb.filter(F.action == CampAction.CONFIRM))
    router.callback_query.register(discard, CampCb.filter(F.action == CampAction.DISCARD))
    return router
