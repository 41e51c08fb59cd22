"""The staff's side of reports: the buttons on a report card in the unit's chat and the "resolved"
reply with an after photo (the staff commands are in ``queue.py``).

Rules: one handler per button action, registered by a ``StaffCb`` filter on its ``StaffAction``.
Every press re-reads the report and re-checks the caller's role and the status the card was drawn
for (``_checked``); a card drawn for an older status is refreshed instead of acting. Every change
goes through the reports service's compare-and-set and is written to the audit log. A button whose
data no longer parses (an old card, a forged press) falls through to the fallback router's
"this button has expired" answer.
"""

from __future__ import annotations

import contextlib
import logging
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import unit_label
from bot.keyboards import reports as kb
from bot.keyboards.reports import StaffAction, StaffCb
from bot.notifications.reports import refresh_pressed
from bot.views import reports as view
from core import accounts
from core.accounts import Roles, UserInfo
from core.models import Role
from reports import geo, service as svc
from reports.media import MAX_BYTES, MediaError
from reports.models import RejectReason, ReportStatus
from reports.service import Changed, Conflict, NotAllowed

log = logging.getLogger(__name__)


class StaffFlow(StatesGroup):
    resolve = State()


def may_handle(roles: Roles, unit_code: str) -> bool:
    return roles.has(Role.ADMIN) or unit_code in roles.units()


# --------------------------------------------------------------------------------------------
# The card's buttons
# --------------------------------------------------------------------------------------------


async def _checked(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    cb: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    leads_to: ReportStatus | None = None,
) -> svc.ReportInfo | None:
    """The report a press is about, if it exists, the caller may handle it, the card is current and
    (``leads_to``) the report may go to that status from where it is."""
    report = await svc.get(session, cb.r)
    if report is None:
        callback_answer.text = _("This report no longer exists.")
        callback_answer.show_alert = True
        return None
    if not may_handle(roles, report.unit_code):
        callback_answer.text = _("⛔ Only the handlers of {unit} (or admins) can do this.").format(
            unit=unit_label(report.unit_code)
        )
        callback_answer.show_alert = True
        return None
    if report.status != cb.s:
        callback_answer.text = _("Already handled by someone else: it is now {status}.").format(
            status=view.status_label(user.language, report.status)
        )
        callback_answer.show_alert = True
        if isinstance(query.message, Message):
            await refresh_pressed(reports, report, query.message.chat.id, query.message.message_id)
        return None
    if leads_to is not None and leads_to not in svc.allowed_transitions(report.status):
        callback_answer.text = _("That is not possible in the report's current state.")
        callback_answer.show_alert = True
        return None
    return report


async def _swap_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup) -> None:
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramAPIError):
            await query.message.edit_reply_markup(reply_markup=markup)


