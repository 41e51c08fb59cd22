"""The report wizard's states and its draft: saved in the database at every step (the source of
truth), the question each step asks, and the checks a button press makes against the draft."""

from __future__ import annotations

import re
from datetime import timedelta

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keyboards import reports as kb
from bot.keyboards.menu import main_menu
from bot.views import reports as view
from core.accounts import UserInfo
from reports import geo, service as svc

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


async def load(session: AsyncSession, reports, user_id: int) -> svc.Draft | None:
    return await svc.load_draft(session, user_id, max_age=DRAFT_MAX_AGE, now=reports.clock())


async def save(session: AsyncSession, reports, user_id: int, data: dict, step: State) -> None:
    data["instance"] = reports.instance
    await svc.save_draft(session, user_id, data, step.state, now=reports.clock())


def route_unit(reports, lat: float, lon: float) -> str:
    return reports.router.route(lat, lon).unit_code


async def go(message: Message, state: FSMContext, session: AsyncSession, reports, user: UserInfo,
              data: dict, step: State) -> None:
    """Save the draft at ``step``, switch the state and ask the step's question."""
    await save(session, reports, user.id, data, step)
    await state.set_state(step)
    await ask(message, session, user, data, step)


async def ask(message: Message, session: AsyncSession, user: UserInfo, data: dict, step: State) -> None:
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
        unit = route_unit_from(data)
        await message.answer(view.draft_summary(locale, data, unit), reply_markup=kb.confirm(locale))


def route_unit_from(data: dict) -> str | None:
    return data.get("route_unit")


async def flow_draft(query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, session: AsyncSession, user: UserInfo,
                      reports, *steps: State) -> svc.Draft | None:
    """The draft a reporter's button belongs to, or None (and the press is answered)."""
    draft = await load(session, reports, user.id)
    if draft is None:
        callback_answer.text = _("This report is no longer open. Send /report to start a new one.")
        callback_answer.show_alert = True
        return None
    if draft.step not in {s.state for s in steps}:
        callback_answer.text = _("This button is out of date: please use the latest message.")
        return None
    if await state.get_state() != draft.step:
        await state.set_state(draft.step)  # the conversation state was lost: resume from the draft
    return draft


async def draft_gone(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("This report is no longer open. Send /report to start a new one."),
                         reply_markup=main_menu())


def limit_text(limit: int) -> str:
    return _("🙏 You have already sent {limit} reports today, the daily limit. Thank you for caring! "
             "Please send new ones tomorrow.").format(limit=limit)
