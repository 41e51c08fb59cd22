"""Campaign texts for residents and staff, in the reader's language.

Functions taking ``locale`` work outside an update (scheduled jobs); the others use the update's
locale through ``_``.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from html import escape, unescape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from babel.dates import format_date, format_skeleton, get_day_names

from bot.i18n import N_, gettext_for, unit_label
from campaigns.cells import CellInfo
from campaigns.models import CampaignStatus, CellKind, ScheduleKind, Target
from campaigns.schedule import Schedule, format_time_of_day
from campaigns.sending import RunStats
from campaigns.service import CampaignInfo, RunInfo
from campaigns.subscriptions import Audience, AudiencePreview, SubscriptionInfo

KIND_NAMES = {
    CellKind.SCHOOL: N_("🏫 Waste-free schools"),
    CellKind.COMMUNITY: N_("🏘 Waste-free communities"),
    CellKind.MARKET: N_("🥬 Waste-free markets"),
    CellKind.FACTORY: N_("🏭 Waste-free factories"),
}
KIND_ONE = {
    CellKind.SCHOOL: N_("waste-free school"),
    CellKind.COMMUNITY: N_("waste-free community"),
    CellKind.MARKET: N_("waste-free market"),
    CellKind.FACTORY: N_("waste-free factory"),
}
STATUS_NAMES = {
    CampaignStatus.ACTIVE: N_("active"),
    CampaignStatus.PAUSED: N_("paused"),
    CampaignStatus.CANCELLED: N_("cancelled"),
    CampaignStatus.FINISHED: N_("finished"),
}
EVERYTHING = N_("🌐 Everything")

_BABEL = {"zh": "zh_CN", "en": "en"}


def babel_locale(locale: str) -> str:
    return _BABEL.get(locale, locale)


def kind_name(kind: CellKind | str) -> str:
    return _(KIND_NAMES[CellKind(kind)])


def kind_one(kind: CellKind | str) -> str:
    return _(KIND_ONE[CellKind(kind)])


def cell_line(cell: CellInfo) -> str:
    """``澄江实验小学 · waste-free school · 澄江街道`` (HTML-escaped)."""
    parts = [escape(cell.name), kind_one(cell.kind), escape(unit_label(cell.unit_code))]
    line = " · ".join(parts)
    if cell.retired:
        line += " " + _("(retired)")
    return line


def cell_card(cell: CellInfo, link: str) -> str:
    lines = [f"<b>{escape(cell.name)}</b> (#{cell.id})"]
    lines.append(_("Kind: {kind}").format(kind=kind_one(cell.kind)))
    lines.append(_("Town/street: {unit}").format(unit=escape(unit_label(cell.unit_code))))
    lines.append(_("Address: {address}").format(address=escape(cell.address) if cell.address else "—"))
    if cell.retired:
        lines.append(_("🗄 Retired: residents can no longer subscribe, campaigns no longer reach it."))
    lines.append(_("Subscribe link: {link}").format(link=escape(link)))
    return "\n".join(lines)


def subscription_label(sub: SubscriptionInfo, cells: dict[int, CellInfo]) -> str:
    if sub.target is Target.ALL:
        return _(EVERYTHING)
    if sub.target is Target.KIND:
        return kind_name(sub.value)
    if sub.target is Target.UNIT:
        return "📍 " + escape(unit_label(sub.value))
    cell = cells.get(int(sub.value))
    if cell is None:
        return "📌 " + _("a waste-free cell that no longer exists")
    return f"📌 {escape(cell.name)} ({escape(unit_label(cell.unit_code))})"


def audience_summary(audience: Audience, cells: dict[int, CellInfo]) -> str:
    if audience.everyone:
        return _("everyone who subscribed to anything")
    parts: list[str] = []
    if audience.kinds:
        parts.append("、".join(kind_name(k) for k in sorted(audience.kinds)))
    if audience.units:
        parts.append("📍 " + "、".join(escape(unit_label(u)) for u in sorted(audience.units)))
    if audience.cells:
        names = [escape(cells[c].name) if c in cells else f"#{c}" for c in sorted(audience.cells)]
        parts.append("📌 " + "、".join(names))
    if not parts:
        return _("nobody yet")
    if audience.kinds and audience.units:
        return _("{kinds} in {units}").format(kinds=parts[0], units=parts[1]) + (
            "; " + parts[2] if len(parts) > 2 else ""
        )
    return "; ".join(parts)


def reach_line(preview: AudiencePreview) -> str:
    return _("Reaches <b>{count}</b> subscribers now ({zh} 中文, {en} English).").format(
        count=preview.count, zh=preview.by_language.get("zh", 0), en=preview.by_language.get("en", 0)
    )


def weekday_names(locale: str) -> dict[int, str]:
    return dict(get_day_names("abbreviated", locale=babel_locale(locale)))


def when(dt: datetime | None, locale: str, tz: str) -> str:
    """``Fri, Mar 5, 2027 09:30`` / ``2027年3月5日周五 09:30``, in ``tz``."""
    if dt is None:
        return "—"
    zone, loc = ZoneInfo(tz), babel_locale(locale)
    return (
        f"{format_skeleton('yMMMEd', dt, tzinfo=zone, locale=loc)} {format_skeleton('Hm', dt, tzinfo=zone, locale=loc)}"
    )


def schedule_text(schedule: Schedule, locale: str, *, now_label: bool = False) -> str:
    """``Every week on Mon, Fri at 09:00 until 31 Dec 2026`` (locale of the update)."""
    tz = schedule.tz
    at_time = format_time_of_day(schedule.time) if schedule.time else ""
    if schedule.kind is ScheduleKind.ONCE:
        text = _("As soon as possible") if now_label else _("Once, {when}").format(when=when(schedule.at, locale, tz))
    elif schedule.kind is ScheduleKind.DAILY:
        text = _("Every day at {time}").format(time=at_time)
    elif schedule.kind is ScheduleKind.WEEKLY:
        names = weekday_names(locale)
        days = ", ".join(names[d] for d in sorted(schedule.weekdays))
        text = _("Every week on {days} at {time}").format(days=days, time=at_time)
    else:
        text = _("Every month on day {day} at {time}").format(day=schedule.month_day, time=at_time)
    if schedule.end and schedule.kind is not ScheduleKind.ONCE:
        text += " " + _("until {date}").format(date=format_date(schedule.end, "medium", locale=babel_locale(locale)))
    text += f" ({tz})"
    return text


def quiet_text(quiet: tuple[time, time] | None) -> str:
    if not quiet or quiet[0] == quiet[1]:
        return _("No quiet hours.")
    return _(
        "🌙 Quiet hours: announcements are not sent between {start} and {end}; a run due in that "
        "window goes out at {end}."
    ).format(start=format_time_of_day(quiet[0]), end=format_time_of_day(quiet[1]))


def status_name(status: CampaignStatus) -> str:
    return _(STATUS_NAMES[status])


def excerpt(html_text: str, limit: int = 120) -> str:
    """The start of a campaign text, as plain escaped text (the stored text is HTML)."""
    plain = unescape(re.sub(r"<[^>]+>", "", html_text)).replace("\n", " ")
    if len(plain) > limit:
        plain = plain[: limit - 1] + "…"
    return escape(plain)


def campaign_card(
    info: CampaignInfo,
    cells: dict[int, CellInfo],
    locale: str,
    last_run: RunInfo | None = None,
    live: RunStats | None = None,
) -> str:
    tz = info.schedule.tz
    lines = [
        _("<b>Campaign #{id}</b> · {status}").format(id=info.id, status=status_name(info.status)),
        _("To: {audience}").format(audience=audience_summary(info.audience, cells)),
        _("When: {schedule}").format(schedule=schedule_text(info.schedule, locale)),
    ]
    if info.status is CampaignStatus.ACTIVE:
        lines.append(_("Next run: {when}").format(when=when(info.next_run_at, locale, tz)))
    if info.photo:
        lines.append(_("🖼 With a photo"))
    if live is not None:  # a run being sent: its figures now
        if live.counted:
            lines.append(_("Sending now: {sent} of {targeted} sent").format(sent=live.sent, targeted=live.targeted))
        else:
            lines.append(_("Sending now: {sent} sent, counting the recipients…").format(sent=live.sent))
    elif last_run is not None and last_run.targeted:
        lines.append(
            _("Last run: {when}, sent {sent} of {targeted}").format(
                when=when(last_run.scheduled_for, locale, tz), sent=last_run.sent, targeted=last_run.targeted
            )
        )
    lines.append("")
    lines.append("🇨🇳 " + excerpt(info.text_zh))
    if info.text_en:
        lines.append("🇬🇧 " + excerpt(info.text_en))
    return "\n".join(lines)


# --- messages to authors, sent from jobs (no update context) ----------------------------------


def run_report(
    locale: str,
    *,
    campaign_id: int,
    scheduled_for: datetime,
    tz: str,
    targeted: int,
    sent: int,
    blocked: int,
    failed: int,
    uncertain: int,
    duration_s: float | None,
) -> str:
    duration = f"{duration_s:.1f}" if duration_s is not None else "—"
    return gettext_for(
        locale,
        "📊 <b>Campaign #{id}</b>: the run of {when} is finished.\n"
        "Targeted: {targeted}\nSent: {sent}\nBlocked the bot: {blocked}\nFailed: {failed}\n"
        "Uncertain (may have arrived): {uncertain}\nDuration: {duration} s",
    ).format(
        id=campaign_id,
        when=when(scheduled_for, locale, tz),
        targeted=targeted,
        sent=sent,
        blocked=blocked,
        failed=failed,
        uncertain=uncertain,
        duration=duration,
    )


def missed_report(locale: str, *, campaign_id: int, scheduled_for: datetime, tz: str, grace_min: float) -> str:
    return gettext_for(
        locale,
        "⚠️ <b>Campaign #{id}</b>: the run of {when} was missed (the bot was offline for longer than "
        "{grace} minutes after it) and was not sent.",
    ).format(id=campaign_id, when=when(scheduled_for, locale, tz), grace=f"{grace_min:g}")
