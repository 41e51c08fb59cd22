"""Dumping reports rendered for people: labels of the domain's values, the reporter's summary,
the staff card, notifications. Every function takes the reader's locale, so the same code serves
handlers (the sender's language) and jobs/notifications (someone else's language)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, gettext_for, unit_label
from reports.models import Amount, RejectReason, ReportStatus, WasteType
from reports.service import ReportInfo

WASTE_LABELS = {
    WasteType.CONSTRUCTION: N_("🧱 Construction debris"),
    WasteType.HOUSEHOLD: N_("🗑 Household waste"),
    WasteType.BULKY: N_("🛋 Bulky items (furniture…)"),
    WasteType.INDUSTRIAL: N_("🏭 Industrial waste"),
    WasteType.HAZARDOUS: N_("☣️ Hazardous (chemicals, oil…)"),
    WasteType.AGRICULTURAL: N_("🌾 Agricultural waste"),
    WasteType.OTHER: N_("❓ Something else"),
}
AMOUNT_LABELS = {
    Amount.BAGS: N_("👜 A few bags"),
    Amount.CAR: N_("🚗 A car boot full"),
    Amount.TRUCK: N_("🚛 A truckload or more"),
}
STATUS_LABELS = {
    ReportStatus.SUBMITTED: N_("🆕 Submitted"),
    ReportStatus.ACCEPTED: N_("👷 Accepted"),
    ReportStatus.IN_PROGRESS: N_("🚧 Being cleaned up"),
    ReportStatus.RESOLVED: N_("✅ Resolved"),
    ReportStatus.REJECTED: N_("❌ Rejected"),
}
REJECT_LABELS = {
    RejectReason.DUPLICATE: N_("Duplicate of another report"),
    RejectReason.OUTSIDE_AREA: N_("Outside our area"),
    RejectReason.NOT_DUMPING: N_("Not illegal dumping"),
    RejectReason.NOT_ENOUGH_INFO: N_("Not enough information"),
}
PHOTO_NOT_IMAGE = N_("⚠️ That file is not a photo I can read. Send a JPEG or PNG picture.")
PHOTO_TOO_LARGE = N_("⚠️ That file is larger than 20 MB, the most I can receive. Send a smaller photo.")
PHOTO_TOO_MANY = N_("⚠️ A report holds at most 5 photos; I kept the first 5.")
PHOTO_DUPLICATE = N_("ℹ️ You already sent that photo.")

STEP_LABELS = {
    "photos": N_("photos"),
    "location": N_("location"),
    "duplicates": N_("similar reports nearby"),
    "waste_type": N_("type of waste"),
    "amount": N_("amount"),
    "witnessed": N_("did you see it happen"),
    "plate": N_("vehicle plate"),
    "description": N_("description"),
    "anonymous": N_("anonymity"),
    "confirm": N_("confirmation"),
}


def waste_label(locale: str, value: str | None) -> str:
    return gettext_for(locale, WASTE_LABELS[WasteType(value)]) if value else "—"


def amount_label(locale: str, value: str | None) -> str:
    return gettext_for(locale, AMOUNT_LABELS[Amount(value)]) if value else "—"


def status_label(locale: str, value: str) -> str:
    return gettext_for(locale, STATUS_LABELS[ReportStatus(value)])


def reject_label(locale: str, value: str | None) -> str:
    return gettext_for(locale, REJECT_LABELS[RejectReason(value)]) if value else ""


def step_label(locale: str, step: str) -> str:
    return gettext_for(locale, STEP_LABELS.get(step.rsplit(":", 1)[-1], STEP_LABELS["photos"]))


def local_time(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def short_time(value: datetime, tz: str = "Asia/Shanghai") -> str:
    """A time in a card's history: month, day and minute, local."""
    return value.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")


def place_text(locale: str, lat: float, lon: float, address: str | None, unit_code: str | None) -> str:
    """The address (or coordinates) and its unit, the unit left out when the address names it
    already in the reader's language ("青阳镇", "江阴市青阳镇"): no name is printed twice."""
    where = escape(address) if address else f"{lat:.5f}, {lon:.5f}"
    unit = unit_label(unit_code, locale) if unit_code else None
    if unit and address and unit in address:
        return where
    return gettext_for(locale, "{where} ({unit})", where=where, unit=escape(unit)) if unit else where


