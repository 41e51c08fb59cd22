"""The timing steps, of a new campaign (step 4) or of an edited one, each an aiogram Scene: now,
once at a date and time, or every day / chosen weekdays / day of the month at a time, until an
optional end date. Each answer is checked (a time in the past, a day 32 and such get a friendly
retry). Editing a campaign's timing (``manage``) opens ``TimingStep`` with ``edit_id`` in the data.
A timing button pressed at another step gets "this step is over" (``build``)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router, flags
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager, on
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime
from bot.handlers.campaigns.preview import timing_done
from bot.handlers.campaigns.scheduling import example_datetime, local_today
from bot.handlers.campaigns.shared import edit, toggled
from bot.handlers.campaigns.states import NewCampaign
from bot.handlers.campaigns.wizard import STAFF, CampaignStep, not_command
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import TimeAction, TimeCb
from bot.views import campaigns as views
from campaigns.schedule import parse_date, parse_datetime, parse_time
from core.accounts import UserInfo


def _press(action: TimeAction):
    """A timing button, pressed by campaign staff."""
    return on.callback_query(TimeCb.filter(F.action == action), STAFF)


_typed = on.message(STAFF, not_command)  # a typed answer (commands go on to their routers)

# The two presses that end in the preview, several messages paced to one chat: the spinner stops first.
_preview_follows = flags.callback_answer(pre=True)


async def _chosen(query: CallbackQuery) -> None:
    """The timing buttons go once one is chosen."""
    await edit(query, None, None)


class TimingStep(CampaignStep, state=NewCampaign.timing.state):
    async def ask(self, message: Message, state: FSMContext, campaign_runtime: CampaignRuntime, **kw: Any) -> None:
        data = await state.get_data()
        head = (
            _("New timing of campaign #{id}: when should it go out?").format(id=data["edit_id"])
            if data.get("edit_id")
            else _("Step 4 of 4: when should it go out?")
        )
        tz, quiet = campaign_runtime.tz, campaign_runtime.quiet
        await message.answer(
            head + "\n" + _("Times are in {tz}.").format(tz=tz) + "\n" + views.quiet_text(quiet),
            reply_markup=kb.timing_keyboard(),
        )

    @_preview_follows
    @_press(TimeAction.NOW)
    async def now(
        self,
        query: CallbackQuery,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        bot: Bot,
        campaign_runtime: CampaignRuntime,
    ) -> None:
        await _chosen(query)
        await state.update_data(sched={"kind": "now"})
        await timing_done(query.message, state, scenes, session, user, bot, campaign_runtime)

    @_press(TimeAction.AT)
    async def at(self, query: CallbackQuery, scenes: ScenesManager) -> None:
        await _chosen(query)
        await scenes.enter(NewCampaign.at)

    @_press(TimeAction.DAILY)
    async def daily(self, query: CallbackQuery, state: FSMContext, scenes: ScenesManager) -> None:
        await _chosen(query)
        await state.update_data(sched={"kind": "daily"})
        await scenes.enter(NewCampaign.time)

    @_press(TimeAction.WEEKLY)
    async def weekly(self, query: CallbackQuery, state: FSMContext, scenes: ScenesManager) -> None:
        await _chosen(query)
        await state.update_data(sched={"kind": "weekly", "weekdays": []})
        await scenes.enter(NewCampaign.weekdays)

    @_press(TimeAction.MONTHLY)
    async def monthly(self, query: CallbackQuery, state: FSMContext, scenes: ScenesManager) -> None:
        await _chosen(query)
        await state.update_data(sched={"kind": "monthly"})
        await scenes.enter(NewCampaign.month_day)


class AtStep(CampaignStep, state=NewCampaign.at.state):
    """Once, at a date and time."""

    async def ask(self, message: Message, campaign_runtime: CampaignRuntime, **kw: Any) -> None:
        await message.answer(
            _("Send the date and time ({tz}), e.g. <code>{example}</code>.").format(
                tz=campaign_runtime.tz, example=example_datetime(campaign_runtime)
            )
        )

    @_typed
    async def typed(
        self,
        message: Message,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        bot: Bot,
        campaign_runtime: CampaignRuntime,
    ) -> None:
        try:
            when = parse_datetime(message.text or "", campaign_runtime.tz)
        except ValueError:
            await message.answer(
                _("I could not read that. Please write it like <code>{example}</code>.").format(
                    example=example_datetime(campaign_runtime)
                )
            )
            return
        if when <= campaign_runtime.clock():
            await message.answer(_("That time has passed. Please send a time in the future."))
            return
        await state.update_data(sched={"kind": "at", "at": when.isoformat()})
        await timing_done(message, state, scenes, session, user, bot, campaign_runtime)


class WeekdaysStep(CampaignStep, state=NewCampaign.weekdays.state):
    async def ask(self, message: Message, user: UserInfo, **kw: Any) -> None:
        await message.answer(_("On which days of the week?"), reply_markup=kb.weekdays_keyboard((), user.language))

    @_press(TimeAction.WEEKDAY)
    async def toggle(self, query: CallbackQuery, callback_data: TimeCb, state: FSMContext, user: UserInfo) -> None:
        sched = dict((await state.get_data()).get("sched") or {"kind": "weekly"})
        sched["weekdays"] = sorted(toggled(list(sched.get("weekdays") or []), callback_data.day))
        await state.update_data(sched=sched)
        await edit(query, None, kb.weekdays_keyboard(sched["weekdays"], user.language))

    @_press(TimeAction.WEEKDAYS_DONE)
    async def done(
        self, query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, scenes: ScenesManager
    ) -> None:
        if not ((await state.get_data()).get("sched") or {}).get("weekdays"):
            callback_answer.text = _("Choose at least one day.")
            callback_answer.show_alert = True
            return
        await _chosen(query)
        await scenes.enter(NewCampaign.time)


class MonthDayStep(CampaignStep, state=NewCampaign.month_day.state):
    async def ask(self, message: Message, **kw: Any) -> None:
        await message.answer(_("On which day of the month (1–31)? A day a month does not have means its last day."))

    @_typed
    async def typed(self, message: Message, state: FSMContext, scenes: ScenesManager) -> None:
        text = (message.text or "").strip()
        if not text.isdigit() or not 1 <= int(text) <= 31:
            await message.answer(_("Please send a number from 1 to 31."))
            return
        await state.update_data(sched={"kind": "monthly", "month_day": int(text)})
        await scenes.enter(NewCampaign.time)


class TimeStep(CampaignStep, state=NewCampaign.time.state):
    """The time of day of a repeated campaign."""

    async def ask(self, message: Message, **kw: Any) -> None:
        await message.answer(_("At what time? (HH:MM, e.g. <code>09:30</code>)"))

    @_typed
    async def typed(self, message: Message, state: FSMContext, scenes: ScenesManager) -> None:
        try:
            time = parse_time(message.text or "")
        except ValueError:
            await message.answer(_("Please send a time like <code>09:30</code>."))
            return
        sched = dict((await state.get_data()).get("sched") or {})
        sched["time"] = time.strftime("%H:%M")
        await state.update_data(sched=sched)
        await scenes.enter(NewCampaign.end)


class EndStep(CampaignStep, state=NewCampaign.end.state):
    """The last day of a repeated campaign, or none."""

    async def ask(self, message: Message, **kw: Any) -> None:
        await message.answer(
            _("Until which date (YYYY-MM-DD, included)?"),
            reply_markup=kb.single_button(_("No end date"), TimeCb(action=TimeAction.NO_END)),
        )

    @_typed
    async def typed(
        self,
        message: Message,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        bot: Bot,
        campaign_runtime: CampaignRuntime,
    ) -> None:
        try:
            end = parse_date(message.text or "")
        except ValueError:
            await message.answer(_("Please send a date like <code>2026-12-31</code>."))
            return
        if end < local_today(campaign_runtime):
            await message.answer(_("That date has passed. Please send a date in the future."))
            return
        sched = dict((await state.get_data()).get("sched") or {})
        sched["end"] = end.isoformat()
        await state.update_data(sched=sched)
        await timing_done(message, state, scenes, session, user, bot, campaign_runtime)

    @_preview_follows
    @_press(TimeAction.NO_END)
    async def no_end(
        self,
        query: CallbackQuery,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        bot: Bot,
        campaign_runtime: CampaignRuntime,
    ) -> None:
        await _chosen(query)
        await timing_done(query.message, state, scenes, session, user, bot, campaign_runtime)


SCENES = (TimingStep, AtStep, WeekdaysStep, MonthDayStep, TimeStep, EndStep)


async def step_over(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A timing button pressed at another step (or after the draft ended)."""
    callback_answer.text = _("This step is over.")
    callback_answer.show_alert = True


def build() -> Router:
    """Staff only: the package sets the role filter. The steps' own buttons are the scenes'."""
    router = Router(name=__name__)
    router.callback_query.register(step_over, TimeCb.filter())
    return router