async def show_reasons(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    if report := await _checked(
        query, callback_answer, callback_data, session, user, roles, reports, ReportStatus.REJECTED
    ):
        await _swap_buttons(query, kb.reject_reasons(reports.settings.default_locale, report.id, report.status))


async def show_units(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    if report := await _checked(query, callback_answer, callback_data, session, user, roles, reports):
        await _swap_buttons(
            query, kb.units(reports.settings.default_locale, report.id, report.status, report.unit_code)
        )


async def back_to_card(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    if report := await _checked(query, callback_answer, callback_data, session, user, roles, reports):
        await _swap_buttons(query, kb.staff_actions(reports.settings.default_locale, report.id, report.status))


async def ask_for_after_photo(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    report = await _checked(query, callback_answer, callback_data, session, user, roles, reports, ReportStatus.RESOLVED)
    if report is None:
        return
    await state.set_state(StaffFlow.resolve)
    await state.set_data({"rid": report.id, "s": report.status.value})
    await reports.bot.send_message(
        query.message.chat.id if query.message else user.id,
        _(
            "🧹 {name}, reply to this message with an “after” photo (put your comment in its caption), "
            "or with a comment only. /cancel to stop."
        ).format(name=escape(user.display_name)),
    )


async def change_status(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    """Accept, start cleaning, reopen: a transition with no argument."""
    report = await _checked(query, callback_answer, callback_data, session, user, roles, reports)
    if report is None:
        return
    status = report.status
    target = {
        StaffAction.ACCEPT: ReportStatus.ACCEPTED,
        StaffAction.START: ReportStatus.IN_PROGRESS,
        StaffAction.REOPEN: ReportStatus.ACCEPTED if status == ReportStatus.RESOLVED else ReportStatus.SUBMITTED,
    }[callback_data.a]
    outcome = await svc.transition(session, report.id, user.id, target, expected_status=status, now=reports.clock())
    await _outcome(query, callback_answer, reports, session, outcome, user, report.id)


async def reject_because(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    try:
        reason = RejectReason(callback_data.x)
    except ValueError:
        callback_answer.text = _("This button has expired. Send /start to begin again.")
        callback_answer.show_alert = True
        return
    report = await _checked(query, callback_answer, callback_data, session, user, roles, reports)
    if report is None:
        return
    outcome = await svc.transition(
        session,
        report.id,
        user.id,
        ReportStatus.REJECTED,
        reason=reason,
        expected_status=report.status,
        now=reports.clock(),
    )
    await _outcome(query, callback_answer, reports, session, outcome, user, report.id)


async def _unit_checked(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    cb: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
) -> svc.ReportInfo | None:
    if not geo.is_valid_unit(cb.x):
        callback_answer.text = _("This button has expired. Send /start to begin again.")
        callback_answer.show_alert = True
        return None
    return await _checked(query, callback_answer, cb, session, user, roles, reports)


async def confirm_unit(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    """A unit picked from the list: ask before moving the report there."""
    report = await _unit_checked(query, callback_answer, callback_data, session, user, roles, reports)
    if report is None:
        return
    callback_answer.text = _("Move {ticket} to {unit}?").format(
        ticket=report.ticket, unit=unit_label(callback_data.x, user.language)
    )
    await _swap_buttons(
        query,
        kb.confirm_unit(reports.settings.default_locale, report.id, report.status, report.ticket, callback_data.x),
    )


async def reassign_to(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    report = await _unit_checked(query, callback_answer, callback_data, session, user, roles, reports)
    if report is None:
        return
    outcome = await svc.reassign(
        session, report.id, user.id, callback_data.x, expected_version=report.version, now=reports.clock()
    )
    await _outcome(query, callback_answer, reports, session, outcome, user, report.id)


# --------------------------------------------------------------------------------------------
# Outcomes and the "resolved" reply
# --------------------------------------------------------------------------------------------


async def _outcome(
    query: CallbackQuery | None,
    callback_answer: CallbackAnswer | None,
    reports,
    session: AsyncSession,
    outcome,
    user: UserInfo,
    report_id: int,
    message: Message | None = None,
) -> None:
    async def say(text: str, alert: bool = False) -> None:
        if callback_answer is not None:
            callback_answer.text = text
            callback_answer.show_alert = alert
        elif message is not None:
            await message.reply(text)

    if isinstance(outcome, Changed):
        event = outcome.event
        await accounts.audit(
            session,
            user.id,
            f"reports.{event.kind.value}",
            outcome.report.ticket,
            {"from": event.old_status, "to": event.new_status, **(event.details or {})},
        )
        status = view.status_label(user.language, outcome.report.status)
        await say(
            _("Done: reopened, {status}.").format(status=status)
            if (event.details or {}).get("reopened")
            else _("Done: {status}.").format(status=status)
        )
        # The recorded card and the people are updated by the outbox; a card pressed elsewhere (an
        # admin's copy) is this answer's business.
        report = outcome.report
        pressed = query.message if query is not None and isinstance(query.message, Message) else None
        if pressed is not None and (pressed.chat.id, pressed.message_id) != (
            report.staff_chat_id,
            report.staff_message_id,
        ):
            await refresh_pressed(reports, report, pressed.chat.id, pressed.message_id)
    elif isinstance(outcome, Conflict):
        await say(
            _("Already handled by someone else: it is now {status}.").format(
                status=view.status_label(user.language, outcome.current_status)
            ),
            alert=True,
        )
        report = await svc.get(session, report_id)
        if report is not None and query is not None and isinstance(query.message, Message):
            await refresh_pressed(reports, report, query.message.chat.id, query.message.message_id)
    elif isinstance(outcome, NotAllowed):
        if outcome.reason == "same_unit":
            await say(_("It is already with this unit."), alert=True)
        else:
            await say(_("That is not possible in the report's current state."), alert=True)
    else:
        await say(_("This report no longer exists."), alert=True)


async def resolve_reply(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    reports,
    bot: Bot,
    **_kw: Any,
) -> None:
    data = await state.get_data()
    report = await svc.get(session, int(data.get("rid", 0)))
    if report is None or not may_handle(roles, report.unit_code):
        await state.clear()
        await message.reply(_("This report no longer exists."))
        return
    photos: list[svc.PhotoIn] = []
    item = message.photo[-1] if message.photo else message.document
    if item is not None:
        if item.file_size and item.file_size > MAX_BYTES:
            await message.reply(_(view.PHOTO_TOO_LARGE))
            return
        try:
            buffer = await bot.download(item.file_id)
            stored = await reports.media.save_async(buffer.getvalue())
        except (TelegramBadRequest, MediaError):
            await message.reply(_(view.PHOTO_NOT_IMAGE))
            return
        photos.append(svc.PhotoIn.of(stored, item.file_id, item.file_unique_id))
    comment = (message.caption if item is not None else message.text) or None
    if item is None and (not comment or comment.startswith("/")):
        await message.reply(_("Send an “after” photo or a comment, or /cancel."))
        return
    outcome = await svc.transition(
        session,
        report.id,
        user.id,
        ReportStatus.RESOLVED,
        comment=comment,
        expected_status=data.get("s"),
        photos=photos,
        now=reports.clock(),
    )
    await state.clear()
    await _outcome(None, None, reports, session, outcome, user, report.id, message=message)


# --------------------------------------------------------------------------------------------
# Wiring
# --------------------------------------------------------------------------------------------


def build() -> Router:
    router = Router(name=__name__)
    press = router.callback_query.register
    press(change_status, StaffCb.filter(F.a.in_({StaffAction.ACCEPT, StaffAction.START, StaffAction.REOPEN})))
    press(ask_for_after_photo, StaffCb.filter(F.a == StaffAction.RESOLVE))
    press(show_reasons, StaffCb.filter(F.a == StaffAction.REJECT))
    press(reject_because, StaffCb.filter(F.a == StaffAction.REJECT_BECAUSE))
    press(show_units, StaffCb.filter(F.a == StaffAction.REASSIGN))
    press(confirm_unit, StaffCb.filter(F.a == StaffAction.REASSIGN_TO))
    press(reassign_to, StaffCb.filter(F.a == StaffAction.REASSIGN_CONFIRMED))
    press(back_to_card, StaffCb.filter(F.a == StaffAction.BACK))
    router.message.register(resolve_reply, StateFilter(StaffFlow.resolve))
    return router
