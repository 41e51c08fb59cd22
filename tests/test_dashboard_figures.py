"""The dashboard's campaign and sorting figures in SQL (issue 15), on SQLite and PostgreSQL: runs
with their outcomes, subscribers per cell by week, sorting questions per day and the top
unanswered ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaigns import figures
from campaigns.models import Campaign, CampaignRun, Cell, OutboxRow, Subscription
from core.models import User
from knowledge import query_figures
from knowledge.models import SortQuery
from tests.support.clock import local_midnight_utc

pytestmark = pytest.mark.dates


async def test_runs_and_subscribers_per_cell_by_week(sessions):
    start = local_midnight_utc(-21)  # three weeks: 0, 1, 2
    async with sessions() as session:
        session.add_all([User(id=i, display_name=f"r{i}") for i in range(1, 6)])
        school = Cell(name="澄江中学", kind="school", unit_code="320281001")
        market = Cell(name="菜场", kind="market", unit_code="320281103")
        campaign = Campaign(author_id=1, audience={}, text_zh="垃圾分类宣传周", schedule_kind="once", run_at=start)
        session.add_all([school, market, campaign])
        await session.commit()
        session.add(
            CampaignRun(
                campaign_id=campaign.id,
                scheduled_for=start + timedelta(days=1),
                status="done",
                targeted=5,
                sent=3,
                blocked=1,
                failed=1,
            )
        )
        for user, days in ((1, 1), (2, 2), (3, 9), (4, 16)):
            session.add(
                Subscription(user_id=user, target="cell", value=str(school.id), created_at=start + timedelta(days=days))
            )
        session.add(Subscription(user_id=5, target="cell", value=str(school.id), created_at=start - timedelta(days=30)))
        await session.commit()
        school_id, market_id = school.id, market.id
    async with sessions() as session:
        runs = await figures.runs(session)
        cells = {c.cell_id: c for c in await figures.cells(session, start=start, weeks=3)}
        own = await figures.cells(session, start=start, weeks=3, units=["320281103"])
    assert [(r.title, r.recipients, r.delivered, r.blocked, r.failed) for r in runs] == [("垃圾分类宣传周", 5, 3, 1, 1)]
    assert (cells[school_id].total, cells[school_id].new_by_week) == (5, (2, 1, 1))
    assert (cells[market_id].total, cells[market_id].new_by_week) == (0, (0, 0, 0))
    assert [c.cell_id for c in own] == [market_id]


async def test_a_run_being_sent_is_read_live_from_its_outbox(sessions):
    start = local_midnight_utc(-1)
    async with sessions() as session:
        session.add_all([User(id=i, display_name=f"r{i}") for i in range(1, 4)])
        campaign = Campaign(author_id=1, audience={}, text_zh="旧衣回收", schedule_kind="once", run_at=start)
        session.add(campaign)
        await session.commit()
        # Started, first chunk of three written, not counted yet; the run's counters are still 0.
        run = CampaignRun(campaign_id=campaign.id, scheduled_for=start, status="running", outbox_after=3)
        session.add(run)
        await session.commit()
        for user, status in ((1, "sent"), (2, "sent"), (3, "blocked")):
            session.add(OutboxRow(run_id=run.id, user_id=user, status=status))
        await session.commit()
        run_id = run.id

    async def row() -> tuple:
        async with sessions() as session:
            (r,) = await figures.runs(session)
        return (r.recipients, r.delivered, r.blocked, r.failed)

    assert await row() == (None, 2, 1, 0)  # the page says "counting…"
    async with sessions() as session:
        (await session.get_one(CampaignRun, run_id)).targeted = 40
        await session.commit()
    assert await row() == (40, 2, 1, 0)


async def test_questions_per_day_and_top_unanswered(sessions):
    start = local_midnight_utc(-3)
    asked = [(0, "电池", True), (0, "飞机", False), (1, "飞机", False), (1, "飞机杯", False), (2, "纸箱", True)]
    async with sessions() as session:
        for day, text, answered in asked:
            session.add(
                SortQuery(
                    at=start + timedelta(days=day, hours=10),
                    user_hash="u",
                    query=text,
                    key=text,
                    confidence="sure" if answered else "unknown",
                    answered=answered,
                )
            )
        await session.commit()
    async with sessions() as session:
        days = await query_figures.per_day(session, start=start, days=4)
        top = await query_figures.top_unanswered(session, since=start)
    assert [(d.asked, d.answered) for d in days] == [(2, 1), (2, 0), (1, 1), (0, 0)]
    assert days[0].answered_share == 0.5 and days[3].answered_share is None
    assert [(q.key, q.count) for q in top] == [("飞机", 2), ("飞机杯", 1)]
