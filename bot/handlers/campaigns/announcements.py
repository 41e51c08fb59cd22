"""The buttons under an announcement (``bot.features.campaigns`` renders them): a resident stops
the subscription that brought it, at once, and may undo that; or stops every announcement.

Each press says what happened in a toast; the message keeps only what makes sense next (undo after
an unsubscribe, nothing after "stop all" or an undo that cannot be done).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.campaigns.shared import cells_by_id, edit
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import AnnAction, AnnCb
from bot.views.announcements import subscription_name
from campaigns import subscriptions as subs
from campaigns.subscriptions import SubscriptionError, SubscriptionInfo
from core.accounts import UserInfo


async def _name(session: AsyncSession, sub: SubscriptionInfo) -> str:
    return subscription_name(sub, await cells_by_id(session))


async def unsubscribe(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: AnnCb, session: AsyncSession, user: UserInfo
) -> None:
    sub = SubscriptionInfo(callback_data.target, callback_data.value)
    name = await _name(session, sub)
    if await subs.unsubscribe(session, user.id, sub.target, sub.value):
        callback_answer.text = _("🔕 Unsubscribed from {what}. You can undo it.").format(what=name)
        await edit(query, None, kb.undo_keyboard(sub))
    else:
        callback_answer.text = _("You no longer follow {what}.").format(what=name)
        await edit(query, None, None)


async def undo(
    query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: AnnCb, session: AsyncSession, user: UserInfo
) -> None:
    sub = SubscriptionInfo(callback_data.target, callback_data.value)
    name = await _name(session, sub)
    try:
        await subs.subscribe(session, user.id, sub.target, sub.value)
    except SubscriptionError:
        callback_answer.text = _("This waste-free cell no longer takes part.")
        callback_answer.show_alert = True
        await edit(query, None, None)
        return
    callback_answer.text = _("✅ Subscribed again: {what}").format(what=name)
    await edit(query, None, kb.announcement_keyboard(sub, name))


async def stop_all(
    query: CallbackQuery, callback_answer: CallbackAnswer, session: AsyncSession, user: UserInfo
) -> None:
    await subs.unsubscribe_all(session, user.id)
    callback_answer.text = _("🔕 You will get no more announcements. Send /subscribe to choose again.")
    await edit(query, None, None)


def build() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(unsubscribe, AnnCb.filter(F.action == AnnAction.UNSUBSCRIBE))
    router.callback_query.register(undo, AnnCb.filter(F.action == AnnAction.UNDO))
    router.callback_query.register(stop_all, AnnCb.filter(F.action == AnnAction.STOP_ALL))
    return router
