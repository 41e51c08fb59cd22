"""Reports aggregated and paged in SQL (reports/queries.py), on SQLite and PostgreSQL: the numbers
are the ones the former Python code computed from every row, and pages put together are the whole
list in order, each report once."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from reports import service as svc
from reports.models import OPEN_STATUSES, Report, ReportStatus
from tests.reports.conftest import UNITS, synthetic_reports

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


async def _seed(sessions, count: int) -> list[dict]:
    rows = synthetic_reports(count, NOW)
    async with sessions() as session:
        await (await session.connection()).execute(insert(Report), rows)
        await session.commit()
    return rows


async def python_stats(session, *, since=None, until=None, unit_code=None) -> svc.Stats:
    """The former ``reports.service.stats``: every row read into Python (the reference)."""
    stmt = select(
        Report.unit_code, Report.waste_type, Report.status, Report.created_at, Report.accepted_at, Report.resolved_at
    )
    if since is not None:
        stmt = stmt.where(Report.created_at >= since)
    if until is not None:
        stmt = stmt.where(Report.created_at < until)
    if unit_code is not None:
        stmt = stmt.where(Report.unit_code == unit_code)
    rows = (await session.exec(stmt)).all()
    by_unit: dict[str, int] = {}
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    accept, resolve = [], []
    for unit, waste, status, created, accepted, resolved in rows:
        by_unit[unit] = by_unit.get(unit, 0) + 1
        by_type[waste] = by_type.get(waste, 0) + 1
        by_status[status] = by_status.get(status, 0) + 1
        if accepted is not None:
            accept.append((accepted - created).total_seconds())
        if resolved is not None and status == ReportStatus.RESOLVED.value:
            resolve.append((resolved - created).total_seconds())
    return svc.Stats(
        total=len(rows),
        by_unit=by_unit,
        by_type=by_type,
        by_status=by_status,
        median_accept_s=statistics.median(accept) if accept else None,
        median_resolve_s=statistics.median(resolve) if resolve else None,
        open=sum(n for s, n in by_status.items() if s in {x.value for x in OPEN_STATUSES}),
    )


FILTERS = [
    {},
    {"unit_code": UNITS[0]},
    {"since": NOW - timedelta(days=30)},
    {"since": NOW - timedelta(days=30), "unit_code": UNITS[1]},
    {"since": NOW - timedelta(days=40), "until": NOW - timedelta(days=10), "unit_code": UNITS[2]},
    {"since": NOW + timedelta(days=1)},  # nothing: no medians
]


@pytest.mark.parametrize("count", [57, 58])  # odd and even numbers of durations
async def test_sql_stats_equal_the_python_numbers(sessions, count):
    await _seed(sessions, count)
    async with sessions() as session:
        for filters in FILTERS:
            expected = await python_stats(session, **filters)
            got = await svc.stats(session, **filters)
            assert (got.total, got.open, got.by_unit, got.by_type, got.by_status) == (
                expected.total,
                expected.open,
                expected.by_unit,
                expected.by_type,
                expected.by_status,
            ), filters
            for name in ("median_accept_s", "median_resolve_s"):
                want, have = getattr(expected, name), getattr(got, name)
                assert (want is None) == (have is None), (filters, name)
                if want is not None:
                    assert have == pytest.approx(want, abs=1e-5), (filters, name)
    assert expected.total == 0 and got.median_accept_s is None


def _ordered(rows: list[dict], newest_first: bool) -> list[int]:
    keyed = sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=newest_first)
    return [r["id"] for r in keyed]


@pytest.mark.parametrize("newest_first", [False, True])
async def test_queues_page_in_order_without_gaps_or_repeats(sessions, newest_first):
    rows = await _seed(sessions, 90)
    open_values = sorted(s.value for s in OPEN_STATUSES)
    cases = [
        (None, open_values),  # the admins' /reports
        (UNITS[0], open_values),  # a unit's /reports
        (UNITS[1], None),  # a unit's whole history
        (None, ["rejected"]),
    ]
    async with sessions() as session:
        for unit, statuses in cases:
            wanted = _ordered(
                [
                    r
                    for r in rows
                    if (unit is None or r["unit_code"] == unit) and (statuses is None or r["status"] in statuses)
                ],
                newest_first,
            )
            assert wanted, (unit, statuses)
            pages = []
            for offset in range(0, len(wanted) + 7, 7):
                page = await svc.list_by(session, unit, statuses, limit=7, offset=offset, newest_first=newest_first)
                pages += [r.id for r in page]
            assert pages == wanted, (unit, statuses)
            first = await svc.list_by(session, unit, statuses, limit=30, newest_first=newest_first)
            assert [r.id for r in first] == wanted[:30]
