"""/campaigns: the active and paused campaigns; a card per campaign pauses, resumes, edits (its
Chinese or English text, or its timing) or cancels it (after a confirmation).

Every press re-reads the campaign; a change goes through the campaign scheduler, which refuses a
campaign that can no longer change (the card is then redrawn as it is). Every change is audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from html import unescape

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.campaigns import CampaignRuntime
from bot.handlers.campaigns.shared import cells_by_id, content, edit
from bot.handlers.campaigns.states import EditCampaign, NewCampaign
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import CampAction, CampCb
from bot.views import campaigns as views
from campaigns import service
from campaigns.models import CampaignStatus, RunStatus
from campaigns.progress import run_stats
from campaigns.service import MAX_CAPTION, MAX_TEXT, CampaignError, CampaignInfo
from core import accounts
from core.accounts import UserInfo

CAMPAIGNS_LISTED = 30
CHANGEABLE = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)


async def _card(session: AsyncSession, info: CampaignInfo, locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
    runs = [r for r in await service.list_runs(session, info.id) if r.targeted or r.status is RunStatus.RUNNING]
    last = runs[-1] if runs else None
    live = await run_stats(session, last.id) if last is not None and last.status is RunStatus.RUNNING else None
    text = views.campaign_card(info, await cells_by_id(session), locale, last, live)
    return text, kb.campaign_keyboard(info.id, info.status)


async def _campaigns_list(session: AsyncSession, locale: str, tz: str) -> tuple[str, InlineKeyboardMarkup | None]:
    items = await service.list_campaigns(session, statuses=set(CHANGEABLE))
    if not items:
        return _("No active or paused campaigns. Create one with /newcampaign."), None
    items = items[-CAMPAIGNS_LISTED:]
    lines = [_("<b>Campaigns</b>: {n} active or paused.").format(n=len(items))]
    for info in items:
        line = f"<b>#{info.id}</b> · {views.status_name(info.status)}"
        if info.status is CampaignStatus.ACTIVE:
            line += " · " + _("next run {when}").format(when=views.when(info.next_run_at, locale, tz))
        lines.append(line + "\n    " + views.excerpt(info.text_zh, 60))
    lines.append(_("Tap one to pause, resume, edit or cancel it."))
    buttons = [(info.id, unescape(views.excerpt(info.text_zh, 30))) for info in items]
    return "\n".join(lines), kb.campaigns_list_keyboard(buttons)


async def _campaign(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CampCb, session: AsyncSession
) -> CampaignInfo | None:
    info = await service.get_campaign(session, callback_data.id)
    if info is None:
        callback_answer.text = _("No such campaign.")
        callback_answer.show_alert = True
    return info


async def _changeable(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CampCb, session: AsyncSession
) -> CampaignInfo | None:
    """The campaign, if it may still change (the press is then answered)."""
    if (info := await _campaign(query, callback_answer, callback_data, session)) is None:
        return None
    if info.status not in CHANGEABLE:
        callback_answer.text = _("Campaign #{id} can no longer be changed.").format(id=info.id)
        callback_answer.show_alert = True
        return None
    return info


async def _change(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    session: AsyncSession,
    user: UserInfo,
    change: Callable[[int], Awaitable[CampaignInfo]],
    toast: str,
) -> None:
    """Apply ``change`` through the scheduler, audit it and redraw the card."""
    if (info := await _campaign(query, callback_answer, callback_data, session)) is None:
        return
    try:
        info = await change(info.id)
    except CampaignError:
        callback_answer.text = _("Campaign #{id} can no longer be changed.").format(id=info.id)
        callback_answer.show_alert = True
        await edit(query, *await _card(session, info, user.language))
        return
    await accounts.audit(session, user.id, f"campaign.{callback_data.action.value}", str(info.id))
    callback_answer.text = toast
    session.expire_all()
    await edit(query, *await _card(session, info, user.language))


# --- the list and a card ------------------------------------------------------------------------


async def campaigns_command(
    message: Message, session: AsyncSession, user: UserInfo, state: FSMContext, campaign_runtime: CampaignRuntime
) -> None:
    await state.clear()
    text, markup = await _campaigns_list(session, user.language, campaign_runtime.tz)
    await message.answer(text, reply_markup=markup)


async def show_list(
    query: CallbackQuery, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    await edit(query, *await _campaigns_list(session, user.language, campaign_runtime.tz))


async def show(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CampCb, session: AsyncSession, user: UserInfo
) -> None:
    if info := await _campaign(query, callback_answer, callback_data, session):
        await edit(query, *await _card(session, info, user.language))


async def back(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CampCb, session: AsyncSession
) -> None:
    if info := await _changeable(query, callback_answer, callback_data, session):
        await edit(query, None, kb.campaign_keyboard(info.id, info.status))


# --- changes ------------------------------------------------------------------------------------


async def pause(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    await _change(query, callback_answer, callback_data, session, user, campaign_runtime.scheduler.pause, _("Paused."))


async def resume(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    await _change(
        query, callback_answer, callback_data, session, user, campaign_runtime.scheduler.resume, _("Resumed.")
    )


async def ask_cancel(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CampCb, session: AsyncSession
) -> None:
    if info := await _changeable(query, callback_answer, callback_data, session):
        await edit(query, None, kb.cancel_confirm_keyboard(info.id))


async def cancel(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    toast = _("Cancelled: no more runs.")
    await _change(query, callback_answer, callback_data, session, user, campaign_runtime.scheduler.cancel, toast)


async def remove_english(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    session: AsyncSession,
    user: UserInfo,
    campaign_runtime: CampaignRuntime,
) -> None:
    change = partial(campaign_runtime.scheduler.edit, text_en=None)
    await _change(query, callback_answer, callback_data, session, user, change, _("English text removed."))


async def edit_menu(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CampCb, session: AsyncSession
) -> None:
    if info := await _changeable(query, callback_answer, callback_data, session):
        await edit(query, None, kb.campaign_edit_keyboard(info.id, bool(info.text_en)))


async def ask_text(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    if (info := await _changeable(query, callback_answer, callback_data, session)) is None:
        return
    chinese = callback_data.action is CampAction.EDIT_ZH
    await state.clear()
    await state.set_state(EditCampaign.text_zh if chinese else EditCampaign.text_en)
    await state.update_data(edit_id=info.id)
    prompt = (
        _("Send the new Chinese text of campaign #{id}. It applies to the runs to come.")
        if chinese
        else _("Send the new English text of campaign #{id}. It applies to the runs to come.")
    )
    await query.message.answer(prompt.format(id=info.id))


async def ask_timing_again(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CampCb,
    state: FSMContext,
    session: AsyncSession,
    scenes: ScenesManager,
) -> None:
    if (info := await _changeable(query, callback_answer, callback_data, session)) is None:
        return
    await state.clear()
    await state.update_data(edit_id=info.id)
    await scenes.enter(NewCampaign.timing)  # the timing steps of a new campaign, saving to this one


async def edit_text(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, campaign_runtime: CampaignRuntime
) -> None:
    text, photo = content(message)
    if not text or photo:
        await message.answer(_("Please send a text."))
        return
    english = await state.get_state() == EditCampaign.text_en.state
    campaign_id = int((await state.get_data()).get("edit_id") or 0)
    info = await service.get_campaign(session, campaign_id)
    if info is None:
        await state.clear()
        await message.answer(_("No such campaign."))
        return
    limit = MAX_CAPTION if info.photo else MAX_TEXT
    if len(text) > limit:
        await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
        return
    await state.clear()
    try:
        new_text = {"text_en": text} if english else {"text_zh": text}
        info = await campaign_runtime.scheduler.edit(campaign_id, **new_text)
    except CampaignError:
        await message.answer(_("Campaign #{id} can no longer be changed.").format(id=campaign_id))
        return
    await accounts.audit(session, user.id, "campaign.edit", str(campaign_id), {"text": "en" if english else "zh"})
    await message.answer(_("✅ Campaign #{id} updated.").format(id=campaign_id))
    session.expire_all()
    card, markup = await _card(session, info, user.language)
    await message.answer(card, reply_markup=markup)


def build() -> Router:
    """Staff only: the package sets the role filter."""
    router = Router(name=__name__)
    router.message.register(campaigns_command, Command("campaigns"))
    router.message.register(edit_text, StateFilter(EditCampaign.text_zh, EditCampaign.text_en))
    router.callback_query.register(show_list, CampCb.filter(F.action == CampAction.LIST))

    def press(handler, *actions: CampAction) -> None:
        router.callback_query.register(handler, CampCb.filter(F.action.in_(set(actions)) & (F.id > 0)))

    press(show, CampAction.SHOW)
    press(back, CampAction.BACK)
    press(pause, CampAction.PAUSE)
    press(resume, CampAction.RESUME)
    press(ask_cancel, CampAction.CANCEL)
    press(cancel, CampAction.CANCEL_CONFIRMED)
    press(remove_english, CampAction.REMOVE_EN)
    press(edit_menu, CampAction.EDIT)
    press(ask_text, CampAction.EDIT_ZH, CampAction.EDIT_EN)
    press(ask_timing_again, CampAction.EDIT_TIMING)
    return router
