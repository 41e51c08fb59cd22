"""The dashboard's view of reports: a filtered list by age, the map's points, export rows.

``BoardFilter`` is what the page's filters say (units a handler may see are forced by the caller).
The list is read along the indexes of ``reports.queries`` (one branch per unit × status × waste
type, merged by ``UNION ALL``), so a page never sorts every matching row. "Overdue": open and
created more than the escalation delay ago (the admins were told of it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reports import queries
from reports.models import OPEN_STATUSES, Report, ReportStatus

MAP_POINTS = 1000  # the newest reports of the view drawn on the map
EXPORT_MAX = 20_000  # rows of one export; a bigger view is cut (the page says so)


@dataclass(frozen=True, slots=True)
class BoardFilter:
    units: tuple[str, ...] | None = None  # None: every unit
    statuses: tuple[str, ...] = field(default_factory=lambda: tuple(sorted(s.value for s in OPEN_STATUSES)))
    waste_types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    ticket: str
    unit_code: str
    waste_type: str
    status: str
    lat: float
    lon: float
    address: str | None
    created_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None


def _where(f: BoardFilter, now: datetime, escalate_after: timedelta) -> tuple[list[Any], list[list[Any]], list[Any]]:
    """The common terms, the index branches (unit × status × waste type), and the same filter as
    flat ``IN`` terms (for the count: one index scan instead of one per branch)."""
    where: list[Any] = []
    if f.since is not None:
        where.append(Report.created_at >= f.since)
    if f.until is not None:
        where.append(Report.created_at < f.until)
    statuses = list(f.statuses) or [s.value for s in ReportStatus]
    if f.overdue:
        statuses = [s for s in statuses if ReportStatus(s) in OPEN_STATUSES]
        where.append(Report.created_at <= now - escalate_after)
    split = queries.branches(statuses, f.waste_types or None) if statuses else []
    flat = [col(Report.status).in_(statuses)]
    if f.waste_types:
        flat.append(col(Report.waste_type).in_(list(f.waste_types)))
    if f.units is not None:
        split = [[Report.unit_code == u, *terms] for u in dict.fromkeys(f.units) for terms in split]
        flat.append(col(Report.unit_code).in_(list(f.units)))
    return where, split, [*where, *flat]


async def page(
    session: AsyncSession, f: BoardFilter, now: datetime, escalate_after: timedelta, *, limit: int, offset: int = 0
) -> tuple[list[Row], int]:
    """One page of the view, oldest first, and how many reports the view holds."""
    where, split, flat = _where(f, now, escalate_after)
    try:
        ids = await queries.page_ids(session, where, split, limit=limit, offset=offset)
        total = (await session.exec(select(func.count()).select_from(Report).where(*flat))).one() if split else 0
        return await _rows(session, ids), total
    finally:
        await session.rollback()


_ROW_COLUMNS = tuple(Report.__table__.c[f.name] for f in fields(Row))  # type: ignore[attr-defined]


@functools.cache
def _rows_by_ids(dialect: str) -> Any:
    """Built once per database (``queries.one_of``: the ids are one parameter on PostgreSQL)."""
    return select(*_ROW_COLUMNS).where(queries.one_of(Report.__table__.c.id, dialect))  # type: ignore[attr-defined]


async def _rows(session: AsyncSession, ids: Sequence[int]) -> list[Row]:
    if not ids:
        return []
    stmt = _rows_by_ids(session.get_bind().dialect.name)
    by_id = {r[0]: Row(*r) for r in (await session.exec(stmt, params={"ids": list(ids)})).all()}
    return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True, slots=True)
class Point:
    id: int
    ticket: str
    status: str
    lat: float
    lon: float


async def points(
    session: AsyncSession, f: BoardFilter, now: datetime, escalate_after: timedelta, limit: int = MAP_POINTS
) -> list[Point]:
    """The newest ``limit`` reports of the view (for the map): each branch read newest first along
    its index and cut at ``limit``, merged, cut again; only the columns a point needs."""
    where, split, _flat = _where(f, now, escalate_after)
    if not split:
        return []
    columns = (Report.id, Report.ticket, Report.status, Report.lat, Report.lon, Report.created_at)
    parts = [
        select(*columns)  # type: ignore[call-overload]  # as in _rows: at most 4 columns typed
        .where(*where, *terms)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(limit)
        .subquery()
        for terms in split
    ]
    merged = union_all(*[select(p) for p in parts]).subquery()
    stmt = (
        select(
            merged.c.id,
            merged.c.ticket,
            merged.c.status,  # type: ignore[call-overload]  # as in _rows
            merged.c.lat,
            merged.c.lon,
        )
        .order_by(merged.c.created_at.desc(), merged.c.id.desc())
        .limit(limit)
    )
    try:
        return [Point(*r) for r in (await session.exec(stmt)).all()]
    finally:
        await session.rollback()


async def export_rows(
    session: AsyncSession, f: BoardFilter, now: datetime, escalate_after: timedelta, limit: int | None = None
) -> list[Row]:
    """The view's reports for an export, oldest first, at most ``limit`` (``EXPORT_MAX``)."""
    where, split, _flat = _where(f, now, escalate_after)
    try:
        ids = await queries.page_ids(session, where, split, limit=limit or EXPORT_MAX)
        rows: list[Row] = []
        for begin in range(0, len(ids), 5000):
            rows += await _rows(session, ids[begin : begin + 5000])
        return rows
    finally:
        await session.rollback()
