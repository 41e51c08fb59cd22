"""Report queries that aggregate and page in the database, each along an index.

Statistics (``stats``): over every report, the running tallies of ``reports/tallies.py`` (migration
0011: counts and the medians' buckets, kept by triggers), whose cost does not grow with the table.
Filtered by dates or a unit: counts by unit, waste type and status come from one ``GROUP BY``; the
two medians (created -> first accepted, over every report accepted once; created -> resolved, over
the reports resolved now) are ``percentile_cont(0.5)`` on PostgreSQL. SQLite has no percentile
function: there the middle one or two rows are found with ``ORDER BY <duration> LIMIT … OFFSET
(n - 1) / 2`` and their exact durations averaged, which is the same number (``statistics.median``
of the durations). Date and unit filters are ``WHERE`` terms on ``created_at`` and ``unit_code``
(index ``ix_reports_unit_created``, or ``ix_reports_created`` without a unit).

Pages (``page_ids``): a filter on several statuses (or waste types) is split into one branch per
value, each read in index order (``(status, created_at)``, ``(unit_code, status, created_at)``,
``(waste_type, status, created_at)``) and cut at ``offset + limit`` rows, then merged by a
``UNION ALL`` with the final ``ORDER BY … LIMIT … OFFSET``: a page never sorts every matching row,
on either database (neither can walk an index in order across an ``IN`` list). Ties on
``created_at`` are broken by ``id``, so pages are stable. A page's rows are then read by id
(``one_of``: ``= ANY(:ids)``, one array parameter, on PostgreSQL; ``IN`` on SQLite).

Indexes: migrations ``0006_report_query_indexes`` and ``0011_report_tallies``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import product
from typing import Any

from sqlalchemy import Integer, Interval, and_, any_, bindparam, case, func, null, type_coerce, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reports import tallies
from reports.models import OPEN_STATUSES, Report, ReportStatus

# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    total: int
    by_unit: dict[str, int]
    by_type: dict[str, int]
    by_status: dict[str, int]
    median_accept_s: float | None  # created -> first accepted
    median_resolve_s: float | None  # created -> resolved (resolved reports only)
    open: int = 0


def _filters(since: datetime | None, until: datetime | None, unit_code: str | None) -> list[Any]:
    where: list[Any] = []
    if unit_code is not None:
        where.append(Report.unit_code == unit_code)
    if since is not None:
        where.append(Report.created_at >= since)
    if until is not None:
        where.append(Report.created_at < until)
    return where


_RESOLVED = and_(col(Report.status) == ReportStatus.RESOLVED.value, col(Report.resolved_at).is_not(None))


async def stats(
    session: AsyncSession,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    unit_code: str | None = None,
) -> Stats:
    """Counts and median times of the reports created in [since, until) (of one unit)."""
    where = _filters(since, until, unit_code)
    if not where:
        found, medians = await tallies.medians(session, await tallies.read(session))
        if medians is not None:
            by = found.counts
            return _stats(by["unit"], by["type"], by["status"], *medians)
        # (the tallies kept changing under the medians' walk, a rare race: from every row instead)
    dialect = session.bind.dialect.name
    resolved_count = func.count(col(Report.resolved_at)).filter(col(Report.status) == ReportStatus.RESOLVED.value)
    rows = (
        await session.exec(
            select(
                col(Report.unit_code),
                col(Report.waste_type),
                col(Report.status),
                func.count(),
                func.count(col(Report.accepted_at)),
                resolved_count,
            )
            .where(*where)
            .group_by(Report.unit_code, Report.waste_type, Report.status)
        )
    ).all()
    accepted = sum(r[4] for r in rows)
    resolved = sum(r[5] for r in rows)
    if dialect == "postgresql":
        accept_s, resolve_s = await _pg_medians(session, where, accepted, resolved)
    else:
        accept_s = await _middle(session, where, _accept_duration(), Report.accepted_at, accepted)
        resolve_s = await _middle(session, where, _resolve_duration(), Report.resolved_at, resolved)
    by_unit: dict[str, int] = {}
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for unit, waste, status, count, _accepted, _resolved in rows:
        by_unit[unit] = by_unit.get(unit, 0) + count
        by_type[waste] = by_type.get(waste, 0) + count
        by_status[status] = by_status.get(status, 0) + count
    return _stats(by_unit, by_type, by_status, accept_s, resolve_s)


def _stats(
    by_unit: dict[str, int],
    by_type: dict[str, int],
    by_status: dict[str, int],
    accept_s: float | None,
    resolve_s: float | None,
) -> Stats:
    open_values = {s.value for s in OPEN_STATUSES}
    return Stats(
        total=sum(by_status.values()),
        by_unit=by_unit,
        by_type=by_type,
        by_status=by_status,
        median_accept_s=accept_s,
        median_resolve_s=resolve_s,
        open=sum(n for s, n in by_status.items() if s in open_values),
    )


async def _pg_medians(
    session: AsyncSession, where: list[Any], accepted: int, resolved: int
) -> tuple[float | None, float | None]:
    if not accepted and not resolved:
        return None, None

    def median(end, condition):
        duration = type_coerce(end, Interval()) - type_coerce(Report.created_at, Interval())
        return type_coerce(func.percentile_cont(0.5).within_group(duration).filter(condition), Interval())

    accept, resolve = (
        await session.exec(
            select(
                median(Report.accepted_at, col(Report.accepted_at).is_not(None)), median(Report.resolved_at, _RESOLVED)
            ).where(*where)
        )
    ).one()
    return _seconds(accept), _seconds(resolve)


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _accept_duration():
    """created -> accepted in days (SQLite), NULL when never accepted."""
    return func.julianday(Report.accepted_at) - func.julianday(Report.created_at)


def _resolve_duration():
    """created -> resolved in days (SQLite) for resolved reports, else NULL."""
    duration = func.julianday(Report.resolved_at) - func.julianday(Report.created_at)
    return case((col(Report.status) == ReportStatus.RESOLVED.value, duration), else_=null())


async def _middle(session: AsyncSession, where: list[Any], duration, end, count: int) -> float | None:
    """The median of ``duration`` (``end - created_at``) over its ``count`` non-NULL rows, on SQLite
    and filtered: the middle one or two rows in ``duration`` order, their exact durations averaged
    (the filter's index finds the rows, which are sorted)."""
    if not count:
        return None
    middle = (
        select(col(Report.id))
        .where(*where, duration.is_not(None))
        .order_by(duration, col(Report.id))
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
    )
    rows = (await session.exec(select(Report.created_at, end).where(col(Report.id).in_(middle)))).all()
    values = [(finish - start).total_seconds() for start, finish in rows]
    return sum(values) / len(values)


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def branches(statuses: Sequence[str] | None = None, waste_types: Sequence[str] | None = None) -> list[list[Any]]:
    """The disjoint index ranges a filter on statuses and waste types splits into (one list of
    ``WHERE`` terms each); ``[[]]`` when neither is given."""
    status_terms = [Report.status == ReportStatus(s).value for s in dict.fromkeys(statuses)] if statuses else [None]
    if waste_types and not statuses:
        status_terms = [Report.status == s.value for s in ReportStatus]
    type_terms = [Report.waste_type == w for w in dict.fromkeys(waste_types)] if waste_types else [None]
    return [[t for t in pair if t is not None] for pair in product(type_terms, status_terms)]


async def page_ids(
    session: AsyncSession,
    where: Sequence[Any],
    split: list[list[Any]],
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = False,
) -> list[int]:
    """Ids of one page of the reports matching ``where`` and any one of the ``split`` branches,
    by ``created_at`` then ``id`` (oldest first unless ``newest_first``)."""
    if limit <= 0 or not split:
        return []

    def ordered(created, rid):
        return (created.desc(), rid.desc()) if newest_first else (created.asc(), rid.asc())

    if len(split) == 1:
        stmt = select(Report.id).where(*where, *split[0])
        stmt = stmt.order_by(*ordered(col(Report.created_at), col(Report.id))).limit(limit).offset(offset)
        return list((await session.exec(stmt)).all())
    parts = []
    for terms in split:
        part = (
            select(Report.id, Report.created_at)
            .where(*where, *terms)
            .order_by(*ordered(col(Report.created_at), col(Report.id)))
            .limit(offset + limit)
            .subquery()
        )
        parts.append(select(part.c.id, part.c.created_at))
    merged = union_all(*parts).subquery()
    stmt = select(merged.c.id).order_by(*ordered(merged.c.created_at, merged.c.id)).limit(limit).offset(offset)
    return list((await session.exec(stmt)).all())


_ID_ARRAY = ARRAY(Integer)


def one_of(column: Any, dialect: str) -> Any:
    """``column`` is one of the ids given when the statement runs (``params={"ids": [...]}``).
    PostgreSQL: ``= ANY(:ids)``, the ids as one array parameter; an ``IN`` list is a parameter per
    id, which SQLAlchemy renders into the statement text on every call (~3 ms for a page of 200).
    SQLite: ``IN``. The statement is the same for any ids, so it can be built once."""
    if dialect == "postgresql":
        return column == any_(bindparam("ids", type_=_ID_ARRAY))
    return column.in_(bindparam("ids", expanding=True))
