"""What the reports feature tells people outside the conversation at hand, as senders of the
outbox's kinds (``reports.service.Kind``; the rows are written by the service in the transaction of
the change): the unit's staff post (album, pin, card with buttons), its refreshes, the reporter's
receipt and "the unit has it", status messages to the reporter and followers, the reminders,
escalations and follow-up questions, and the admins' alert when a unit's chat cannot be reached.

Each sender renders from the current state in the reader's language and raises aiogram's errors
for the worker to retry (``bot/outgoing/worker.py``); it handles only what is its own business:
a staff post whose chat cannot be reached waits for a chat to be bound, and the admins are told.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncGenerator, Callable
from html import escape

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InputFile, InputMediaPhoto, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import gettext_for
from bot.keyboards import reports as kb
from bot.keyboards.menu import main_menu
from bot.notifications.card_history import history
from bot.outgoing.worker import Done, Worker, unreachable
from bot.views import reports as view
from core import accounts, notifications as outbox
from core.models import Role
from core.notifications import Note, NoteStatus, admins_lane, user_lane
from core.units import unit_name
from reports import service as svc
from reports.media import MediaStore
from reports.models import Channel, EventKind, PhotoKind, ReportStatus
from reports.service import Kind

log = logging.getLogger(__name__)


async def reporter_name(session: AsyncSession, report: svc.ReportInfo) -> str | None:
    if report.anonymous or report.reporter_id is None:
        return None
    who = await accounts.get_user(session, report.reporter_id)
    if who is None:
        return str(report.reporter_id)
    return f"{who.display_name} (@{who.username})" if who.username else who.display_name


class StoredPhoto(InputFile):
    """A photo read from the media storage (any instance may have saved it) when it is uploaded, as
    ``FSInputFile`` reads its file then. Missing (``FileNotFoundError``) or storage unreachable
    (``MediaUnavailable``): both ``OSError``, which the worker retries."""

    def __init__(self, media: MediaStore, key: str, filename: str) -> None:
        super().__init__(filename=filename)
        self.media = media
        self.key = key

    async def read(self, bot) -> AsyncGenerator[bytes, None]:
        data = await self.media.read_async(self.key)
        if data is None:
            raise FileNotFoundError(f"no {self.key} in {self.media.storage!r}")
        for start in range(0, len(data), self.chunk_size):
            yield data[start : start + self.chunk_size]


def _photo_file(w: Worker, photo: svc.PhotoInfo) -> StoredPhoto:
    return StoredPhoto(w["media"], photo.public_path, filename=f"{photo.sha256[:12]}.jpg")


async def _language(session: AsyncSession, user_id: int, default: str) -> str:
    person = await accounts.get_user(session, user_id)
    return person.language if person else default


async def _admins(w: Worker, session: AsyncSession) -> list[int]:
    return list(dict.fromkeys([*w["settings"].admin_ids, *await accounts.holders(session, Role.ADMIN)]))


@dataclasses.dataclass
class Loaded:
    report: svc.ReportInfo
    event: svc.EventInfo | None
    reporter: str | None
    note: str | None


async def _load(w: Worker, note: Note, locale: str) -> Loaded | None:
    async with w.sessions() as session:
        report = await svc.get(session, note.report_id)
        if report is None:
            return None
        event = await svc.event(session, note.payload["event"]) if note.payload.get("event") else None
        return Loaded(
            report,
            event,
            await reporter_name(session, report),
            await history(session, report.id, locale, w["settings"].timezone),
        )


async def _with_unit_chat(w: Worker, note: Note, locale: str) -> tuple[Loaded | None, int | None]:
    """The report (None if gone) and its unit's staff chat now (None if none is bound)."""
    loaded = await _load(w, note, locale)
    if loaded is None:
        return None, None
    async with w.sessions() as session:
        return loaded, await svc.unit_chat(session, loaded.report.unit_code)


def _card(w: Worker, locale: str, loaded: Loaded, extra: str | None = None) -> str:
    note = "\n".join(x for x in (extra, loaded.note) if x) or None
    return view.staff_card(locale, loaded.report, loaded.reporter, note, w["settings"].timezone)


