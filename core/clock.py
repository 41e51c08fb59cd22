"""One notion of "now" for the whole code base: aware UTC datetimes.

SQLModel's ``UTCDateTime`` stores them as UTC on both SQLite and PostgreSQL and returns them aware,
so comparisons behave the same on both back-ends.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
