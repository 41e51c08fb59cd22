"""Pure schedule arithmetic: next occurrences, quiet hours, parsing staff input, formatting.

Rules
- Occurrences are computed in the campaign's time zone (Asia/Shanghai by default: UTC+8, no DST)
  and returned as aware UTC datetimes.
- ``once``: the given instant. ``daily``: every day at ``time``. ``weekly``: on the given weekdays
  (0 = Monday) at ``time``. ``monthly``: on ``month_day`` at ``time``; a day the month does not have
  is clamped to its last day (31 -> 30 April, 28/29 February).
- ``end``: the last local date (inclusive) on which an occurrence may fall (before any quiet-hour
  shift, so a 22:00 run on the end date is still delivered at 08:00 the next morning).
- Quiet hours ``[start, end)`` in local time, wrapping midnight when start > end (the default
  21:00-08:00). An occurrence inside them moves to the end of the quiet period (08:00 the next
  morning for 21:00-08:00); 21:00 itself is quiet, 08:00 is not. Several occurrences that move to the
  same instant collapse into one. start == end (or None) means no quiet hours.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime

from campaigns.models import ScheduleKind

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_QUIET = (time(21, 0), time(8, 0))
TimeOfDay = time  # in Schedule's body, `time` names its field


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: ScheduleKind
    at: datetime | None = None  # ONCE: an aware instant
    time: time | None = None  # recurring kinds: local time of day
    weekdays: frozenset[int] = field(default_factory=frozenset)  # WEEKLY: 0 = Monday .. 6 = Sunday
    month_day: int | None = None  # MONTHLY: 1..31
    end: date | None = None  # inclusive local date
    tz: str = DEFAULT_TZ
    quiet: tuple[TimeOfDay, TimeOfDay] | None = DEFAULT_QUIET

    def __post_init__(self) -> None:
        kind = ScheduleKind(self.kind)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        ZoneInfo(self.tz)  # raises for an unknown zone
        if kind is ScheduleKind.ONCE:
            if self.at is None or self.at.tzinfo is None:
                raise ValueError("a one-off schedule needs an aware 'at'")
        else:
            if self.time is None:
                raise ValueError("a recurring schedule needs a time of day")
        if kind is ScheduleKind.WEEKLY and (not self.weekdays or not all(0 <= d <= 6 for d in self.weekdays)):
            raise ValueError("a weekly schedule needs weekdays in 0..6")
        if kind is ScheduleKind.MONTHLY and not (self.month_day and 1 <= self.month_day <= 31):
            raise ValueError("a monthly schedule needs a day of month in 1..31")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def in_quiet_hours(local: time, quiet: tuple[time, time] | None) -> bool:
    if not quiet or quiet[0] == quiet[1]:
        return False
    start, end = quiet
    if start < end:
        return start <= local < end
    return local >= start or local < end


def apply_quiet_hours(instant: datetime, quiet: tuple[time, time] | None, tz: str = DEFAULT_TZ) -> datetime:
    """``instant`` (aware) moved to the end of the quiet period if it falls inside it; UTC result."""
    zone = ZoneInfo(tz)
    local = instant.astimezone(zone)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), quiet):
        return instant.astimezone(UTC)
    start, end = quiet
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, zone).astimezone(UTC)


def _raw_after(schedule: Schedule, after: datetime) -> datetime | None:
    """The first raw (not quiet-shifted) occurrence strictly after ``after``."""
    zone = schedule.zone
    if schedule.kind is ScheduleKind.ONCE:
        at = schedule.at
        if at <= after:
            return None
        if schedule.end and at.astimezone(zone).date() > schedule.end:
            return None
        return at
    local_after = after.astimezone(zone)
    day = local_after.date()
    # At most ~ a month and a half of days has to be looked at for any kind.
    for _ in range(400):
        if schedule.end and day > schedule.end:
            return None
        if _matches(schedule, day):
            candidate = datetime.combine(day, schedule.time, zone)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    return None  # pragma: no cover - unreachable for valid schedules


def _matches(schedule: Schedule, day: date) -> bool:
    if schedule.kind is ScheduleKind.DAILY:
        return True
    if schedule.kind is ScheduleKind.WEEKLY:
        return day.weekday() in schedule.weekdays
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(schedule.month_day, last)


def next_occurrence(schedule: Schedule, after: datetime) -> datetime | None:
    """The first run strictly after ``after`` (aware), quiet hours applied, in UTC; None if none."""
    if after.tzinfo is None:
        raise ValueError("'after' must be aware")
    raw = _raw_after(schedule, after)
    while raw is not None:
        shifted = apply_quiet_hours(raw, schedule.quiet, schedule.tz)
        if shifted > after:
            return shifted
        raw = _raw_after(schedule, raw)  # pragma: no cover - shifting never moves backwards
    return None


def occurrences(schedule: Schedule, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
    """Runs in ``(after, until]``, at most ``limit`` of them (the earliest)."""
    out: list[datetime] = []
    current = after
    while len(out) < limit:
        nxt = next_occurrence(schedule, current)
        if nxt is None or nxt > until:
            break
        out.append(nxt)
        current = nxt
    return out


# --- parsing staff input -------------------------------------------------------------------------

_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_ZH_DIGITS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_ZH_PREFIXES = ("星期", "礼拜", "周")


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, colons and commas into ASCII ones.
    return unicodedata.normalize("NFKC", text).strip()


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATETIME_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+|\s*)(\d{1,2}):(\d{2})$")


def parse_time(text: str) -> time:
    """``HH:MM`` (also ``9:05``, full-width colon) -> time; ValueError otherwise."""
    match = _TIME_RE.match(_normalise(text))
    if not match:
        raise ValueError(f"not a time (HH:MM): {text!r}")
    hour, minute = int(match[1]), int(match[2])
    return time(hour, minute)  # raises ValueError when out of range


def parse_datetime(text: str, tz: str = DEFAULT_TZ) -> datetime:
    """``YYYY-MM-DD HH:MM`` local to ``tz`` (also ``/`` or ``.`` separators, ``T``) -> aware UTC."""
    match = _DATETIME_RE.match(_normalise(text))
    if not match:
        raise ValueError(f"not a date and time (YYYY-MM-DD HH:MM): {text!r}")
    year, month, day, hour, minute = (int(g) for g in match.groups())
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` (or ``/``, ``.``) -> date."""
    match = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", _normalise(text))
    if not match:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    return date(int(match[1]), int(match[2]), int(match[3]))


