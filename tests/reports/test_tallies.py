"""``/stats`` over every report from the running tallies (reports/tallies.py, migration 0011), on
SQLite and PostgreSQL: after inserts, status changes, reopenings, reassignments and deletions the
numbers are still the ones computed from every row, and the upgrade back-fills existing reports."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, update
from sqlmodel import col

from core import db
from reports import service as svc, tallies
from reports.models import Report, ReportStatus
from tests.reports.conftest import UNITS, synthetic_reports
from tests.reports.test_queries import NOW, python_stats

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0011_report_tallies.py"


async def _same_as_every_row(sessions) -> svc.Stats:
    async with sessions() as session:
        got = await svc.stats(session)  # (first: a test may write while it runs)
        expected = await python_stats(session)
    assert (got.total, got.open, got.by_unit, got.by_type, got.by_status) == (
        expected.total,
        expected.open,
        expected.by_unit,
        expected.by_type,
        expected.by_status,
    )
    for name in ("median_accept_s", "median_resolve_s"):
        want, have = getattr(expected, name), getattr(got, name)
        assert (want is None) == (have is None), name
        if want is not None:
            assert have == pytest.approx(want, abs=1e-5), name
    return got


async def _write(sessions, *statements) -> None:
    async with sessions() as session:
        for statement in statements:
            await session.exec(statement)
        await session.commit()


async def test_tallies_follow_every_change_of_a_report(sessions):
    rows = synthetic_reports(57, NOW)
    async with sessions() as session:
        await (await session.connection()).execute(insert(Report), rows)
        await session.commit()
    await _same_as_every_row(sessions)
    ids = col(Report.id)
    resolved, submitted = ReportStatus.RESOLVED.value, ReportStatus.SUBMITTED.value
    created = {r["id"]: r["created_at"] for r in rows}
    steps = [
        # accepted, then resolved (times of minutes to weeks, so several bucket sizes)
        [
            update(Report).where(ids == i).values(status="accepted", accepted_at=created[i] + timedelta(minutes=7 * i))
            for i in range(1, 13)
        ],
        [
            update(Report)
            .where(ids == i)
            .values(status=resolved, resolved_at=created[i] + timedelta(days=i, seconds=5))
            for i in range(1, 21)
        ],
        # reopened: no longer resolved, the first acceptance kept
        [update(Report).where(ids.between(15, 18)).values(status="in_progress", resolved_at=None)],
        # reassigned to another unit, another waste type
        [update(Report).where(ids % 5 == 0).values(unit_code=UNITS[2], waste_type="bulky")],
        # a change of nothing counted
        [update(Report).where(ids % 3 == 0).values(updated_at=NOW)],
        [delete(Report).where(ids.in_([3, 16, 40]))],
    ]
    for step in steps:
        await _write(sessions, *step)
        await _same_as_every_row(sessions)
    async with sessions() as session:  # a rolled back change leaves the tallies as they were
        await session.exec(update(Report).values(status=submitted, accepted_at=None))
        await session.rollback()
    got = await _same_as_every_row(sessions)
    assert got.total == 54 and got.median_accept_s is not None and got.median_resolve_s is not None
    await _write(sessions, delete(Report))
    got = await _same_as_every_row(sessions)
    assert got.total == 0 and got.by_unit == {} and got.median_accept_s is None


@pytest.mark.parametrize("minutes", [[0.5, 1.5], [0.5, 1.5, 61], [30, 90, 1500, 1500, 50_000]])
async def test_the_middle_rows_may_lie_in_two_buckets(sessions, minutes):
    rows = synthetic_reports(len(minutes), NOW)
    for row, m in zip(rows, minutes, strict=True):
        row.update(status="accepted", accepted_at=row["created_at"] + timedelta(minutes=m), resolved_at=None)
    async with sessions() as session:
        await (await session.connection()).execute(insert(Report), rows)
        await session.commit()
    got = await _same_as_every_row(sessions)
    assert got.median_resolve_s is None


async def test_a_change_committed_between_the_tallies_and_the_walk_is_counted(sessions, monkeypatch):
    rows = synthetic_reports(41, NOW)
    async with sessions() as session:
        await (await session.connection()).execute(insert(Report), rows)
        await session.commit()
    late = synthetic_reports(2, NOW, seed=5, first_id=100)
    for row in late:
        row.update(status="accepted", accepted_at=row["created_at"] + timedelta(seconds=5), resolved_at=None)
    read = tallies.read

    async def read_then_someone_writes(session):
        found = await read(session)
        if late:
            async with sessions() as other:
                await (await other.connection()).execute(insert(Report), [late.pop()])
                await other.commit()
        return found

    monkeypatch.setattr(tallies, "read", read_then_someone_writes)
    walks = []
    walk = tallies._walk

    async def counted_walk(*args):
        walks.append(await walk(*args))
        return walks[-1]

    monkeypatch.setattr(tallies, "_walk", counted_walk)
    got = await _same_as_every_row(sessions)  # two walks see a write, the third agrees
    assert not late and [w is None for w in walks] == [True, True, False] and got.total == 43
    await _write(sessions, delete(Report).where(col(Report.id) >= 100))
    monkeypatch.setattr(tallies, "_walk", _never_agrees)  # always raced: the medians from every row
    await _same_as_every_row(sessions)


async def _never_agrees(*_args):
    return None


async def test_the_upgrade_back_fills_the_tallies_of_existing_reports(db_url):
    engine = db.make_engine(db_url)
    try:
        await db.upgrade(engine, "0010_report_bulletin_indexes")
        async with engine.begin() as connection:
            await connection.execute(insert(Report), synthetic_reports(58, NOW))
        await db.upgrade(engine)
        sessions = db.make_session_factory(engine)
        before = await _same_as_every_row(sessions)
        assert before.total == 58
        await db.downgrade(engine, "0010_report_bulletin_indexes")
        await db.upgrade(engine)
        assert await _same_as_every_row(sessions) == before
    finally:
        await engine.dispose()


def test_the_walks_expressions_are_the_migrations_index_expressions():
    spec = importlib.util.spec_from_file_location("migration_0011", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for dialect in ("sqlite", "postgresql"):
        for kind in ("accept", "resolve"):
            assert tallies.bucket_sql(dialect, kind) == migration.bucket_sql(dialect, kind)
            assert tallies.duration_sql(dialect, kind) == migration.duration_sql(dialect, kind)
