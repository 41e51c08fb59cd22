"""The dashboard's figures and views in SQL (issue 15), on SQLite and PostgreSQL: the weekly
bulletin per unit, overdue reports, the filtered list, sign-in links and sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import web_sessions
from core.clock import Clock
from reports import board, bulletin, service as svc
from reports.models import ReportStatus
from tests.support.clock import FakeClock, local_midnight_utc

pytestmark = pytest.mark.dates

CHENGJIANG = (31.91102, 120.26302)
CHENGJIANG_CODE = "320281001"
ESCALATE = timedelta(days=7)


def photo(n: int) -> svc.PhotoIn:
    sha = f"{n:064x}"
    return svc.PhotoIn(sha, f"originals/{sha}.jpg", f"public/{sha}.jpg", 10, 10)


async def new_report(sessions, clock, n: int, waste: str = "household") -> svc.ReportInfo:
    new = svc.NewReport(
        lat=CHENGJIANG[0], lon=CHENGJIANG[1], location_source="telegram", waste_type=waste, amount="bags"
    )
    async with sessions() as session:
        return (await svc.create_report(session, 1000 + n, new, [photo(n)], clock=clock)).report


async def move(sessions, report_id: int, status: str, clock, **kw) -> None:
    async with sessions() as session:
        outcome = await svc.transition(session, report_id, 1, status, now=clock(), **kw)
    assert isinstance(outcome, svc.Changed), outcome


async def test_week_of_reports_counted_with_percentiles(sessions):
    monday = bulletin.week_start(local_midnight_utc(-14), Clock().tz)
    clock = FakeClock(monday + timedelta(hours=10))
    created = [await new_report(sessions, clock, i) for i in range(5)]
    # accepted after 1, 2, 3, 4 hours; one never accepted; two resolved (after 5 h and 9 h); one rejected
    for hours, report in zip((1, 2, 3, 4), created[:4], strict=True):
        clock.now = report.created_at + timedelta(hours=hours)
        await move(sessions, report.id, "accepted", clock)
    clock.now = created[0].created_at + timedelta(hours=5)
    await move(sessions, created[0].id, "resolved", clock)
    clock.now = created[1].created_at + timedelta(hours=9)
    await move(sessions, created[1].id, "resolved", clock)
    await move(sessions, created[4].id, "rejected", clock, reason="not_dumping")
    # the reporter says "not clean" after the check: reopened
    clock.now += timedelta(days=3)
    async with sessions() as session:
        outcome = await svc.answer_followup(session, created[1].id, 1001, clean=False, now=clock())
    assert isinstance(outcome, svc.Changed)

    async with sessions() as session:
        rows = await bulletin.weekly(session, start=monday - timedelta(weeks=1), weeks=3)
    assert len(rows) == 1
    row = rows[0]
    assert row.week == monday.astimezone(Clock().tz).date()
    assert (row.received, row.accepted, row.resolved, row.rejected, row.reopened) == (5, 4, 1, 1, 1)
    assert row.accept_p50_s == pytest.approx(2.5 * 3600, abs=1)
    assert row.accept_p90_s == pytest.approx(3.7 * 3600, abs=1)
    assert row.resolve_p50_s == pytest.approx(5 * 3600, abs=1)  # the reopened one is no longer resolved

    clock.now = created[0].created_at + timedelta(days=10)
    async with sessions() as session:
        overdue = await bulletin.overdue_now(session, clock(), ESCALATE)
    assert overdue == {CHENGJIANG_CODE: 3}  # 2 accepted + the reopened one, all 10+ days old


async def test_board_filters_and_orders_by_age(sessions):
    clock = FakeClock(local_midnight_utc(-20))
    first = await new_report(sessions, clock, 1, "household")
    clock.advance(days=15)
    second = await new_report(sessions, clock, 2, "bulky")
    third = await new_report(sessions, clock, 3, "household")
    await move(sessions, third.id, "accepted", clock)
    clock.advance(days=1)

    async def view(**kw):
        async with sessions() as session:
            rows, total = await board.page(session, board.BoardFilter(**kw), clock(), ESCALATE, limit=10)
        return [r.ticket for r in rows], total

    assert await view() == ([first.ticket, second.ticket, third.ticket], 3)
    assert await view(waste_types=("household",)) == ([first.ticket, third.ticket], 2)
    assert await view(statuses=(ReportStatus.ACCEPTED.value,)) == ([third.ticket], 1)
    assert await view(overdue=True) == ([first.ticket], 1)
    assert await view(units=("320281103",)) == ([], 0)
    assert await view(since=second.created_at) == ([second.ticket, third.ticket], 2)


async def test_sign_in_link_works_once_and_expires(sessions):
    clock = FakeClock(local_midnight_utc(0))
    async with sessions() as session:
        token = await web_sessions.issue_link(session, 42, clock())
        late = await web_sessions.issue_link(session, 42, clock())
    async with sessions() as session:
        opened = await web_sessions.redeem(session, token, clock())
        assert opened is not None and opened.user_id == 42
        assert await web_sessions.redeem(session, token, clock()) is None  # spent
        clock.advance(minutes=10, seconds=1)
        assert await web_sessions.redeem(session, late, clock()) is None  # expired
        info = await web_sessions.current(session, opened.cookie, clock())
        assert info == web_sessions.SessionInfo(42, opened.csrf)
        assert await web_sessions.current(session, "forged", clock()) is None
        clock.advance(hours=13)
        assert await web_sessions.current(session, opened.cookie, clock()) is None