# --- the staff post -------------------------------------------------------------------------------


async def post(w: Worker, note: Note) -> Done:
    """Album (in the resident's order), pin, then the card; each step is remembered, so a retry or
    a restart goes on after the last one done. "The unit has it" reaches the reporter only when
    the card is in the unit's chat (committed with the card's id)."""
    bot, locale = w["bot"], w["settings"].default_locale
    loaded, chat = await _with_unit_chat(w, note, locale)
    if loaded is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    report = loaded.report
    if chat is None:
        return _wait(note, report, "no staff chat is bound")
    if note.progress.get("chat") != chat:  # first attempt, or the unit moved to another chat
        note.progress.clear()
        note.progress["chat"] = chat
    before = sorted((p for p in report.photos if p.kind == PhotoKind.BEFORE), key=lambda p: p.position)
    try:
        if "album" not in note.progress:
            if len(before) >= 2:
                sent = await bot.send_media_group(chat, [InputMediaPhoto(media=_photo_file(w, p)) for p in before])
                ids = [m.message_id for m in sent]
            elif before:
                ids = [(await bot.send_photo(chat, _photo_file(w, before[0]))).message_id]
            else:
                ids = []
            await w.step(note, album=ids)
        if "pin" not in note.progress:
            pin = await bot.send_location(chat, report.lat, report.lon)
            await w.step(note, pin=pin.message_id)
        card: Message = await bot.send_message(
            chat, _card(w, locale, loaded), reply_markup=kb.staff_actions(locale, report.id, report.status)
        )
    except Exception as error:
        if unreachable(error):
            return _wait(note, report, str(error))
        raise
    first = not note.payload.get("event")  # a handover is told to the reporter by its notice

    async def record(session: AsyncSession) -> None:
        await session.exec(svc.staff_message(report.id, chat, card.message_id))
        if first and report.reporter_id is not None and report.channel == Channel.TELEGRAM:
            outbox.enqueue(
                session,
                Kind.PLACED,
                lane=user_lane(report.reporter_id),
                chat_id=report.reporter_id,
                report_id=report.id,
            )

    return Done(also=record)


def _wait(note: Note, report: svc.ReportInfo, reason: str) -> Done:
    """No reachable chat: the post waits for /bindunit; the admins who can be reached are told."""
    log.warning("report %s waits for a staff chat of %s: %s", report.ticket, report.unit_code, reason)

    async def alert(session: AsyncSession) -> None:
        outbox.enqueue(
            session,
            Kind.UNREACHABLE,
            lane=admins_lane(report.id),
            report_id=report.id,
            payload={"reason": reason[:200]},
        )

    note.progress.clear()
    return Done(NoteStatus.WAITING, reason, also=alert)


async def _to_admins(w: Worker, note: Note, render) -> Done:
    """One message to every admin (each in their language); those who cannot be reached are
    skipped and named in the row's outcome."""
    async with w.sessions() as session:
        admins = await _admins(w, session)
        languages = {a: await _language(session, a, w["settings"].default_locale) for a in admins}
    done, skipped = set(note.progress.get("done", [])), []
    for admin in admins:
        if admin in done:
            continue
        text, markup = await render(languages[admin])
        try:
            await w["bot"].send_message(admin, text, reply_markup=markup)
        except Exception as error:
            if not unreachable(error):
                raise
            skipped.append(f"{admin}: {error}")
        else:
            await w.step(note, done=[*done, admin])
            done.add(admin)
    if not done:
        return Done(NoteStatus.FAILED, "no admin can be reached: " + "; ".join(skipped))
    return Done(error="; ".join(skipped) or None)


async def unreachable_alert(w: Worker, note: Note) -> Done:
    async def render(locale: str):
        loaded = await _load(w, note, locale)
        report = loaded.report
        extra = gettext_for(
            locale,
            "⚠️ {unit} has no staff chat I can reach ({reason}). A handler sends "
            "/bindunit in the unit's group; the report is posted there then.",
            unit=escape(unit_name(report.unit_code, locale) or ""),
            reason=escape(note.payload.get("reason", "")),
        )
        return _card(w, locale, loaded, extra), kb.staff_actions(locale, report.id, report.status)

    if await _load(w, note, w["settings"].default_locale) is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    return await _to_admins(w, note, render)


