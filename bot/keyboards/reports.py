"""Keyboards and callback data of the reports feature (short prefixes: Telegram allows 64 bytes)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.i18n import N_, gettext_for, unit_label
from bot.views.reports import AMOUNT_LABELS, REJECT_LABELS, WASTE_LABELS
from core.units import all_units
from reports.models import Amount, RejectReason, ReportStatus, WasteType
from reports.service import Nearby

BTN_SEND_LOCATION = N_("📍 Send my current location")
BTN_EXIF_LOCATION = N_("🖼 Use the photo's location")
BTN_SAW_IT = N_("👀 Yes, I saw it")
BTN_DID_NOT_SEE = N_("No")
BTN_SKIP = N_("⏭ Skip")
BTN_ANONYMOUS = N_("🙈 Stay anonymous (recommended)")
BTN_NAMED = N_("👤 Show my name to staff")
BTN_NOT_A_DUPLICATE = N_("➕ It's different: continue my report")
BTN_PHOTOS_DONE = N_("✅ Done, next: the place")
BTN_CONTINUE = N_("▶️ Continue my draft")
BTN_START_OVER = N_("🆕 Start over")


class FlowAction(StrEnum):
    """The reporter's buttons (the short codes are what Telegram stores)."""

    PHOTOS_DONE = "done"
    WASTE_TYPE = "type"  # v: a WasteType
    AMOUNT = "amt"  # v: an Amount
    WITNESSED = "wit"  # v: "1" or "0"
    SKIP = "skip"  # v: "plate" or "desc"
    ANONYMOUS = "anon"  # v: "1" or "0"
    FOLLOW_DUPLICATE = "dup"  # v: the report id
    NOT_A_DUPLICATE = "new"
    SEND = "ok"
    DISCARD = "no"
    CONTINUE = "cont"
    START_OVER = "over"
    EDIT_MENU = "edit"  # the summary: which field to change
    EDIT = "ed"  # v: the EditField to change
    SUMMARY = "sum"  # back to the summary's buttons


class EditField(StrEnum):
    """What the summary lets the resident change: the value is the step that asks it."""

    PHOTOS = "photos"
    PLACE = "location"
    WASTE_TYPE = "waste_type"
    AMOUNT = "amount"
    WITNESSED = "witnessed"
    DESCRIPTION = "description"
    ANONYMOUS = "anonymous"


EDIT_LABELS = {
    EditField.PHOTOS: N_("📷 Add photos"),
    EditField.PLACE: N_("📍 Place"),
    EditField.WASTE_TYPE: N_("🗑 Type"),
    EditField.AMOUNT: N_("⚖️ Amount"),
    EditField.WITNESSED: N_("👀 Seen it happen / plate"),
    EditField.DESCRIPTION: N_("📝 Description"),
    EditField.ANONYMOUS: N_("🙈 Anonymity"),
}


class FlowCb(CallbackData, prefix="rp"):
    """A reporter's button: action ``a`` with its value ``v`` (see ``FlowAction``)."""

    a: FlowAction
    v: str = ""


class StaffAction(StrEnum):
    """What a staff button on a report card does (the short codes are what Telegram stores)."""

    ACCEPT = "acc"
    START = "prog"
    RESOLVE = "res"
    REJECT = "rej"  # shows the reasons
    REJECT_BECAUSE = "rjr"  # x: the RejectReason
    REASSIGN = "ras"  # shows the units
    REASSIGN_TO = "rau"  # x: the unit code; asks to confirm
    REASSIGN_CONFIRMED = "rauok"  # x: the unit code; moves the report
    REOPEN = "reo"
    BACK = "back"  # back to the card's buttons
    OPEN = "open"  # /reports: show the card (with its buttons) here


