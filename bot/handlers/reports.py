"""Telegram handlers of the reports feature.

Residents (private chat): ``/report`` (or the menu button) walks through photos -> place ->
similar reports nearby -> type -> amount -> witnessed (plate) -> description -> anonymity ->
confirm. The draft is saved in the database at every step (``reports.service.save_draft``); the FSM
state only says which step we are at. When the state is lost (a restart with in-memory storage),
the next message or button press resumes from the database draft.

Staff: ``/bindunit <unit>`` in a group makes it the unit's staff chat; new reports are posted
there as a card with buttons that re-check the role and the status on every press. ``/reports``
lists a unit's queue, ``/stats`` (admins) sums up. What is sent outside the conversation at hand
(staff cards, status messages, reminders) is in ``bot/notifications/reports.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from datetime import timedelta
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import MenuButton
from bot.i18n import gettext_for, texts_for
from bot.keyboards import reports as kb
from bot.keyboards.menu import BTN_REPORT, main_menu
from bot.keyboards.reports import BTN_EXIF_LOCATION, FlowCb, FollowupCb
from bot.notifications.reports import after_change, alert_unit, post_report
from bot.views import reports as view
from core.accounts import UserInfo
from core.units import unit_name
from reports import geo
from reports import service as svc
from reports.geocode import GeocodeStatus, gazetteer
from reports.media import MAX_BYTES, MediaError, MediaErrorCode
from reports.models import Amount, WasteType
from reports.service import Changed, NotAllowed, ReportError, ReportErrorCode

log = logging.getLogger(__name__)

DRAFT_MAX_AGE = timedelta(days=3)
DUPLICATE_RADIUS_M = 250
DUPLICATE_DAYS = 7
GEOCODE_DEADLINE_S = 12.0
PLATE_RE = re.compile(r"^[\u4e00-\u9fffA-Z][A-Z0-9\u4e00-\u9fff]{4,9}$")


class ReportFlow(StatesGroup):
    photos = State()
    location = State()
    duplicates = State()
    waste_type = State()
    amount = State()
    witnessed = State()
    plate = State()
    description = State()
    anonymous = State()
    confirm = State()


STEPS = {s.state: s for s in ReportFlow.__all_states__}


# ============================================================================================
# Draft helpers
# ============================================================================================


async def _load(session: AsyncSession, reports, user_id: int) -> svc.Draft | None:
    return await svc.load_draft(session, user_id, max_age=DRAFT_MAX_AGE, now=reports.clock())


async def _save(session: AsyncSession, reports, user_id: int, data: dict, step: State) -> None:
    data["instance"] = reports.instance
    await svc.save_draft(session, user_id, data, step.state, now=reports.clock())


def _route_unit(reports, lat: float, lon: float) -> str:
    return reports.router.route(lat, lon).unit_code


async def _go(message: Message, state: FSMContext, session: AsyncSession, reports, user: UserInfo,
              data: dict, step: State) -> None:
    """Save the draft at ``step``, switch the state and ask the step's question."""
    await _save(session, reports, user.id, data, step)
    await state.set_state(step)
    await _ask(message, session, user, data, step)