async def escalate(w: Worker, note: Note) -> Done:
    settings = w["settings"]

    async def render(locale: str):
        loaded = await _load(w, note, locale)
        report = loaded.report
        extra = gettext_for(
            locale,
            "🚨 Report {ticket} ({unit}) is still open after {days:g} days.",
            ticket=report.ticket,
            unit=escape(unit_name(report.unit_code, locale) or ""),
            days=settings.escalate_after_d,
        )
        return _card(w, locale, loaded, extra), kb.staff_actions(locale, report.id, report.status)

    if await _load(w, note, settings.default_locale) is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    return await _to_admins(w, note, render)


# --- the card, afterwards ---------------------------------------------------------------------------


async def refresh(w: Worker, note: Note) -> Done:
    """Edit the staff card (the recorded one, or the old one of a handover, for the last time)."""
    locale = w["settings"].default_locale
    loaded = await _load(w, note, locale)
    if loaded is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    report = loaded.report
    chat = note.payload.get("chat") or report.staff_chat_id
    message = note.payload.get("message") or report.staff_message_id
    if not chat or not message:
        return Done(error="no card to edit")
    final = bool(note.payload.get("final"))
    extra = None
    if final and loaded.event is not None:
        extra = gettext_for(
            locale,
            "↪️ Handed over to {unit}.",
            unit=escape(unit_name((loaded.event.details or {}).get("new_unit"), locale) or ""),
        )
        loaded.note = None
    return await edit_card(
        w["bot"],
        chat,
        message,
        _card(w, locale, loaded, extra),
        None if final else kb.staff_actions(locale, report.id, report.status),
    )