class StaffCb(CallbackData, prefix="rs"):
    """A staff button on a report card: action ``a`` on report ``r`` drawn for status ``s``; ``x``
    is the argument of the two actions that take one (kept as the last field so the cards already
    in the staff chats keep working)."""

    a: StaffAction
    r: int = Field(ge=1, le=2**31 - 1)
    s: ReportStatus
    x: str = ""


class FollowupCb(CallbackData, prefix="rf"):
    """The reporter's answer to "is it clean now?" about report ``r`` (an id the database can hold:
    a forged larger one does not parse and gets the "expired" answer, not a database error)."""

    r: int = Field(ge=1, le=2**31 - 1)
    clean: bool


def photos_done(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, BTN_PHOTOS_DONE), callback_data=FlowCb(a=FlowAction.PHOTOS_DONE))
    return b.as_markup()


def location_keyboard(locale: str, with_exif: bool) -> ReplyKeyboardMarkup:
    rows = [[KeyboardButton(text=gettext_for(locale, BTN_SEND_LOCATION), request_location=True)]]
    if with_exif:
        rows.append([KeyboardButton(text=gettext_for(locale, BTN_EXIF_LOCATION))])
    return ReplyKeyboardMarkup(
        keyboard=rows,
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=gettext_for(locale, "…or type an address"),
    )


def waste_types(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for kind in WasteType:
        b.button(
            text=gettext_for(locale, WASTE_LABELS[kind]), callback_data=FlowCb(a=FlowAction.WASTE_TYPE, v=kind.value)
        )
    b.adjust(2)
    return b.as_markup()


def amounts(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for kind in Amount:
        b.button(text=gettext_for(locale, AMOUNT_LABELS[kind]), callback_data=FlowCb(a=FlowAction.AMOUNT, v=kind.value))
    b.adjust(1)
    return b.as_markup()


def yes_no_witnessed(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, BTN_SAW_IT), callback_data=FlowCb(a=FlowAction.WITNESSED, v="1"))
    b.button(text=gettext_for(locale, BTN_DID_NOT_SEE), callback_data=FlowCb(a=FlowAction.WITNESSED, v="0"))
    return b.as_markup()


def skip(locale: str, step: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, BTN_SKIP), callback_data=FlowCb(a=FlowAction.SKIP, v=step))
    return b.as_markup()


def anonymity(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, BTN_ANONYMOUS), callback_data=FlowCb(a=FlowAction.ANONYMOUS, v="1"))
    b.button(text=gettext_for(locale, BTN_NAMED), callback_data=FlowCb(a=FlowAction.ANONYMOUS, v="0"))
    b.adjust(1)
    return b.as_markup()


def duplicates(locale: str, nearby: list[Nearby]) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for item in nearby:
        b.button(
            text=gettext_for(locale, "👀 Follow {ticket}", ticket=item.report.ticket),
            callback_data=FlowCb(a=FlowAction.FOLLOW_DUPLICATE, v=str(item.report.id)),
        )
    b.button(text=gettext_for(locale, BTN_NOT_A_DUPLICATE), callback_data=FlowCb(a=FlowAction.NOT_A_DUPLICATE))
    b.adjust(1)
    return b.as_markup()


def confirm(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, "✅ Send the report"), callback_data=FlowCb(a=FlowAction.SEND))
    b.button(text=gettext_for(locale, "✏️ Change something"), callback_data=FlowCb(a=FlowAction.EDIT_MENU))
    b.button(text=gettext_for(locale, "✖️ Discard"), callback_data=FlowCb(a=FlowAction.DISCARD))
    b.adjust(1)
    return b.as_markup()


def edit_fields(locale: str) -> InlineKeyboardMarkup:
    """The summary's "change something" menu: one button per field, and back."""
    b = InlineKeyboardBuilder()
    for field, label in EDIT_LABELS.items():
        b.button(text=gettext_for(locale, label), callback_data=FlowCb(a=FlowAction.EDIT, v=field.value))
    b.button(text=gettext_for(locale, "⬅️ Back"), callback_data=FlowCb(a=FlowAction.SUMMARY))
    b.adjust(2)
    return b.as_markup()


