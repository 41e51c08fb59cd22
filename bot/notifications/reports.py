"""What the reports feature tells people outside the conversation at hand: the unit's staff card
(photos, pin, card with buttons), its refreshes, the reporter's and followers' status messages, and
the reminders, escalations and follow-up questions of the reminder job.

Handlers and jobs both call these; nothing here reads an update. The sends are direct today: the
durable outbox that makes them survive errors and restarts is the delivery issue's work.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import FSInputFile, InputMediaPhoto, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import gettext_for
from bot.keyboards import reports as kb
from bot.views import reports as view
from core import accounts
from core.accounts import UserInfo
from core.units import unit_name
from reports import service as svc
from reports.models import PhotoKind, ReportStatus
from reports.service import Changed

log = logging.getLogger(__name__)


async def reporter_name(session: AsyncSession, report: svc.ReportInfo) -> str | None:
    if report.anonymous or report.reporter_id is None:
        return None
    who = await accounts.get_user(session, report.reporter_id)
    if who is None:
        return str(report.reporter_id)
    return f"{who.display_name} (@{who.username})" if who.username else who.display_name


def _photo_file(reports, photo: svc.PhotoInfo) -> FSInputFile:
    return FSInputFile(reports.media.path(photo.public_path), filename=f"{photo.sha256[:12]}.jpg")


async def post_report(reports, session: AsyncSession, report: svc.ReportInfo, note: str | None = None) -> None:
    """Post a report (photos, location, card with buttons) to its unit's staff chat; to the admins
    when the unit has none yet."""
    bot, settings = reports.bot, reports.settings
    locale = settings.default_locale
    chat_id = await svc.unit_chat(session, report.unit_code)
    reporter = await reporter_name(session, report)
    await session.rollback()
    targets = [chat_id] if chat_id else list(settings.admin_ids)
    if not chat_id:
        note = (note + "\n" if note else "") + gettext_for(
            locale, "⚠️ {unit} has no staff chat yet: a handler sends /bindunit in the unit's group.",
            unit=escape(unit_name(report.unit_code) or ""))
    before = [p for p in report.photos if p.kind == PhotoKind.BEFORE]
    recorded = False
    for target in targets:
        try:
            if len(before) >= 2:
                await bot.send_media_group(target, [InputMediaPhoto(media=_photo_file(reports, p)) for p in before])
            elif before:
                await bot.send_photo(target, _photo_file(reports, before[0]))
            await bot.send_location(target, report.lat, report.lon)
            card = await bot.send_message(target, view.staff_card(locale, report, reporter, note, settings.timezone),
                                          reply_markup=kb.staff_actions(locale, report.id, report.status))
        except TelegramAPIError as error:
            log.warning("could not post report %s to %s: %s", report.ticket, target, error)
            continue
        if not recorded:
            await svc.set_staff_message(session, report.id, target, card.message_id)
            recorded = True


async def refresh_card(reports, session: AsyncSession, report: svc.ReportInfo, note: str | None = None,
                       chat_id: int | None = None, message_id: int | None = None, final: bool = False) -> None:
    chat_id = chat_id or report.staff_chat_id
    message_id = message_id or report.staff_message_id
    if not chat_id or not message_id:
        return
    locale = reports.settings.default_locale
    reporter = await reporter_name(session, report)
    await session.rollback()
    markup = None if final else kb.staff_actions(locale, report.id, report.status)
    try:
        await reports.bot.edit_message_text(
            text=view.staff_card(locale, report, reporter, note, reports.settings.timezone),
            chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            log.warning("could not refresh the card of %s: %s", report.ticket, error)
    except TelegramAPIError as error:
        log.warning("could not refresh the card of %s: %s", report.ticket, error)


def _change_note(locale: str, outcome: Changed, actor: UserInfo | None, tz: str) -> str:
    event = outcome.event
    who = escape(actor.display_name) if actor else gettext_for(locale, "system")
    line = gettext_for(locale, "🕒 {when} · {who}: {status}", when=view.local_time(event.at, tz), who=who,
                       status=view.status_label(locale, outcome.report.status))
    if event.comment:
        line += "\n" + gettext_for(locale, "💬 “{comment}”", comment=escape(event.comment))
    return line


async def after_change(reports, session: AsyncSession, outcome: Changed, actor: UserInfo | None,
                       note: str | None = None, pressed: Message | None = None) -> None:
    """Refresh the staff card(s) (the recorded one and the one pressed) and tell the reporter and
    followers."""
    report, event = outcome.report, outcome.event
    settings = reports.settings
    locale = settings.default_locale
    change = _change_note(locale, outcome, actor, settings.timezone)
    note = f"{note}\n{change}" if note else change
    reassigned_to = None
    if event.kind == "reassign":
        details = event.details or {}
        reassigned_to = details.get("new_unit")
        moved = gettext_for(locale, "↪️ Handed over to {unit}.", unit=escape(unit_name(reassigned_to) or ""))
        await refresh_card(reports, session, report, f"{moved}\n{change}",
                           details.get("old_staff_chat_id"), details.get("old_staff_message_id"), final=True)
        await post_report(reports, session, report, note=gettext_for(
            locale, "↪️ Handed over from {unit}.", unit=escape(unit_name(details.get("old_unit")) or "")))
    else:
        await refresh_card(reports, session, report, note)
        if pressed is not None and (pressed.chat.id, pressed.message_id) != (report.staff_chat_id,
                                                                             report.staff_message_id):
            await refresh_card(reports, session, report, note, pressed.chat.id, pressed.message_id)
    after = [p for p in report.photos if p.kind == PhotoKind.AFTER]
    with_photo = event.new_status == ReportStatus.RESOLVED.value and event.old_status != event.new_status and after
    for uid in outcome.notify:
        person = await accounts.get_user(session, uid)
        await session.rollback()
        lang = person.language if person else settings.default_locale
        text = view.change_notice(lang, report, event.comment, own=uid == report.reporter_id,
                                  reassigned_to=reassigned_to)
        try:
            if with_photo:
                await reports.bot.send_photo(uid, _photo_file(reports, after[-1]), caption=text)
            else:
                await reports.bot.send_message(uid, text)
        except TelegramAPIError as error:
            log.info("could not notify %s about %s: %s", uid, report.ticket, error)


async def alert_unit(reports, session: AsyncSession, report: svc.ReportInfo, note: str) -> None:
    """A card with ``note`` to the unit's staff chat (a reply to the recorded card), or to the admins."""
    locale = reports.settings.default_locale
    chat_id = await svc.unit_chat(session, report.unit_code)
    await session.rollback()
    for target in [chat_id] if chat_id else reports.settings.admin_ids:
        reply = report.staff_message_id if report.staff_chat_id == target else None
        await send_quietly(reports.bot, target, view.staff_card(locale, report, None, note, reports.settings.timezone),
                           reply_to=reply, markup=kb.staff_actions(locale, report.id, report.status))