def parse_weekday(token: str) -> int:
    token = _normalise(token).lower().rstrip(".")
    if token in _WEEKDAYS:
        return _WEEKDAYS[token]
    if token.isdigit() and 1 <= int(token) <= 7:
        return int(token) - 1  # 1 = Monday .. 7 = Sunday
    for prefix in _ZH_PREFIXES:
        if token.startswith(prefix):
            rest = token[len(prefix) :]
            if rest in _ZH_DIGITS:
                return _ZH_DIGITS[rest]
            if rest.isdigit() and 1 <= int(rest) <= 7:
                return int(rest) - 1
    if token in _ZH_DIGITS:  # "一、三、五" after a first "周一"
        return _ZH_DIGITS[token]
    raise ValueError(f"not a weekday: {token!r}")


def parse_weekdays(text: str) -> frozenset[int]:
    """``mon,wed,fri`` / ``Monday Friday`` / ``周一、周三`` / ``星期一 星期五`` / ``周一三五``."""
    text = _normalise(text)
    tokens = [t for t in re.split(r"[\s,;/、]+", text) if t]
    days: set[int] = set()
    for token in tokens:
        lowered = token.lower()
        prefix = next((p for p in _ZH_PREFIXES if lowered.startswith(p)), None)
        if prefix and len(lowered) > len(prefix) + 1 and all(c in _ZH_DIGITS for c in lowered[len(prefix) :]):
            days.update(_ZH_DIGITS[c] for c in lowered[len(prefix) :])  # 周一三五
            continue
        days.add(parse_weekday(token))
    if not days:
        raise ValueError(f"no weekdays in {text!r}")
    return frozenset(days)


def format_time_of_day(value: time) -> str:
    return value.strftime("%H:%M")


# --- formatting ----------------------------------------------------------------------------------

_BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}


def format_datetime(dt: datetime, locale: str = "zh_CN", tz: str = DEFAULT_TZ, format: str = "medium") -> str:
    """``dt`` (aware) shown in ``tz`` for a babel locale (``zh_CN``, ``en``; ``zh`` also accepted)."""
    return babel_format_datetime(dt, format=format, tzinfo=ZoneInfo(tz), locale=_BABEL_LOCALES.get(locale, locale))


def format_run_time(dt: datetime, locale: str = "zh_CN", tz: str = DEFAULT_TZ) -> str:
    """A run time for people: medium date, short time, in ``tz`` (``2026年12月5日 09:30``,
    ``Dec 5, 2026, 9:30 AM``)."""
    from babel import Locale
    from babel.dates import format_date, format_time

    loc = Locale.parse(_BABEL_LOCALES.get(locale, locale))
    local = dt.astimezone(ZoneInfo(tz))
    pattern = str(loc.datetime_formats["medium"])
    return pattern.replace("{1}", format_date(local.date(), "medium", locale=loc)).replace(
        "{0}", format_time(local.time(), "short", locale=loc)
    )