async def edit_card(bot, chat: int, message: int, text: str, markup) -> Done:
    try:
        await bot.edit_message_text(text=text, chat_id=chat, message_id=message, reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" in error.message:
            return Done()
        if unreachable(error) or "message to edit not found" in error.message or "can't be edited" in error.message:
            return Done(NoteStatus.FAILED, error.message)
        raise
    return Done()


async def alert(w: Worker, note: Note) -> Done:
    """A card as a reply to the recorded one in the unit's chat (the reporter says "not clean")."""
    return await _unit_message(w, note, lambda loaded: _card(w, w["settings"].default_locale, loaded))


async def remind(w: Worker, note: Note) -> Done:
    settings = w["settings"]
    return await _unit_message(
        w,
        note,
        lambda loaded: gettext_for(
            settings.default_locale,
            "⏰ Reminder: report {ticket} has waited more than {hours:g} h to be accepted.",
            ticket=loaded.report.ticket,
            hours=settings.remind_after_h,
        ),
    )


async def _unit_message(w: Worker, note: Note, render: Callable[[Loaded], str]) -> Done:
    locale = w["settings"].default_locale
    loaded, chat = await _with_unit_chat(w, note, locale)
    if loaded is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    report = loaded.report
    if chat is None:
        return Done(NoteStatus.FAILED, "the unit has no staff chat (the admins were told when it was posted)")
    text = render(loaded)
    reply = report.staff_message_id if report.staff_chat_id == chat else None
    markup = kb.staff_actions(locale, report.id, report.status)
    try:
        await w["bot"].send_message(chat, text, reply_to_message_id=reply, reply_markup=markup)
    except TelegramBadRequest as error:
        if reply is None or "not found" not in error.message:
            raise
        await w["bot"].send_message(chat, text, reply_markup=markup)  # the card was deleted
    return Done()


# --- the people ---------------------------------------------------------------------------------------


async def _person(w: Worker, note: Note) -> tuple[str, Loaded] | None:
    async with w.sessions() as session:
        lang = await _language(session, note.chat_id, w["settings"].default_locale)
    loaded = await _load(w, note, lang)
    return (lang, loaded) if loaded is not None else None


async def received(w: Worker, note: Note) -> Done:
    if (found := await _person(w, note)) is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    lang, loaded = found
    report = loaded.report
    await w["bot"].send_message(
        note.chat_id,
        gettext_for(
            lang,
            "✅ Thank you! Your report <b>{ticket}</b> is stored. I'll tell you as soon as {unit} has it, "
            "and of every change; /myreports shows its status.",
            ticket=report.ticket,
            unit=escape(unit_name(report.unit_code, lang) or ""),
        ),
        reply_markup=main_menu(lang),
    )
    return Done()


async def placed(w: Worker, note: Note) -> Done:
    if (found := await _person(w, note)) is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    lang, loaded = found
    await w["bot"].send_message(
        note.chat_id,
        gettext_for(
            lang,
            "📬 {unit} has your report <b>{ticket}</b> now.",
            unit=escape(unit_name(loaded.report.unit_code, lang) or ""),
            ticket=loaded.report.ticket,
        ),
    )
    return Done()


async def notice(w: Worker, note: Note) -> Done:
    """What changed, told to the reporter or a follower, as of that change (not of now)."""
    if (found := await _person(w, note)) is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    lang, loaded = found
    report, event = loaded.report, loaded.event
    if event is None:
        return Done(NoteStatus.FAILED, "the event is gone")
    at_change = dataclasses.replace(report, status=event.new_status or report.status)
    reassigned_to = (event.details or {}).get("new_unit") if event.kind == EventKind.REASSIGN else None
    text = view.change_notice(
        lang,
        at_change,
        event.comment,
        own=note.chat_id == report.reporter_id,
        reassigned_to=reassigned_to,
        reopened=bool((event.details or {}).get("reopened")),
    )
    after = [p for p in report.photos if p.kind == PhotoKind.AFTER]
    if event.new_status == ReportStatus.RESOLVED and event.old_status != event.new_status and after:
        await w["bot"].send_photo(note.chat_id, _photo_file(w, after[-1]), caption=text)
    else:
        await w["bot"].send_message(note.chat_id, text)
    return Done()


async def followup(w: Worker, note: Note) -> Done:
    if (found := await _person(w, note)) is None:
        return Done(NoteStatus.FAILED, "the report is gone")
    lang, loaded = found
    if loaded.report.status != ReportStatus.RESOLVED:
        return Done(error="reopened meanwhile: not asked")
    await w["bot"].send_message(
        note.chat_id,
        gettext_for(
            lang, "🧹 Your report {ticket} was marked resolved. Is the place clean now?", ticket=loaded.report.ticket
        ),
        reply_markup=kb.followup(lang, loaded.report.id),
    )
    return Done()


SENDERS = {
    Kind.POST: post,
    Kind.RECEIVED: received,
    Kind.PLACED: placed,
    Kind.REFRESH: refresh,
    Kind.NOTICE: notice,
    Kind.ALERT: alert,
    Kind.REMIND: remind,
    Kind.ESCALATE: escalate,
    Kind.FOLLOWUP: followup,
    Kind.UNREACHABLE: unreachable_alert,
}


async def refresh_pressed(
    reports, report: svc.ReportInfo, chat_id: int, message_id: int, note: str | None = None
) -> None:
    """The handler's own answer to a press on an old card: show the report as it is now."""
    locale = reports.settings.default_locale
    async with reports.sessions() as session:
        reporter = await reporter_name(session, report)
        note = (
            "\n".join(x for x in (note, await history(session, report.id, locale, reports.settings.timezone)) if x)
            or None
        )
    markup = kb.staff_actions(locale, report.id, report.status)
    try:
        await edit_card(
            reports.bot,
            chat_id,
            message_id,
            view.staff_card(locale, report, reporter, note, reports.settings.timezone),
            markup,
        )
    except Exception as error:  # noqa: BLE001 - the press is answered already; the card is cosmetic here
        log.info("could not refresh the pressed card of %s: %s", report.ticket, error)
