"""Step 2 and 3: where it is (pin, typed address, the photo's position) and similar reports nearby."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from html import escape
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.reports.drafts import (
    DUPLICATE_DAYS,
    DUPLICATE_RADIUS_M,
    GEOCODE_DEADLINE_S,
    ReportFlow,
    ask,
    draft_gone,
    flow_draft,
    go,
    load,
    route_unit,
)
from bot.i18n import texts_for, unit_label
from bot.keyboards import reports as kb
from bot.keyboards.menu import main_menu
from bot.keyboards.reports import BTN_EXIF_LOCATION, FlowAction, FlowCb
from bot.views import reports as view
from core.accounts import UserInfo
from reports import geo, service as svc
from reports.geocode import GeocodeStatus, gazetteer

log = logging.getLogger(__name__)


async def step_location(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo,
                        reports, **_kw: Any) -> None:
    draft = await load(session, reports, user.id)
    if draft is None:
        await draft_gone(message, state)
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
        await ask(message, session, user, data, ReportFlow.location)


async def _geocode(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports,
                   data: dict, query: str) -> None:
    if len(query) > 200:
        await message.answer(_("That address is too long. Type a shorter one or send a pin."))
        return
    try:
        result = await asyncio.wait_for(reports.geocoder.geocode(query), GEOCODE_DEADLINE_S)
    except (TimeoutError, Exception) as error:  # noqa: BLE001 - never hang on the network
        log.warning("geocoding failed: %r", error)
        reports.geocoder.failed()  # the next addresses go to the gazetteer at once for a while
        result = gazetteer(query)
    if result.status == GeocodeStatus.OK:
        await _set_location(message, state, session, user, reports, data, result.lat, result.lon,
                            result.source or "gazetteer", query)
    elif result.status == GeocodeStatus.NEEDS_PIN:
        await message.answer(
            _("📌 {unit} is a large area: please send a location pin (📎 → Location) so the staff can "
              "find the spot.").format(unit=escape(unit_label(result.unit_code, user.language) or result.label or "")),
            reply_markup=kb.location_keyboard(user.language, False),
        )
    elif result.status == GeocodeStatus.OUTSIDE:
        await message.answer(outside_text())
    else:
        await message.answer(
            _("🤔 I couldn't find “{query}” in Jiangyin. Send a location pin, or type a town or street "
              "name such as 青阳镇 or 澄江街道.").format(query=escape(query))
        )


def outside_text() -> str:
    return _("🚫 That place is outside Jiangyin. Wufei can only pass on reports inside Jiangyin's towns "
             "and streets. Please send a location in Jiangyin.")


async def _set_location(message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, reports,
                        data: dict, lat: float, lon: float, source: str, address: str | None) -> None:
    if not geo.inside_jiangyin(lat, lon):
        await message.answer(outside_text())
        return
    unit = route_unit(reports, lat, lon)
    data.update(lat=lat, lon=lon, location_source=source, address=address, route_unit=unit)
    await message.answer(
        _("📍 Got it: {place}.").format(place=view.place_text(user.language, lat, lon, address, unit)),
        reply_markup=ReplyKeyboardRemove(),
    )
    nearby = await svc.nearby_open_reports(session, lat, lon, DUPLICATE_RADIUS_M, DUPLICATE_DAYS)
    if nearby:
        data["nearby"] = [n.report.id for n in nearby[:3]]
        await go(message, state, session, reports, user, data, ReportFlow.duplicates)
    else:
        data.pop("nearby", None)
        await go(message, state, session, reports, user, data, ReportFlow.waste_type)


async def duplicate_choice(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: FlowCb, state: FSMContext,
                           session: AsyncSession, user: UserInfo, reports, **_kw: Any) -> None:
    draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.duplicates)
    if draft is None:
        return
    with contextlib.suppress(TelegramAPIError):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.a == FlowAction.NOT_A_DUPLICATE:
        await go(query.message, state, session, reports, user, draft.data, ReportFlow.waste_type)
        return
    report_id = int(callback_data.v) if callback_data.v.isdigit() else -1
    if report_id not in (draft.data.get("nearby") or []):
        await query.message.answer(_("This button is out of date: please use the latest message."))
        return
    result = await svc.follow(session, report_id, user.id, now=reports.clock())
    report = await svc.get(session, report_id)
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