async def _ask(message: Message, session: AsyncSession, user: UserInfo, data: dict, step: State) -> None:
    locale = user.language
    n = len(data.get("photos") or [])
    if step == ReportFlow.photos:
        if n:
            await message.answer(
                _("📷 {n} of 5 photos so far. Send more, or press Done.").format(n=n),
                reply_markup=kb.photos_done(locale),
            )
        else:
            await message.answer(
                _("📸 <b>Report illegal dumping</b>\n"
                  "Send 1 to 5 photos of the dumped waste (an album is fine). Tip: send them as "
                  "<i>files</i> and I can use the position and time the photo was taken.\n"
                  "/cancel stops at any step."),
                reply_markup=ReplyKeyboardRemove(),
            )
    elif step == ReportFlow.location:
        exif = data.get("exif") or {}
        has_exif = exif.get("lat") is not None and geo.inside_jiangyin(exif["lat"], exif["lon"])
        text = _("📍 <b>Where is it?</b>\n"
                 "Press the button to send where you are now, share a pin (📎 → Location), or type "
                 "an address, e.g. “青阳镇 镇中路”.")
        if has_exif:
            text += "\n" + _("🖼 Your photo knows where it was taken: press “Use the photo's location”.")
        elif exif.get("lat") is not None:
            text += "\n" + _("🖼 Your photo's position is outside Jiangyin, so I can't use it.")
        await message.answer(text, reply_markup=kb.location_keyboard(locale, has_exif))
    elif step == ReportFlow.duplicates:
        nearby = await svc.nearby_open_reports(session, data["lat"], data["lon"], DUPLICATE_RADIUS_M,
                                               DUPLICATE_DAYS)
        nearby = nearby[:3]
        lines = [_("👀 <b>Someone already reported dumping near here</b> in the last 7 days:")]
        for item in nearby:
            lines.append(_("• {ticket} · {status} · {type} · {distance} m away").format(
                ticket=item.report.ticket, status=view.status_label(locale, item.report.status),
                type=view.waste_label(locale, item.report.waste_type), distance=round(item.distance_m)))
        lines.append(_("If it is the same, follow it: you'll hear of every change. If not, continue your report."))
        await message.answer("\n".join(lines), reply_markup=kb.duplicates(locale, nearby))
    elif step == ReportFlow.waste_type:
        await message.answer(_("🗑 What kind of waste is it?"), reply_markup=kb.waste_types(locale))
    elif step == ReportFlow.amount:
        await message.answer(_("⚖️ How much is there?"), reply_markup=kb.amounts(locale))
    elif step == ReportFlow.witnessed:
        await message.answer(_("👀 Did you see it being dumped?"), reply_markup=kb.yes_no_witnessed(locale))
    elif step == ReportFlow.plate:
        await message.answer(
            _("🚗 If you saw a vehicle, type its plate number (e.g. 苏B12345). Otherwise press Skip."),
            reply_markup=kb.skip(locale, "plate"),
        )
    elif step == ReportFlow.description:
        await message.answer(
            _("📝 Anything the staff should know? Type a short description (up to 500 characters), "
              "or press Skip."),
            reply_markup=kb.skip(locale, "desc"),
        )
    elif step == ReportFlow.anonymous:
        await message.answer(
            _("🙈 Should the unit's staff see your name? By default your report is anonymous to them."),
            reply_markup=kb.anonymity(locale),
        )
    elif step == ReportFlow.confirm:
        unit = _route_unit_from(data)
        await message.answer(view.draft_summary(locale, data, unit), reply_markup=kb.confirm(locale))


def _route_unit_from(data: dict) -> str | None:
    return data.get("route_unit")


# ============================================================================================
# Starting, continuing, resuming
# ============================================================================================


async def start_report(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                       reports, settings, **_kw: Any) -> None:
    draft = await _load(session, reports, user.id)
    if draft is not None:
        await message.answer(
            _("📝 You have an unfinished report (at: {step}). Continue it or start over?").format(
                step=view.step_label(user.language, draft.step)),
            reply_markup=kb.resume_or_restart(user.language),
        )
        return
    await _begin(message, state, session, user, reports, settings)


async def _begin(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports,
                 settings) -> None:
    quota = await svc.daily_quota(session, user.id, settings.report_daily_limit, clock=reports.clock)
    await session.rollback()
    if not quota.allowed:
        await state.clear()
        await message.answer(_limit_text(settings.report_daily_limit), reply_markup=main_menu())
        return
    await _go(message, state, session, reports, user, {"photos": []}, ReportFlow.photos)


def _limit_text(limit: int) -> str:
    return _("🙏 You have already sent {limit} reports today, the daily limit. Thank you for caring! "
             "Please send new ones tomorrow.").format(limit=limit)


async def continue_or_restart(query: CallbackQuery, callback_data: FlowCb, state: FSMContext,
                              session: AsyncSession, user: UserInfo, reports, settings, **_kw: Any) -> None:
    await query.answer()
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    draft = await _load(session, reports, user.id)
    if callback_data.a == "over" or draft is None:
        await svc.clear_draft(session, user.id)
        await _begin(query.message, state, session, user, reports, settings)
        return
    step = STEPS.get(draft.step, ReportFlow.photos)
    data = draft.data
    await _save(session, reports, user.id, data, step)
    await state.set_state(step)
    await _ask(query.message, session, user, data, step)


