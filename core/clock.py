"""One notion of "now" for the whole code base, and one configured local time zone.

Rules of this module:
- Times are aware UTC datetimes. SQLModel's ``UTCDateTime`` stores them as UTC on both SQLite and
  PostgreSQL and returns them aware, so comparisons behave the same on both back-ends.
- Everything that decides something by the time of day or the calendar (ticket years, daily report
  quotas, quiet hours, schedules, reminders) asks one ``Clock``: built once at start-up from
  ``WUFEI_TIMEZONE`` and handed to the parts that need it. Nothing hard-codes UTC+8.
- A test replaces the clock with one it moves by hand (``tests/support/clock.py``); parts that wait
  for a time (the scheduler) ``subscribe`` to hear when it moves, so they never fire on the real
  clock while the rest of the code lives on the test's.
- ``utcnow()`` stays for column defaults only (the moment a row is written); decisions take ``now``
  from the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(name: str | tzinfo | None) -> tzinfo:
    """``"Asia/Shanghai"`` (or a tzinfo, or None for the default) -> a tzinfo."""
    if name is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    if isinstance(name, str):
        return ZoneInfo(name)
    return name


class Clock:
    """The real clock: ``clock()`` is now in UTC; ``clock.tz`` the configured local zone."""

    def __init__(self, tz: str | tzinfo | None = None) -> None:
        self.tz = zone(tz)

    def __call__(self) -> datetime:
        return datetime.now(UTC)

    def local(self, when: datetime | None = None) -> datetime:
        """``when`` (default: now) in the local zone."""
        return (when or self()).astimezone(self.tz)

    def today(self) -> date:
        return self.local().date()

    def day_start(self, when: datetime | None = None) -> datetime:
        """Local midnight of the day ``when`` (default: now) falls on, in UTC."""
        local = self.local(when)
        midnight = datetime(local.year, local.month, local.day, tzinfo=self.tz)
        return midnight.astimezone(UTC)

    def year(self, when: datetime | None = None) -> int:
        """The local calendar year of ``when`` (default: now): ticket numbers use it."""
        return self.local(when).year

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` whenever this clock jumps (a test's clock does; the real one only
        moves forward on its own). Returns a function that unsubscribes."""
        return lambda: None


SYSTEM = Clock()
