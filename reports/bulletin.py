"""The bulletin (通报): per unit and per week, how the units handle their reports; computed in SQL.

A week's row counts the reports *received* that week (``created_at`` in the week, the unit they are
with now): how many of them were accepted (ever), are resolved, are rejected, were reopened after
the 3-day check (the reporter answered "not clean": a ``follow`` event from resolved back to
accepted), and the median and 90th percentile of created -> first accepted and created -> resolved
(resolved ones; linear interpolation, as ``percentile_cont``). ``overdue_now`` counts each unit's
open reports older than the escalation delay.

Weeks start on the Monday 00:00 of the caller's clock (``week_start``). Counts are one
``GROUP BY`` read from the covering index ``ix_reports_bulletin`` alone (migration 0010); on
PostgreSQL the percentiles are ``percentile_cont`` in the same pass, on SQLite window functions keep
only the rows they need (``core.periods.percentile_rows``); nothing loops over all rows in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.periods import P50, P90, bucket, duration_s, interpolate, percentile_rows
from reports.models import OPEN_STATUSES, EventKind, Report, ReportEvent, ReportStatus

WEEK_S = 7 * 86400


@dataclass(frozen=True, slots=True)
class BulletinRow:
    unit_code: str
    week: date  # the Monday
    received: int
    accepted: int
    resolved: int
    rejected: int
    reopened: int
    accept_p50_s: float | None
    accept_p90_s: float | None
    resolve_p50_s: float | None
    resolve_p90_s: float | None


def week_start(moment: datetime, tz: tzinfo) -> datetime:
    """The Monday 00:00 (in ``tz``) of the week holding ``moment``."""
    local = moment.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)


def _unit_terms(units: Sequence[str] | None) -> list[Any]:
    return [] if units is None else [col(Report.unit_code).in_(list(units))]


async def weekly(
    session: AsyncSession, *, start: datetime, weeks: int, units: Sequence[str] | None = None
) -> list[BulletinRow]:
    """Rows for ``weeks`` weeks from ``start`` (a ``week_start``), of ``units`` (None: all), by
    unit then week; a unit-week without reports has no row."""
    dialect = session.get_bind().dialect.name
    end = start + timedelta(weeks=weeks)
    where = [Report.created_at >= start, Report.created_at < end, *_unit_terms(units)]
    week = bucket(dialect, Report.created_at, start, WEEK_S).label("week")
    # SQLite: grouping by an expression of the unit (not the bare column) keeps its planner on the
    # covering index ix_reports_bulletin instead of a skip-scan of ix_reports_unit_created (10x).
    unit = (col(Report.unit_code).concat("") if dialect == "sqlite" else col(Report.unit_code)).label("unit_code")
    is_resolved = col(Report.status) == ReportStatus.RESOLVED.value
    to_accept = duration_s(dialect, Report.accepted_at, Report.created_at)
    to_resolve = duration_s(dialect, Report.resolved_at, Report.created_at)
    columns = [
        unit,
        week,
        func.count(),
        func.count(col(Report.accepted_at)),
        func.count().filter(is_resolved),
        func.count().filter(col(Report.status) == ReportStatus.REJECTED.value),
    ]
    if dialect == "postgresql":  # the percentiles in the same pass
        columns += [
            func.percentile_cont(postgresql.array([0.5, 0.9])).within_group(to_accept),
            func.percentile_cont(postgresql.array([0.5, 0.9])).within_group(to_resolve).filter(is_resolved),
        ]
    counts = (await session.exec(select(*columns).where(*where).group_by(unit, week))).all()
    reopened = await _reopened(session, dialect, start, where)
    if dialect == "postgresql":
        accept = {(r[0], int(r[1])): tuple(r[6] or (None, None)) for r in counts}
        resolve = {(r[0], int(r[1])): tuple(r[7] or (None, None)) for r in counts}
    else:
        accept = await _percentiles(session, [unit, week], to_accept, where)
        # The status as an expression: a bare ``status = 'resolved'`` sends SQLite's planner to
        # ix_reports_open_age and a table read per row (3x slower than ix_reports_bulletin alone).
        resolved_rows = col(Report.status).concat("") == ReportStatus.RESOLVED.value
        resolve = await _percentiles(session, [unit, week], to_resolve, [*where, resolved_rows])
        # (SQLite: window functions over the few weeks' rows; PostgreSQL did it in the GROUP BY)
    rows = []
    for unit_code, index, received, n_accepted, n_resolved, n_rejected, *_pct in counts:
        key = (unit_code, int(index))
        a50, a90 = accept.get(key, (None, None))
        r50, r90 = resolve.get(key, (None, None))
        rows.append(
            BulletinRow(
                unit_code,
                (start + timedelta(weeks=int(index))).date(),
                received,
                n_accepted,
                n_resolved,
                n_rejected,
                reopened.get(key, 0),
                a50,
                a90,
                r50,
                r90,
            )
        )
    rows.sort(key=lambda r: (r.unit_code, r.week))
    await session.rollback()
    return rows


async def _reopened(session: AsyncSession, dialect: str, start: datetime, where: list[Any]) -> dict:
    week = bucket(dialect, Report.created_at, start, WEEK_S)
    rows = (
        await session.exec(
            select(Report.unit_code, week, func.count(func.distinct(Report.id)))
            .join(ReportEvent, col(ReportEvent.report_id) == Report.id)
            .where(
                *where,
                ReportEvent.kind == EventKind.FOLLOW.value,
                ReportEvent.at >= start,
                ReportEvent.old_status == ReportStatus.RESOLVED.value,
                ReportEvent.new_status == ReportStatus.ACCEPTED.value,
            )
            .group_by(Report.unit_code, week)
        )
    ).all()
    return {(u, int(w)): n for u, w, n in rows}


async def _percentiles(session: AsyncSession, groups: list[Any], value: Any, where: list[Any]) -> dict:
    """(group…) -> (p50, p90) of ``value`` over the rows matching ``where``."""
    rows = (await session.exec(percentile_rows(groups, value, where, materialize=True))).all()
    ranked: dict[tuple, dict[int, float]] = defaultdict(dict)
    sizes: dict[tuple, int] = {}
    for *key_parts, rn, n, v in rows:
        key = (key_parts[0], int(key_parts[1]))
        ranked[key][int(rn)] = float(v)
        sizes[key] = int(n)
    return {
        key: (interpolate(ranked[key], sizes[key], P50), interpolate(ranked[key], sizes[key], P90)) for key in ranked
    }


async def overdue_now(
    session: AsyncSession, now: datetime, escalate_after: timedelta, units: Sequence[str] | None = None
) -> dict[str, int]:
    """unit -> its open reports created more than ``escalate_after`` ago."""
    rows = (
        await session.exec(
            select(Report.unit_code, func.count())
            .where(
                col(Report.status).in_([s.value for s in OPEN_STATUSES]),
                Report.created_at <= now - escalate_after,
                *_unit_terms(units),
            )
            .group_by(Report.unit_code)
        )
    ).all()
    await session.rollback()
    return dict(rows)