class LostDraft(Filter):
    """A message with no conversation state while a draft saved by an earlier run exists."""

    async def __call__(self, message: Message, session: AsyncSession, user: UserInfo | None,
                       reports=None) -> bool | dict:
        if user is None or reports is None or not reports.resume_lost_drafts or (message.text or "").startswith("/"):
            return False
        if user.id not in reports.lost_draft_users:
            return False  # no draft from an earlier run: no database lookup on every message
        draft = await _load(session, reports, user.id)
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


async def _flow_draft(query: CallbackQuery, state: FSMContext, session: AsyncSession, user: UserInfo,
                      reports, *steps: State) -> svc.Draft | None:
    """The draft a reporter's button belongs to, or None (and the press is answered)."""
    draft = await _load(session, reports, user.id)
    if draft is None:
        await query.answer(_("This report is no longer open. Send /report to start a new one."),
                           show_alert=True)
        return None
    if draft.step not in {s.state for s in steps}:
        await query.answer(_("This button is out of date: please use the latest message."))
        return None
    if await state.get_state() != draft.step:
        await state.set_state(draft.step)  # the conversation state was lost: resume from the draft
    return draft


# ============================================================================================
# Step 1: photos
# ============================================================================================


async def step_photos(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                      reports, bot: Bot, **kw: Any) -> None:
    if message.photo or message.document:
        await _add_photo(message, session, user, reports, bot)
        return
    if message.location or message.venue:
        draft = await _load(session, reports, user.id)
        if draft and draft.data.get("photos"):  # the place, without pressing Done: fine too
            await _save(session, reports, user.id, draft.data, ReportFlow.location)
            await state.set_state(ReportFlow.location)
            await step_location(message, state=state, session=session, user=user, reports=reports, bot=bot, **kw)
            return
    await message.answer(_("📸 Please send a photo of the dumping first (or /cancel)."))


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
        draft = await _load(session, reports, user.id)
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
            data["exif"] = {"lat": stored.exif.lat, "lon": stored.exif.lon,
                            "taken_at": stored.exif.taken_at.isoformat() if stored.exif.taken_at else None}
        elif is_document and stored.exif.taken_at and not data.get("exif"):
            data["exif"] = {"lat": None, "lon": None, "taken_at": stored.exif.taken_at.isoformat()}
        await _save(session, reports, user.id, data, ReportFlow.photos)
    return None


async def _photos_ack(reports, chat_id: int, user_id: int, locale: str, notes: list[str]) -> None:
    async with reports.sessions() as session:
        draft = await _load(session, reports, user_id)
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
    await reports.bot.send_message(chat_id, "\n".join(lines),
                                   reply_markup=kb.photos_done(locale) if n else None)


async def photos_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, user: UserInfo,
                      reports, **_kw: Any) -> None:
    draft = await _flow_draft(query, state, session, user, reports, ReportFlow.photos)
    if draft is None:
        return
    if not draft.data.get("photos"):
        await query.answer(_("Send at least one photo first."), show_alert=True)
        return
    await query.answer()
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    await _go(query.message, state, session, reports, user, draft.data, ReportFlow.location)


# ============================================================================================
# Step 2: location
# ============================================================================================


async def step_location(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                        reports, **_kw: Any) -> None:
    draft = await _load(session, reports, user.id)
    if draft is None:
        await _draft_gone(message, state)
        return
    data = draft.data
    if message.venue:
        loc = message.venue.location
        await _set_location(message, state, session, user, reports, data, loc.latitude, loc.longitude,
                            "venue", " ".join(x for x in (message.venue.title, message.venue.address) if x))
    elif message.location:
        await _set_location(message, state, session, user, reports, data, message.location.latitude,
                            message.location.longitude, "telegram", None)
    elif message.text and message.text in texts_for(BTN_EXIF_LOCATION):
        exif = data.get("exif") or {}
        if exif.get("lat") is None:
            await message.answer(_("Your photos carry no position. Send a pin or type an address."))
            return
        await _set_location(message, state, session, user, reports, data, exif["lat"], exif["lon"], "exif", None)
    elif message.text and not message.text.startswith("/"):
        await _geocode(message, state, session, user, reports, data, message.text.strip())
    else:
        await _ask(message, session, user, data, ReportFlow.location)


