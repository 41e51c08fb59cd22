"""The timing steps, of a new campaign (step 4) or of an edited one: now, once at a date and
time, or every day / chosen weekdays / day of the month at a time, until an optional end date.
Each answer is checked (a time in the past, a day 32 and such get a friendly retry)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime
from bot.handlers.campaigns.preview import timing_done
from bot.handlers.campaigns.scheduling import example_datetime, local_today
from bot.handlers.campaigns.shared import edit, toggled
from bot.handlers.campaigns.states import NewCampaign
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import TimeAction, TimeCb
from campaigns.schedule import parse_date, parse_datetime, parse_time
from core.accounts import UserInfo


async def _chosen(query: CallbackQuery) -> None:
    """The timing buttons go once one is chosen."""
    await edit(query, None, None)


async def _ask_time(message: Message, state: FSMContext) -> None:
    await state.set_state(NewCampaign.time)
    await message.answer(_("At what time? (HH:MM, e.g. <code>09:30</code>)"))


async def now(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    await _chosen(query)
    await state.update_data(sched={"kind": "now"})
    await timing_done(query.message, state, session, user, bot, campaign_runtime)


async def at(query: CallbackQuery, state: FSMContext, campaign_runtime: CampaignRuntime) -> None:
    await _chosen(query)
    await state.set_state(NewCampaign.at)
    await query.message.answer(
        _("Send the date and time ({tz}), e.g. <code>{example}</code>.").format(
            tz=campaign_runtime.tz, example=example_datetime(campaign_runtime)
        )
    )


async def daily(query: CallbackQuery, state: FSMContext) -> None:
    await _chosen(query)
    await state.update_data(sched={"kind": "daily"})
    await _ask_time(query.message, state)


async def weekly(query: CallbackQuery, state: FSMContext, user: UserInfo) -> None:
    await _chosen(query)
    await state.update_data(sched={"kind": "weekly", "weekdays": []})
    await state.set_state(NewCampaign.weekdays)
    await query.message.answer(_("On which days of the week?"), reply_markup=kb.weekdays_keyboard((), user.language))


async def monthly(query: CallbackQuery, state: FSMContext) -> None:
    await _chosen(query)
    await state.update_data(sched={"kind": "monthly"})
    await state.set_state(NewCampaign.month_day)
    await query.message.answer(_("On which day of the month (1–31)? A day a month does not have means its last day."))


async def toggle_weekday(query: CallbackQuery, callback_data: TimeCb, state: FSMContext, user: UserInfo) -> None:
    sched = dict((await state.get_data()).get("sched") or {"kind": "weekly"})
    sched["weekdays"] = sorted(toggled(list(sched.get("weekdays") or []), callback_data.day))
    await state.update_data(sched=sched)
    await edit(query, None, kb.weekdays_keyboard(sched["weekdays"], user.language))


async def weekdays_done(query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext) -> None:
    if not ((await state.get_data()).get("sched") or {}).get("weekdays"):
        callback_answer.text = _("Choose at least one day.")
        callback_answer.show_alert = True
        return
    await _chosen(query)
    await _ask_time(query.message, state)


async def no_end(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
    await _chosen(query)
    await timing_done(query.message, state, session, user, bot, campaign_runtime)


async def step_over(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This step is over.")
    callback_answer.show_alert = True


async def timing_at(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
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
    await timing_done(message, state, session, user, bot, campaign_runtime)


async def timing_month_day(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 31:
        await message.answer(_("Please send a number from 1 to 31."))
        return
    await state.update_data(sched={"kind": "monthly", "month_day": int(text)})
    await _ask_time(message, state)


async def timing_time(message: Message, state: FSMContext) -> None:
    try:
        time = parse_time(message.text or "")
    except ValueError:
        await message.answer(_("Please send a time like <code>09:30</code>."))
        return
    sched = dict((await state.get_data()).get("sched") or {})
    sched["time"] = time.strftime("%H:%M")
    await state.update_data(sched=sched)
    await state.set_state(NewCampaign.end)
    await message.answer(
        _("Until which date (YYYY-MM-DD, included)?"),
        reply_markup=kb.single_button(_("No end date"), TimeCb(action=TimeAction.NO_END)),
    )


async def timing_end(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, bot: Bot,
    campaign_runtime: CampaignRuntime,
) -> None:  # fmt: skip
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
    await timing_done(message, state, session, user, bot, campaign_runtime)


def build() -> Router:
    """Staff only: the package sets the role filter."""
    router = Router(name=__name__)
    router.message.register(timing_at, NewCampaign.at)
    router.message.register(timing_month_day, NewCampaign.month_day)
    router.message.register(timing_time, NewCampaign.time)
    router.message.register(timing_end, NewCampaign.end)

    def press(handler, action: TimeAction, step, **flags) -> None:
        router.callback_query.register(handler, TimeCb.filter(F.action == action), step, flags=flags)

    # These two end in the preview, several messages paced to one chat: the spinner stops first.
    preview_follows = {"callback_answer": {"pre": True}}
    press(now, TimeAction.NOW, NewCampaign.timing, **preview_follows)
    press(at, TimeAction.AT, NewCampaign.timing)
    press(daily, TimeAction.DAILY, NewCampaign.timing)
    press(weekly, TimeAction.WEEKLY, NewCampaign.timing)
    press(monthly, TimeAction.MONTHLY, NewCampaign.timing)
    press(toggle_weekday, TimeAction.WEEKDAY, NewCampaign.weekdays)
    press(weekdays_done, TimeAction.WEEKDAYS_DONE, NewCampaign.weekdays)
    press(no_end, TimeAction.NO_END, NewCampaign.end, **preview_follows)
    router.callback_query.register(step_over, TimeCb.filter())
    return router
