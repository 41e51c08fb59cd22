"""Step 2 and 3: where it is (pin, typed address, the photo's position) and similar reports nearby."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import Any

from aiogram import F
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
    DUPLICATE_DAYS,
    DUPLICATE_RADIUS_M,
    GEOCODE_DEADLINE_S,
    ReportFlow,
    ReportStep,
    after_answer,
    draft_gone,
    drop_buttons,
    flow_draft,
    go,
    load,
    route_unit,
    show_choice,
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


class LocationStep(ReportStep, state=ReportFlow.location.state):
    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        exif = data.get("exif") or {}
        has_exif = exif.get("lat") is not None and geo.inside_jiangyin(exif["lat"], exif["lon"])
        text = _(
            "📍 <b>Where is it?</b>\n"
            "Press the button to send where you are now, share a pin (📎 → Location), or type "
            "an address, e.g. “青阳镇 镇中路”."
        )
        if has_exif:
            text += "\n" + _("🖼 Your photo knows where it was taken: press “Use the photo's location”.")
        elif exif.get("lat") is not None:
            text += "\n" + _("🖼 Your photo's position is outside Jiangyin, so I can't use it.")
        await message.answer(text, reply_markup=kb.location_keyboard(user.language, has_exif))

    @on.message()
    async def typed(
        self,
        message: Message,
        state: FSMContext,
        scenes: ScenesManager,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        draft = await load(session, reports, user.id)
        if draft is None:
            await draft_gone(message, state)
            return
        data = draft.data
        place = Place(message, scenes, session, user, reports, data)
        if message.venue:
            loc = message.venue.location
            await place.set(
                loc.latitude,
                loc.longitude,
                "venue",
                " ".join(x for x in (message.venue.title, message.venue.address) if x),
            )
        elif message.location:
            await place.set(message.location.latitude, message.location.longitude, "telegram", None)
        elif message.text and message.text in texts_for(BTN_EXIF_LOCATION):
            exif = data.get("exif") or {}
            if exif.get("lat") is None:
                await message.answer(_("Your photos carry no position. Send a pin or type an address."))
                return
            await place.set(exif["lat"], exif["lon"], "exif", None)
        elif message.text and not message.text.startswith("/"):
            await place.geocode(message.text.strip())
        else:
            await self.ask(message, session, user, data)


class Place:
    """A place given for the draft: checked, routed to its unit, and the wizard moved on."""

    def __init__(
        self, message: Message, scenes: ScenesManager, session: AsyncSession, user: UserInfo, reports, data: dict
    ) -> None:
        self.message, self.scenes, self.session, self.user, self.reports, self.data = (
            message,
            scenes,
            session,
            user,
            reports,
            data,
        )

    async def geocode(self, query: str) -> None:
        message, user, reports = self.message, self.user, self.reports
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
            await self.set(result.lat, result.lon, result.source or "gazetteer", query)
        elif result.status == GeocodeStatus.NEEDS_PIN:
            await message.answer(
                _(
                    "📌 {unit} is a large area: please send a location pin (📎 → Location) so the staff can "
                    "find the spot."
                ).format(unit=escape(unit_label(result.unit_code, user.language) or result.label or "")),
                reply_markup=kb.location_keyboard(user.language, False),
            )
        elif result.status == GeocodeStatus.OUTSIDE:
            await message.answer(outside_text())
        else:
            await message.answer(
                _(
                    "🤔 I couldn't find “{query}” in Jiangyin. Send a location pin, or type a town or street "
                    "name such as 青阳镇 or 澄江街道."
                ).format(query=escape(query))
            )

    async def set(self, lat: float, lon: float, source: str, address: str | None) -> None:
        message, session, user, reports, data = self.message, self.session, self.user, self.reports, self.data
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
            nxt = after_answer(data, ReportFlow.duplicates)
        else:
            data.pop("nearby", None)
            nxt = after_answer(data, ReportFlow.waste_type)
        await go(self.scenes, session, reports, user, data, nxt)


def outside_text() -> str:
    return _(
        "🚫 That place is outside Jiangyin. Wufei can only pass on reports inside Jiangyin's towns "
        "and streets. Please send a location in Jiangyin."
    )


class DuplicatesStep(ReportStep, state=ReportFlow.duplicates.state):
    async def ask(self, message: Message, session: AsyncSession, user: UserInfo, data: dict, **kw: Any) -> None:
        locale = user.language
        nearby = await svc.nearby_open_reports(session, data["lat"], data["lon"], DUPLICATE_RADIUS_M, DUPLICATE_DAYS)
        nearby = nearby[:3]
        lines = [_("👀 <b>Someone already reported dumping near here</b> in the last 7 days:")]
        for item in nearby:
            lines.append(
                _("• {ticket} · {status} · {type} · {distance} m away").format(
                    ticket=item.report.ticket,
                    status=view.status_label(locale, item.report.status),
                    type=view.waste_label(locale, item.report.waste_type),
                    distance=round(item.distance_m),
                )
            )
        lines.append(_("If it is the same, follow it: you'll hear of every change. If not, continue your report."))
        await message.answer("\n".join(lines), reply_markup=kb.duplicates(locale, nearby))

    @on.callback_query(FlowCb.filter(F.a == FlowAction.NOT_A_DUPLICATE))
    async def different(
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
        draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.duplicates)
        if draft is None:
            return
        await show_choice(query, None, _(kb.BTN_NOT_A_DUPLICATE))
        await go(scenes, session, reports, user, draft.data, after_answer(draft.data, ReportFlow.waste_type))

    @on.callback_query(FlowCb.filter(F.a == FlowAction.FOLLOW_DUPLICATE))
    async def follow(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        callback_data: FlowCb,
        state: FSMContext,
        session: AsyncSession,
        user: UserInfo,
        reports,
        **_kw: Any,
    ) -> None:
        draft = await flow_draft(query, callback_answer, state, session, user, reports, ReportFlow.duplicates)
        if draft is None:
            return
        await drop_buttons(query)
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
            text = _(
                "That is your own report {ticket}: you'll hear of every change anyway. Your new draft was discarded."
            )
        elif result == svc.FollowResult.NOT_FOUND:
            text = _("That report no longer exists. Send /report to start again.")
        else:
            text = _("👀 You now follow {ticket}: I'll tell you of every change. Thank you for caring!")
        await query.message.answer(text.format(ticket=ticket), reply_markup=main_menu())


SCENES = (LocationStep, DuplicatesStep)