async def _geocode(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports,
                   data: dict, query: str) -> None:
    if len(query) > 200:
        await message.answer(_("That address is too long. Type a shorter one or send a pin."))
        return
    try:
        result = await asyncio.wait_for(reports.geocoder.geocode(query), GEOCODE_DEADLINE_S)
    except (asyncio.TimeoutError, Exception) as error:  # never hang on the network
        log.warning("geocoding failed: %r", error)
        result = gazetteer(query)
    if result.status == GeocodeStatus.OK:
        await _set_location(message, state, session, user, reports, data, result.lat, result.lon,
                            result.source or "gazetteer", query)
    elif result.status == GeocodeStatus.NEEDS_PIN:
        await message.answer(
            _("📌 {unit} is a large area: please send a location pin (📎 → Location) so the staff can "
              "find the spot.").format(unit=escape(result.label or "")),
            reply_markup=kb.location_keyboard(user.language, False),
        )
    elif result.status == GeocodeStatus.OUTSIDE:
        await message.answer(_outside_text())
    else:
        await message.answer(
            _("🤔 I couldn't find “{query}” in Jiangyin. Send a location pin, or type a town or street "
              "name such as 青阳镇 or 澄江街道.").format(query=escape(query))
        )


def _outside_text() -> str:
    return _("🚫 That place is outside Jiangyin. Wufei can only pass on reports inside Jiangyin's towns "
             "and streets. Please send a location in Jiangyin.")


async def _set_location(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports,
                        data: dict, lat: float, lon: float, source: str, address: str | None) -> None:
    if not geo.inside_jiangyin(lat, lon):
        await message.answer(_outside_text())
        return
    unit = _route_unit(reports, lat, lon)
    data.update(lat=lat, lon=lon, location_source=source, address=address, route_unit=unit)
    await message.answer(
        _("📍 Got it: {place}.").format(place=view.place_text(user.language, lat, lon, address, unit)),
        reply_markup=ReplyKeyboardRemove(),
    )
    nearby = await svc.nearby_open_reports(session, lat, lon, DUPLICATE_RADIUS_M, DUPLICATE_DAYS)
    if nearby:
        data["nearby"] = [n.report.id for n in nearby[:3]]
        await _go(message, state, session, reports, user, data, ReportFlow.duplicates)
    else:
        data.pop("nearby", None)
        await _go(message, state, session, reports, user, data, ReportFlow.waste_type)


# ============================================================================================
# Step 3: duplicates
# ============================================================================================


async def duplicate_choice(query: CallbackQuery, callback_data: FlowCb, state: FSMContext,
                           session: AsyncSession, user: UserInfo, reports, **_kw: Any) -> None:
    draft = await _flow_draft(query, state, session, user, reports, ReportFlow.duplicates)
    if draft is None:
        return
    await query.answer()
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.a == "new":
        await _go(query.message, state, session, reports, user, draft.data, ReportFlow.waste_type)
        return
    report_id = int(callback_data.v) if callback_data.v.isdigit() else -1
    if report_id not in (draft.data.get("nearby") or []):
        await query.message.answer(_("This button is out of date: please use the latest message."))
        return
    result = await svc.follow(session, report_id, user.id, now=reports.clock())
    report = await svc.get(session, report_id)
    await session.rollback()
    await svc.clear_draft(session, user.id)
    await state.clear()
    ticket = report.ticket if report else ""
    if result == svc.FollowResult.OWN_REPORT:
        text = _("That is your own report {ticket}: you'll hear of every change anyway. Your new draft "
                 "was discarded.")
    elif result == svc.FollowResult.NOT_FOUND:
        text = _("That report no longer exists. Send /report to start again.")
    else:
        text = _("👀 You now follow {ticket}: I'll tell you of every change. Thank you for caring!")
    await query.message.answer(text.format(ticket=ticket), reply_markup=main_menu())


# ============================================================================================
# Steps 4-8: type, amount, witnessed, plate, description, anonymity
# ============================================================================================


