"""Figures of the sorting questions for the dashboard, from the query log (``sort_queries``), in
SQL: questions and answered ones per day, and the questions most often left unanswered (by their
normalised ``key``, with one example as asked). Days start at the caller's local midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.periods import bucket
from knowledge.models import SortQuery

DAY_S = 86400


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    asked: int
    answered: int

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True, slots=True)
class Unanswered:
    key: str
    example: str
    count: int


async def per_day(session: AsyncSession, *, start: datetime, days: int) -> list[Day]:
    """One entry per day from ``start`` (a local midnight), days without questions included."""
    index = bucket(session.get_bind().dialect.name, SortQuery.at, start, DAY_S)
    rows = (
        await session.exec(
            select(index, func.count(), func.sum(case((col(SortQuery.answered).is_(True), 1), else_=0)))
            .where(SortQuery.at >= start, SortQuery.at < start + timedelta(days=days))
            .group_by(index)
        )
    ).all()
    await session.rollback()
    counts = {int(i): (n, int(a or 0)) for i, n, a in rows}
    return [Day((start + timedelta(days=i)).date(), *counts.get(i, (0, 0))) for i in range(days)]


async def top_unanswered(session: AsyncSession, *, since: datetime, limit: int = 10) -> list[Unanswered]:
    rows = (
        await session.exec(
            select(SortQuery.key, func.min(SortQuery.query), func.count().label("n"))
            .where(col(SortQuery.answered).is_(False), SortQuery.at >= since)
            .group_by(SortQuery.key)
            .order_by(func.count().desc(), SortQuery.key)
            .limit(limit)
        )
    ).all()
    await session.rollback()
    return [Unanswered(k, q, n) for k, q, n in rows]
