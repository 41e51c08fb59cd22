"""A clock the test moves by hand, for everything that takes a ``core.clock.Clock``.

``now`` can be assigned directly (a silent jump: nothing is told); ``advance()`` and ``set()`` also
wake the parts that wait for a time (the scheduler), as the real passing of time would.

Tests derive their dates from ``today_utc()`` or from a clock built on it, never from a calendar date
that will one day be in the past.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

from core.clock import Clock


class FakeClock(Clock):
    def __init__(self, now: datetime, tz: str | tzinfo | None = None) -> None:
        super().__init__(tz)
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = now.astimezone(UTC)
        self._listeners: list[Callable[[], None]] = []

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> datetime:
        self.now = now.astimezone(UTC)
        for listener in list(self._listeners):
            listener()
        return self.now

    def advance(self, **kwargs) -> datetime:
        return self.set(self.now + timedelta(**kwargs))

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None


def local_midnight_utc(days_from_today: int, tz: str | tzinfo | None = None) -> datetime:
    """Midnight (in ``tz``, default Asia/Shanghai) ``days_from_today`` days after today, in UTC."""
    clock = Clock(tz)
    today = clock.today() + timedelta(days=days_from_today)
    return datetime(today.year, today.month, today.day, tzinfo=clock.tz).astimezone(UTC)