async def choose(query: CallbackQuery, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                 user: UserInfo, reports, **_kw: Any) -> None:
    a, v = callback_data.a, callback_data.v
    expected = {"type": ReportFlow.waste_type, "amt": ReportFlow.amount, "wit": ReportFlow.witnessed,
                "anon": ReportFlow.anonymous}[a]
    draft = await _flow_draft(query, state, session, user, reports, expected)
    if draft is None:
        return
    data = draft.data
    if a == "type":
        if v not in {w.value for w in WasteType}:
            await query.answer()
            return
        data["waste_type"] = v
        nxt = ReportFlow.amount
    elif a == "amt":
        if v not in {x.value for x in Amount}:
            await query.answer()
            return
        data["amount"] = v
        nxt = ReportFlow.witnessed
    elif a == "wit":
        data["witnessed"] = v == "1"
        if v != "1":
            data["plate"] = None
        nxt = ReportFlow.plate if v == "1" else ReportFlow.description
    elif a == "anon":
        data["anonymous"] = v != "0"
        nxt = ReportFlow.confirm
    await query.answer()
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    await _go(query.message, state, session, reports, user, data, nxt)


async def skip_step(query: CallbackQuery, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                    user: UserInfo, reports, **_kw: Any) -> None:
    expected = ReportFlow.plate if callback_data.v == "plate" else ReportFlow.description
    draft = await _flow_draft(query, state, session, user, reports, expected)
    if draft is None:
        return
    data = draft.data
    if expected == ReportFlow.plate:
        data["plate"] = None
        nxt = ReportFlow.description
    else:
        data["description"] = None
        nxt = ReportFlow.anonymous
    await query.answer()
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    await _go(query.message, state, session, reports, user, data, nxt)


def clean_plate(text: str) -> str | None:
    """A plate number, loosely validated (苏B12345, 苏B·D12345, 沪A 1234学); None if it is not one."""
    cleaned = re.sub(r"[\s·.\-•・]", "", text).upper()
    if PLATE_RE.match(cleaned) and any(c.isdigit() for c in cleaned):
        return cleaned
    return None


async def step_plate(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                     reports, **_kw: Any) -> None:
    draft = await _load(session, reports, user.id)
    if draft is None:
        await _draft_gone(message, state)
        return
    plate = clean_plate(message.text or "") if message.text and not message.text.startswith("/") else None
    if plate is None:
        await message.answer(
            _("That doesn't look like a plate number (e.g. 苏B12345). Type it again, or press Skip."),
            reply_markup=kb.skip(user.language, "plate"),
        )
        return
    draft.data["plate"] = plate
    await _go(message, state, session, reports, user, draft.data, ReportFlow.description)


async def step_description(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                           reports, **_kw: Any) -> None:
    draft = await _load(session, reports, user.id)
    if draft is None:
        await _draft_gone(message, state)
        return
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await _ask(message, session, user, draft.data, ReportFlow.description)
        return
    if len(text) > svc.MAX_DESCRIPTION:
        await message.answer(
            _("That is {n} characters; please keep it under {max}.").format(n=len(text), max=svc.MAX_DESCRIPTION),
            reply_markup=kb.skip(user.language, "desc"),
        )
        return
    draft.data["description"] = text
    await _go(message, state, session, reports, user, draft.data, ReportFlow.anonymous)


async def step_buttons(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                       reports, **_kw: Any) -> None:
    """A message where a button is expected: ask again."""
    draft = await _load(session, reports, user.id)
    if draft is None:
        await _draft_gone(message, state)
        return
    step = STEPS.get(draft.step, ReportFlow.photos)
    await message.answer(_("Please choose one of the buttons (or /cancel)."))
    await _ask(message, session, user, draft.data, step)


async def _draft_gone(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("This report is no longer open. Send /report to start a new one."),
                         reply_markup=main_menu())


# ============================================================================================
# Step 9: confirm
# ============================================================================================