def draft_summary(locale: str, data: dict, unit_code: str | None) -> str:
    """The confirm screen."""
    lines = [gettext_for(locale, "<b>Please check your report</b>")]
    lines.append(gettext_for(locale, "📷 Photos: {n}", n=len(data.get("photos") or [])))
    if data.get("lat") is not None:
        lines.append(
            gettext_for(
                locale,
                "📍 Place: {place}",
                place=place_text(locale, data["lat"], data["lon"], data.get("address"), unit_code),
            )
        )
    exif = data.get("exif") or {}
    if exif.get("taken_at"):
        lines.append(
            gettext_for(locale, "🕒 Photo taken: {when}", when=escape(exif["taken_at"][:16].replace("T", " ")))
        )
    lines.append(gettext_for(locale, "🗑 Type: {type}", type=waste_label(locale, data.get("waste_type"))))
    lines.append(gettext_for(locale, "⚖️ Amount: {amount}", amount=amount_label(locale, data.get("amount"))))
    if data.get("witnessed"):
        plate = data.get("plate")
        lines.append(gettext_for(locale, "👀 You saw it happen. Plate: {plate}", plate=escape(plate) if plate else "—"))
    if data.get("description"):
        lines.append(gettext_for(locale, "📝 {description}", description=escape(data["description"])))
    if data.get("anonymous", True):
        lines.append(gettext_for(locale, "🙈 Anonymous: staff will not see your name."))
    else:
        lines.append(gettext_for(locale, "👤 Staff will see your name."))
    unit = unit_label(unit_code, locale) if unit_code else None
    if unit:
        lines.append(gettext_for(locale, "🏢 It will go to: {unit}", unit=escape(unit)))
    return "\n".join(lines)


def staff_card(
    locale: str, report: ReportInfo, reporter: str | None = None, note: str | None = None, tz: str = "Asia/Shanghai"
) -> str:
    """The post in the unit's staff chat (edited on every change)."""
    lines = [
        gettext_for(
            locale,
            "🚯 <b>Report {ticket}</b> · {status}",
            ticket=report.ticket,
            status=status_label(locale, report.status),
        ),
        gettext_for(locale, "🏢 Unit: {unit}", unit=escape(unit_label(report.unit_code, locale))),
        gettext_for(
            locale, "📍 Place: {place}", place=place_text(locale, report.lat, report.lon, report.address, None)
        ),
        gettext_for(locale, "🗑 Type: {type}", type=waste_label(locale, report.waste_type)),
        gettext_for(locale, "⚖️ Amount: {amount}", amount=amount_label(locale, report.amount)),
    ]
    if report.witnessed:
        lines.append(
            gettext_for(locale, "👀 Witnessed. Plate: {plate}", plate=escape(report.plate) if report.plate else "—")
        )
    if report.description:
        lines.append(gettext_for(locale, "📝 {description}", description=escape(report.description)))
    lines.append(
        gettext_for(
            locale, "👤 Reporter: {who}", who=escape(reporter) if reporter else gettext_for(locale, "anonymous")
        )
    )
    lines.append(gettext_for(locale, "🕒 Reported: {when}", when=local_time(report.created_at, tz)))
    if report.status == ReportStatus.REJECTED and report.reject_reason:
        lines.append(gettext_for(locale, "Reason: {reason}", reason=reject_label(locale, report.reject_reason)))
    if note:
        lines.append("")
        lines.append(note)
    return "\n".join(lines)


def change_notice(
    locale: str,
    report: ReportInfo,
    comment: str | None,
    *,
    own: bool,
    reassigned_to: str | None = None,
    reopened: bool = False,
) -> str:
    """What the reporter (``own``) and followers hear of a change."""
    head = (
        gettext_for(locale, "🔔 Your report <b>{ticket}</b>", ticket=report.ticket)
        if own
        else gettext_for(locale, "🔔 A report you follow, <b>{ticket}</b>", ticket=report.ticket)
    )
    lines = [head]
    if reassigned_to:
        lines.append(
            gettext_for(locale, "It was handed over to {unit}.", unit=escape(unit_label(reassigned_to, locale)))
        )
    elif reopened:
        lines.append(
            gettext_for(locale, "🔁 It was reopened. Status: {status}", status=status_label(locale, report.status))
        )
    else:
        lines.append(gettext_for(locale, "Status: {status}", status=status_label(locale, report.status)))
    if report.status == ReportStatus.REJECTED and report.reject_reason and not reassigned_to:
        lines.append(gettext_for(locale, "Reason: {reason}", reason=reject_label(locale, report.reject_reason)))
    if comment:
        lines.append(gettext_for(locale, "💬 “{comment}”", comment=escape(comment)))
    return "\n".join(lines)


def report_line(locale: str, report: ReportInfo, tz: str = "Asia/Shanghai") -> str:
    return "• <b>{ticket}</b> · {status} · {type} · {unit} · {when}".format(
        ticket=report.ticket,
        status=status_label(locale, report.status),
        type=waste_label(locale, report.waste_type),
        unit=escape(unit_label(report.unit_code, locale)),
        when=local_time(report.created_at, tz)[:10],
    )


def duration(locale: str, seconds: float | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 48:
        return gettext_for(locale, "{n:.1f} h", n=hours)
    return gettext_for(locale, "{n:.1f} days", n=hours / 24)