async def run_reminders(reports, now=None) -> svc.DueReminders:
    settings = reports.settings
    locale = settings.default_locale
    async with reports.sessions() as session:
        due = await svc.claim_due_reminders(
            session, now=now or reports.clock(), remind_after=timedelta(hours=settings.remind_after_h),
            escalate_after=timedelta(days=settings.escalate_after_d),
            followup_after=timedelta(days=settings.followup_after_d))
        if not due:
            return due
        for report in due.remind_unit:
            chat_id = await svc.unit_chat(session, report.unit_code)
            await session.rollback()
            text = gettext_for(locale, "⏰ Reminder: report {ticket} has waited more than {hours:g} h to be "
                               "accepted.", ticket=report.ticket, hours=settings.remind_after_h)
            for target in ([chat_id] if chat_id else settings.admin_ids):
                reply = report.staff_message_id if report.staff_chat_id == target else None
                await send_quietly(reports.bot, target, text, reply_to=reply,
                                    markup=kb.staff_actions(locale, report.id, report.status))
        for report in due.escalate:
            text = gettext_for(locale, "🚨 Report {ticket} ({unit}) is still open after {days:g} days.",
                               ticket=report.ticket, unit=escape(unit_name(report.unit_code) or ""),
                               days=settings.escalate_after_d)
            for admin in settings.admin_ids:
                admin_user = await accounts.get_user(session, admin)
                await session.rollback()
                lang = admin_user.language if admin_user else locale
                card = view.staff_card(lang, report, None, text, settings.timezone)
                await send_quietly(reports.bot, admin, card, markup=kb.staff_actions(lang, report.id, report.status))
        for report in due.ask_followup:
            person = await accounts.get_user(session, report.reporter_id)
            await session.rollback()
            lang = person.language if person else locale
            text = gettext_for(lang, "🧹 Your report {ticket} was marked resolved. Is the place clean now?",
                               ticket=report.ticket)
            await send_quietly(reports.bot, report.reporter_id, text, markup=kb.followup(lang, report.id))
    return due


async def send_quietly(bot: Bot, chat_id: int, text: str, reply_to: int | None = None, markup=None) -> None:
    try:
        await bot.send_message(chat_id, text, reply_to_message_id=reply_to, reply_markup=markup)
    except TelegramAPIError as error:
        if reply_to is not None:
            with contextlib.suppress(TelegramAPIError):
                await bot.send_message(chat_id, text, reply_markup=markup)
                return
        log.info("reminder to %s not sent: %s", chat_id, error)