async def confirm(query: CallbackQuery, callback_data: FlowCb, state: FSMContext, session: AsyncSession,
                  user: UserInfo, reports, settings, **_kw: Any) -> None:
    draft = await _flow_draft(query, state, session, user, reports, ReportFlow.confirm)
    if draft is None:
        return
    await query.answer()
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.a == "no":
        await svc.clear_draft(session, user.id)
        await state.clear()
        await query.message.answer(_("Discarded. Nothing was sent."), reply_markup=main_menu())
        return
    try:
        created = await svc.submit_draft(session, user.id, daily_limit=settings.report_daily_limit,
                                         router=reports.router, clock=reports.clock)
    except ReportError as error:
        if error.code == ReportErrorCode.NO_DRAFT:
            return  # a double tap: the first press sent it
        if error.code == ReportErrorCode.DAILY_LIMIT:
            await state.clear()
            await svc.clear_draft(session, user.id)
            await query.message.answer(_limit_text(settings.report_daily_limit), reply_markup=main_menu())
            return
        log.warning("draft of %s not accepted: %s", user.id, error)
        await query.message.answer(
            _("Something in this report is not complete ({problem}). Please check it: /report").format(
                problem=escape(error.code.value)))
        return
    await state.clear()
    report = created.report
    await query.message.answer(
        _("✅ Thank you! Your report <b>{ticket}</b> was sent to {unit}.\n"
          "I'll tell you of every change; /myreports shows its status.").format(
            ticket=report.ticket, unit=escape(unit_name(report.unit_code) or "")),
        reply_markup=main_menu(),
    )
    await post_report(reports, session, report)


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


# ============================================================================================
# Residents: /myreports and the follow-up question
# ============================================================================================


async def my_reports(message: Message, session: AsyncSession, user: UserInfo, settings, **_kw: Any) -> None:
    rows = await svc.my_reports(session, user.id, limit=10, include_followed=True)
    if not rows:
        await message.answer(_("You have no reports yet. /report sends one."), reply_markup=main_menu())
        return
    lines = [_("<b>Your reports</b> (and the ones you follow), newest first:")]
    lines += [view.report_line(user.language, r, settings.timezone) for r in rows]
    await message.answer("\n".join(lines))


async def followup_answer(query: CallbackQuery, callback_data: FollowupCb, session: AsyncSession,
                          user: UserInfo, reports, **_kw: Any) -> None:
    outcome = await svc.answer_followup(session, callback_data.r, user.id, callback_data.clean,
                                        now=reports.clock())
    if isinstance(outcome, Changed):
        await query.answer()
        with contextlib.suppress(TelegramAPIError):
            await query.message.edit_reply_markup(reply_markup=None)
        if callback_data.clean:
            await query.message.answer(_("🙏 Thank you for checking! Jiangyin is a little cleaner."))
        else:
            await query.message.answer(
                _("🔁 Sorry about that! The report is open again and the unit has been told."))
            locale = reports.settings.default_locale
            note = gettext_for(locale, "🔁 The reporter says it is not clean yet: reopened.")
            await after_change(reports, session, outcome, user, note=note)
            await alert_unit(reports, session, outcome.report, note)
        return
    if isinstance(outcome, NotAllowed) and outcome.reason == "not_reporter":
        await query.answer(_("Only the person who reported it can answer."), show_alert=True)
    elif isinstance(outcome, NotAllowed):
        await query.answer(_("You already answered. Thank you!"))
    else:
        await query.answer(_("This report has changed since; no answer is needed."), show_alert=True)


# ============================================================================================
# Wiring
# ============================================================================================


async def group_report_hint(message: Message, **_kw: Any) -> None:
    await message.answer(_("📸 To report illegal dumping, write to me in a private chat."))


def build() -> Router:
    router = Router(name=__name__)

    private = Router(name=__name__ + ".private")
    private.message.filter(F.chat.type == "private")
    private.message.register(start_report, Command("report"))
    private.message.register(start_report, MenuButton(BTN_REPORT))
    private.message.register(my_reports, Command("myreports"))
    private.callback_query.register(continue_or_restart, FlowCb.filter(F.a.in_({"cont", "over"})))
    private.callback_query.register(photos_done, FlowCb.filter(F.a == "done"))
    private.callback_query.register(duplicate_choice, FlowCb.filter(F.a.in_({"dup", "new"})))
    private.callback_query.register(skip_step, FlowCb.filter(F.a == "skip"))
    private.callback_query.register(choose, FlowCb.filter(F.a.in_({"type", "amt", "wit", "anon"})))
    private.callback_query.register(confirm, FlowCb.filter(F.a.in_({"ok", "no"})))
    private.callback_query.register(followup_answer, FollowupCb.filter())
    for state_name, handler in STEP_HANDLERS.items():
        private.message.register(handler, StateFilter(STEPS[state_name]))
    private.message.register(resume_lost, StateFilter(None), LostDraft())

    group = Router(name=__name__ + ".groups")
    group.message.register(group_report_hint, Command("report"), F.chat.type != "private")

    router.include_routers(private, group)
    return router
