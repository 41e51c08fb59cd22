"""Step 1: 1 to 5 photos (albums answered once, files keep their EXIF position and time)."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager, on
from aiogram.types import (
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import (
    ReportFlow,
    ReportStep,
    after_answer,
    flow_draft,
    go,
    load,
    save,
    show_choice,
)
from bot.handlers.reports.place import LocationStep
from bot.i18n import gettext_for
from bot.keyboards import reports as kb
from bot.keyboards.reports import FlowAction, FlowCb
from bot.views import reports as view
from core.accounts import UserInfo
from reports import service as svc
from reports.media import MAX_BYTES, MediaError, MediaErrorCode


class PhotosStep(ReportStep, state=ReportFlow.photos.state):
    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        n = len(data.get("photos") or [])
        if n:
            await message.answer(
                _("📷 {n} of 5 photos so far. Send more, or press Done.").format(n=n),
                reply_markup=kb.photos_done(user.language),
            )
        else:
            await message.answer(
                _(
                    "📸 <b>Report illegal dumping</b>\n"
                    "Send 1 to 5 photos of the dumped waste (an album is fine). Tip: send them as "
                    "<i>files</i> and I can use the position and time the photo was taken.\n"
                    "/cancel stops at any step."
                ),
                reply_markup=ReplyKeyboardRemove(),
            )

    @on.message()
    async def typed(
        self, message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports, bot: Bot, **kw: Any
    ) -> None:
        if message.photo or message.document:
            await _add_photo(message, session, user, reports, bot)
            return
        if message.location or message.venue:
            draft = await load(session, reports, user.id)
            if draft and draft.data.get("photos"):  # the place, without pressing Done: fine too
                await save(session, reports, user.id, draft.data, ReportFlow.location)
                await LocationStep.resume(
                    message, state=state, session=session, user=user, reports=reports, bot=bot, **kw
                )
                return
        await message.answer(_("📸 Please send a photo of the dumping first (or /cancel)."))

    @on.callback_query(FlowCb.filter(F.a == FlowAction.PHOTOS_DONE))
    async def done(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.photos)
        if draft is None:
            return
        if not draft.data.get("photos"):
            callback_answer.text = _("Send at least one photo first.")
            callback_answer.show_alert = True
            return
        await show_choice(query, None, _(kb.BTN_PHOTOS_DONE))
        await go(scenes, session, reports, user, draft.data, after_answer(draft.data, ReportFlow.location))


SCENES = (PhotosStep,)


async def _add_photo(message: Message, session: AsyncSession, user: UserInfo, reports, bot: Bot) -> None:
    locale = user.language
    key = (user.id, message.media_group_id) if message.media_group_id else None
    note = await _store_photo(message, session, user, reports, bot)
    if key is None:
        await _photos_ack(reports, message.chat.id, user.id, locale, [note] if note else [])
        return
    if note:
        reports.album_notes.setdefault(key, []).append(note)

    async def ack() -> None:
        await _photos_ack(reports, message.chat.id, user.id, locale, reports.album_notes.pop(key, []))

    reports.debounce(key, ack)


async def _store_photo(message: Message, session: AsyncSession, user: UserInfo, reports, bot: Bot) -> str | None:
    """Download and keep one photo; returns a msgid to tell the user about a problem, or None."""
    if message.photo:
        item = message.photo[-1]
        is_document = False
    else:
        item = message.document
        is_document = True
        if item.mime_type and not item.mime_type.startswith("image/"):
            return view.PHOTO_NOT_IMAGE
    if item.file_size and item.file_size > MAX_BYTES:
        return view.PHOTO_TOO_LARGE
    try:
        buffer = await bot.download(item.file_id)
    except TelegramBadRequest:
        return view.PHOTO_TOO_LARGE  # "file is too big" is the usual reason
    try:
        stored = await reports.media.save_async(buffer.getvalue())
    except MediaError as error:
        return view.PHOTO_TOO_LARGE if error.code == MediaErrorCode.TOO_LARGE else view.PHOTO_NOT_IMAGE
    async with reports.lock(user.id):
        draft = await load(session, reports, user.id)
        if draft is None or draft.step != ReportFlow.photos.state:
            return None
        data = draft.data
        photos = data.setdefault("photos", [])
        if any(p["sha256"] == stored.sha256 for p in photos):
            return view.PHOTO_DUPLICATE
        if len(photos) >= svc.MAX_PHOTOS:
            return view.PHOTO_TOO_MANY
        photos.append(dataclasses.asdict(svc.PhotoIn.of(stored, item.file_id, item.file_unique_id)))
        if is_document and stored.exif.has_gps and not data.get("exif"):
            data["exif"] = {
                "lat": stored.exif.lat,
                "lon": stored.exif.lon,
                "taken_at": stored.exif.taken_at.isoformat() if stored.exif.taken_at else None,
            }
        elif is_document and stored.exif.taken_at and not data.get("exif"):
            data["exif"] = {"lat": None, "lon": None, "taken_at": stored.exif.taken_at.isoformat()}
        await save(session, reports, user.id, data, ReportFlow.photos)
    return None


async def _photos_ack(reports, chat_id: int, user_id: int, locale: str, notes: list[str]) -> None:
    async with reports.sessions() as session:
        draft = await load(session, reports, user_id)
    if draft is None or draft.step != ReportFlow.photos.state:
        return
    n = len(draft.data.get("photos") or [])
    lines = [gettext_for(locale, note) for note in dict.fromkeys(notes)]
    exif = draft.data.get("exif") or {}
    if n:
        lines.append(gettext_for(locale, "📷 {n} of 5 photos received. Send more, or press Done.", n=n))
        if exif.get("lat") is not None:
            lines.append(gettext_for(locale, "🛰 A photo carries its GPS position: I'll offer it as the place."))
    if not lines:
        return
    await reports.bot.send_message(chat_id, "\n".join(lines), reply_markup=kb.photos_done(locale) if n else None)
