"""Pure schedule arithmetic in Asia/Shanghai: kinds, month ends, end dates, quiet hours, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from campaigns.models import ScheduleKind
from campaigns.schedule import (
    Schedule,
    apply_quiet_hours,
    format_datetime,
    format_run_time,
    in_quiet_hours,
    next_occurrence,
    occurrences,
    parse_date,
    parse_datetime,
    parse_time,
    parse_weekdays,
)

pytestmark = pytest.mark.dates

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    """A Shanghai wall-clock time as aware UTC."""
    return datetime(*args, tzinfo=SH).astimezone(UTC)


def local(dt: datetime) -> datetime:
    return dt.astimezone(SH).replace(tzinfo=None)


NO_QUIET = None


def test_once_is_returned_once_and_only_in_the_future():
    s = Schedule(ScheduleKind.ONCE, at=sh(2026, 12, 5, 9, 30))
    assert next_occurrence(s, sh(2026, 12, 1, 0, 0)) == sh(2026, 12, 5, 9, 30)
    assert next_occurrence(s, sh(2026, 12, 5, 9, 30)) is None  # strictly after
    assert next_occurrence(s, sh(2026, 12, 6, 0, 0)) is None
    assert next_occurrence(s, sh(2026, 12, 1)).tzinfo is UTC


def test_daily_same_day_or_next_day_in_shanghai_not_utc():
    s = Schedule(ScheduleKind.DAILY, time=time(9, 0), quiet=NO_QUIET)
    # 08:59 Shanghai is 00:59 UTC: the run is the same local day.
    assert next_occurrence(s, sh(2026, 12, 1, 8, 59)) == sh(2026, 12, 1, 9, 0)
    assert next_occurrence(s, sh(2026, 12, 1, 9, 0)) == sh(2026, 12, 2, 9, 0)
    # 23:30 UTC on Dec 1 is already 07:30 on Dec 2 in Shanghai.
    assert next_occurrence(s, datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == sh(2026, 12, 2, 9, 0)
    assert sh(2026, 12, 2, 9, 0) == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_no_dst_in_shanghai_the_offset_is_always_eight_hours():
    s = Schedule(ScheduleKind.DAILY, time=time(12, 0), quiet=NO_QUIET)
    runs = occurrences(s, sh(2026, 1, 1), sh(2027, 1, 1))
    assert len(runs) == 365
    assert {r.hour for r in runs} == {4}  # 12:00 CST = 04:00 UTC all year round
    assert all(b - a == timedelta(days=1) for a, b in zip(runs, runs[1:]))


def test_weekly_on_several_days():
    s = Schedule(ScheduleKind.WEEKLY, time=time(10, 0), weekdays={0, 2, 4}, quiet=NO_QUIET)  # Mon Wed Fri
    runs = occurrences(s, sh(2026, 11, 30, 10, 0), sh(2026, 12, 14))  # Monday 30 Nov, at the run time
    assert [local(r).date() for r in runs] == [
        date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 11),
    ]  # fmt: skip
    assert all(local(r).time() == time(10, 0) for r in runs)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (31, [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]),
        (30, [date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30), date(2026, 5, 30)]),
        (29, [date(2026, 1, 29), date(2026, 2, 28), date(2026, 3, 29), date(2026, 4, 29), date(2026, 5, 29)]),
        (1, [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]),
    ],
)
def test_monthly_clamps_to_the_end_of_short_months(day, expected):
    s = Schedule(ScheduleKind.MONTHLY, time=time(9, 0), month_day=day, quiet=NO_QUIET)
    runs = occurrences(s, sh(2025, 12, 31, 23, 0), sh(2026, 6, 1))
    assert [local(r).date() for r in runs] == expected


def test_monthly_leap_february():
    s = Schedule(ScheduleKind.MONTHLY, time=time(9, 0), month_day=31, quiet=NO_QUIET)
    assert local(next_occurrence(s, sh(2028, 2, 1))).date() == date(2028, 2, 29)


def test_end_date_is_inclusive_and_stops_the_schedule():
    s = Schedule(ScheduleKind.DAILY, time=time(9, 0), end=date(2026, 12, 3), quiet=NO_QUIET)
    runs = occurrences(s, sh(2026, 12, 1), sh(2027, 1, 1))
    assert [local(r).date() for r in runs] == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert next_occurrence(s, runs[-1]) is None
    once_late = Schedule(ScheduleKind.ONCE, at=sh(2026, 12, 5, 9, 0), end=date(2026, 12, 4))
    assert next_occurrence(once_late, sh(2026, 12, 1)) is None


def test_end_date_before_a_weekly_day_gives_nothing():
    s = Schedule(ScheduleKind.WEEKLY, time=time(9, 0), weekdays={6}, end=date(2026, 12, 5), quiet=NO_QUIET)
    assert next_occurrence(s, sh(2026, 11, 30)) is None  # the next Sunday is Dec 6


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),  # start is quiet
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),  # end is not
        (time(12, 0), False),
    ],
)
def test_quiet_hour_boundaries(wall, quiet):
    assert in_quiet_hours(wall, (time(21, 0), time(8, 0))) is quiet


def test_quiet_hours_move_a_run_to_eight_next_morning_or_same_morning():
    q = (time(21, 0), time(8, 0))
    assert apply_quiet_hours(sh(2026, 12, 1, 21, 0), q) == sh(2026, 12, 2, 8, 0)
    assert apply_quiet_hours(sh(2026, 12, 1, 23, 45), q) == sh(2026, 12, 2, 8, 0)
    assert apply_quiet_hours(sh(2026, 12, 2, 0, 30), q) == sh(2026, 12, 2, 8, 0)
    assert apply_quiet_hours(sh(2026, 12, 2, 7, 59), q) == sh(2026, 12, 2, 8, 0)
    assert apply_quiet_hours(sh(2026, 12, 2, 8, 0), q) == sh(2026, 12, 2, 8, 0)
    assert apply_quiet_hours(sh(2026, 12, 2, 20, 59), q) == sh(2026, 12, 2, 20, 59)
    # Month and year ends.
    assert apply_quiet_hours(sh(2026, 12, 31, 22, 0), q) == sh(2027, 1, 1, 8, 0)
    # A non-wrapping window (13:00-14:00) and none at all.
    assert apply_quiet_hours(sh(2026, 12, 2, 13, 30), (time(13), time(14))) == sh(2026, 12, 2, 14, 0)
    assert apply_quiet_hours(sh(2026, 12, 2, 23, 0), None) == sh(2026, 12, 2, 23, 0)
    assert apply_quiet_hours(sh(2026, 12, 2, 23, 0), (time(8), time(8))) == sh(2026, 12, 2, 23, 0)


def test_default_quiet_hours_apply_to_schedules():
    once = Schedule(ScheduleKind.ONCE, at=sh(2026, 12, 5, 22, 30))
    assert next_occurrence(once, sh(2026, 12, 1)) == sh(2026, 12, 6, 8, 0)
    daily_night = Schedule(ScheduleKind.DAILY, time=time(22, 0))
    runs = occurrences(daily_night, sh(2026, 12, 1, 12, 0), sh(2026, 12, 4, 12, 0))
    assert runs == [sh(2026, 12, 2, 8, 0), sh(2026, 12, 3, 8, 0), sh(2026, 12, 4, 8, 0)]
    early = Schedule(ScheduleKind.DAILY, time=time(6, 0))
    assert occurrences(early, sh(2026, 12, 1, 12, 0), sh(2026, 12, 3, 12, 0)) == [
        sh(2026, 12, 2, 8, 0), sh(2026, 12, 3, 8, 0),
    ]  # fmt: skip


def test_runs_shifted_to_the_same_morning_collapse_into_one():
    # Monday 23:00 and Tuesday 07:00 both land on Tuesday 08:00: one run, not two.
    s = Schedule(ScheduleKind.WEEKLY, time=time(23, 0), weekdays={0})
    s2 = Schedule(ScheduleKind.WEEKLY, time=time(7, 0), weekdays={1})
    assert next_occurrence(s, sh(2026, 11, 30, 12)) == next_occurrence(s2, sh(2026, 11, 30, 12)) == sh(2026, 12, 1, 8)
    daily = Schedule(ScheduleKind.DAILY, time=time(7, 0))
    first = next_occurrence(daily, sh(2026, 12, 1, 0, 0))
    assert first == sh(2026, 12, 1, 8, 0)
    assert next_occurrence(daily, first) == sh(2026, 12, 2, 8, 0)


def test_end_date_applies_before_the_quiet_shift():
    s = Schedule(ScheduleKind.DAILY, time=time(22, 0), end=date(2026, 12, 2))
    runs = occurrences(s, sh(2026, 12, 1, 12), sh(2026, 12, 10))
    assert runs == [sh(2026, 12, 2, 8, 0), sh(2026, 12, 3, 8, 0)]


def test_invalid_schedules_are_refused():
    with pytest.raises(ValueError):
        Schedule(ScheduleKind.ONCE, at=datetime(2026, 12, 1, 9, 0))  # naive
    with pytest.raises(ValueError):
        Schedule(ScheduleKind.DAILY)
    with pytest.raises(ValueError):
        Schedule(ScheduleKind.WEEKLY, time=time(9), weekdays=set())
    with pytest.raises(ValueError):
        Schedule(ScheduleKind.MONTHLY, time=time(9), month_day=32)
    with pytest.raises(ZoneInfoNotFoundError):
        Schedule(ScheduleKind.DAILY, time=time(9), tz="Mars/Olympus")
    with pytest.raises(ValueError):
        next_occurrence(Schedule(ScheduleKind.DAILY, time=time(9)), datetime(2026, 1, 1))


def test_parse_datetime_and_time():
    assert parse_datetime("2026-12-05 09:30") == datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
    assert parse_datetime("2026/12/5 9:30") == datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
    assert parse_datetime("２０２６-１２-０５　０９：３０") == datetime(2026, 12, 5, 1, 30, tzinfo=UTC)  # full width
    assert parse_datetime("2026-12-05T09:30") == datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
    assert parse_time("9:05") == time(9, 5)
    assert parse_time("21：00") == time(21, 0)
    assert parse_date("2026-12-31") == date(2026, 12, 31)
    for bad in ("2026-13-01 09:00", "2026-02-30 09:00", "明天 9:00", "09:30", ""):
        with pytest.raises(ValueError):
            parse_datetime(bad)
    for bad in ("24:00", "9", "9:5", "09:60", "noon"):
        with pytest.raises(ValueError):
            parse_time(bad)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon,wed,fri", {0, 2, 4}),
        ("Monday Friday", {0, 4}),
        ("sun", {6}),
        ("周一、周三", {0, 2}),
        ("星期一 星期日", {0, 6}),
        ("周日", {6}),
        ("星期天", {6}),
        ("周一三五", {0, 2, 4}),
        ("周一、三、五", {0, 2, 4}),
        ("礼拜六", {5}),
        ("1,7", {0, 6}),
        ("周六，周日", {5, 6}),
    ],
)
def test_parse_weekdays(text, days):
    assert parse_weekdays(text) == frozenset(days)


@pytest.mark.parametrize("bad", ["", "funday", "周八", "8"])
def test_parse_weekdays_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        parse_weekdays(bad)


def test_format_with_babel_in_shanghai_time():
    dt = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
    assert format_datetime(dt, "zh_CN") == "2026年12月5日 09:30:00"
    assert format_datetime(dt, "zh") == "2026年12月5日 09:30:00"
    assert format_datetime(dt, "en").startswith("Dec 5, 2026")
    assert "9:30" in format_datetime(dt, "en")


def test_format_run_time_without_seconds():
    dt = datetime(2026, 12, 5, 13, 30, tzinfo=UTC)  # 21:30 in Shanghai
    assert format_run_time(dt, "zh") == "2026年12月5日 21:30"
    assert format_run_time(dt, "en").replace("\u202f", " ") == "Dec 5, 2026, 9:30 PM"