def resume_or_restart(locale: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, BTN_CONTINUE), callback_data=FlowCb(a=FlowAction.CONTINUE))
    b.button(text=gettext_for(locale, BTN_START_OVER), callback_data=FlowCb(a=FlowAction.START_OVER))
    b.adjust(1)
    return b.as_markup()


def staff_actions(locale: str, report_id: int, status: ReportStatus) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    s = status.value

    def add(text: str, action: StaffAction) -> None:
        b.button(text=gettext_for(locale, text), callback_data=StaffCb(a=action, r=report_id, s=s))

    if status == ReportStatus.SUBMITTED:
        add(N_("✅ Accept"), StaffAction.ACCEPT)
    if status == ReportStatus.ACCEPTED:
        add(N_("🚧 Cleaning started"), StaffAction.START)
    if status in (ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS):
        add(N_("🧹 Resolved"), StaffAction.RESOLVE)
    if status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS):
        add(N_("↪️ Reassign"), StaffAction.REASSIGN)
        add(N_("❌ Reject"), StaffAction.REJECT)
    if status in (ReportStatus.RESOLVED, ReportStatus.REJECTED):
        add(N_("🔁 Reopen"), StaffAction.REOPEN)
    b.adjust(2)
    return b.as_markup()


def reject_reasons(locale: str, report_id: int, status: ReportStatus) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for reason in RejectReason:
        b.button(
            text=gettext_for(locale, REJECT_LABELS[reason]),
            callback_data=StaffCb(a=StaffAction.REJECT_BECAUSE, r=report_id, s=status, x=reason.value),
        )
    b.button(text=gettext_for(locale, "⬅️ Back"), callback_data=StaffCb(a=StaffAction.BACK, r=report_id, s=status))
    b.adjust(1)
    return b.as_markup()


def units(locale: str, report_id: int, status: ReportStatus, current: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for unit in all_units():
        if unit.code == current:
            continue
        b.button(
            text=unit.label(locale),
            callback_data=StaffCb(a=StaffAction.REASSIGN_TO, r=report_id, s=status, x=unit.code),
        )
    b.button(text=gettext_for(locale, "⬅️ Back"), callback_data=StaffCb(a=StaffAction.BACK, r=report_id, s=status))
    b.adjust(2)
    return b.as_markup()


def confirm_unit(
    locale: str, report_id: int, status: ReportStatus, ticket: str, unit_code: str
) -> InlineKeyboardMarkup:
    """ "Move JY-… to 青阳镇?" ✅ / ✖ (back to the units)."""
    b = InlineKeyboardBuilder()
    b.button(
        text=gettext_for(locale, "✅ Move {ticket} to {unit}", ticket=ticket, unit=unit_label(unit_code, locale)),
        callback_data=StaffCb(a=StaffAction.REASSIGN_CONFIRMED, r=report_id, s=status, x=unit_code),
    )
    b.button(
        text=gettext_for(locale, "✖ No, keep it here"),
        callback_data=StaffCb(a=StaffAction.REASSIGN, r=report_id, s=status),
    )
    b.adjust(1)
    return b.as_markup()


def followup(locale: str, report_id: int) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=gettext_for(locale, "✅ Yes, it's clean"), callback_data=FollowupCb(r=report_id, clean=True))
    b.button(text=gettext_for(locale, "❌ No, still there"), callback_data=FollowupCb(r=report_id, clean=False))
    return b.as_markup()


def open_buttons(reports: list) -> InlineKeyboardMarkup:
    """/reports: one button per report (its ticket), opening its card."""
    b = InlineKeyboardBuilder()
    for r in reports:
        b.button(text=r.ticket, callback_data=StaffCb(a=StaffAction.OPEN, r=r.id, s=r.status.value))
    b.adjust(2)
    return b.as_markup()
