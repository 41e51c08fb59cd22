"""The timing a staff member chose, as the FSM keeps it (``sched``: ``{"kind": "now" | "at" |
"daily" | "weekly" | "monthly", ...}``), turned into a ``Schedule`` and described. Times are in the
configured zone; quiet hours move runs out of the night."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from bot.features.campaigns import CampaignRuntime
from bot.views import campaigns as views
from campaigns.models import ScheduleKind
from campaigns.schedule import Schedule, next_occurrence, occurrences, parse_time


def schedule_from(sched: dict, now: datetime, runtime: CampaignRuntime) -> Schedule:
    kind = sched["kind"]
    common = dict(tz=runtime.tz, quiet=runtime.quiet)
    if kind == "now":
        return Schedule(kind=ScheduleKind.ONCE, at=now + timedelta(seconds=1), **common)
    if kind == "at":
        return Schedule(kind=ScheduleKind.ONCE, at=datetime.fromisoformat(sched["at"]), **common)
    return Schedule(
        kind=ScheduleKind(kind),
        time=parse_time(sched["time"]),
        weekdays=frozenset(sched.get("weekdays") or ()),
        month_day=sched.get("month_day"),
        end=date.fromisoformat(sched["end"]) if sched.get("end") else None,
        **common,
    )


def timing_lines(
    schedule: Schedule, first: datetime, now: datetime, locale: str, runtime: CampaignRuntime, *, is_now: bool
) -> list[str]:
    """When it goes out: the schedule, the first run (and why, in the quiet hours), the next three."""
    tz = runtime.tz
    lines = [_("When: {schedule}").format(schedule=views.schedule_text(schedule, locale, now_label=is_now))]
    lines.append(_("First run: <b>{when}</b>").format(when=views.when(first, locale, tz)))
    requested = next_occurrence(dataclasses.replace(schedule, quiet=None), now)
    if requested is not None and requested != first:
        lines.append(
            _("🌙 {requested} falls in the quiet hours, so it goes out at {when}.").format(
                requested=views.when(requested, locale, tz), when=views.when(first, locale, tz)
            )
        )
    if schedule.kind is not ScheduleKind.ONCE:
        later = occurrences(schedule, first, first + timedelta(days=400), limit=3)
        if later:
            lines.append(_("Then: {runs}").format(runs="; ".join(views.when(t, locale, tz) for t in later)))
    return lines


def local_today(runtime: CampaignRuntime) -> date:
    return runtime.clock().astimezone(ZoneInfo(runtime.tz)).date()


def example_datetime(runtime: CampaignRuntime) -> str:
    """Tomorrow at 09:30, as staff should write a date and time."""
    tomorrow = runtime.clock().astimezone(ZoneInfo(runtime.tz)) + timedelta(days=1)
    return tomorrow.strftime("%Y-%m-%d") + " 09:30"
