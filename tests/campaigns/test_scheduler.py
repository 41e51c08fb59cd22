"""The scheduler: jobs from the table, late and missed runs, changes, crash recovery."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from campaigns import service
from campaigns.delivery import DeliveryConfig, DeliveryEngine
from campaigns.models import Campaign, CampaignRun, CampaignStatus, OutboxRow, RunStatus, ScheduleKind
from campaigns.schedule import Schedule
from campaigns.scheduler import CampaignScheduler, MissedRun
from campaigns.subscriptions import Audience
from core.clock import utcnow
from tests.campaigns.conftest import add_users, subscribe_all
from tests.campaigns.test_delivery import FakeTelegram
from tests.support.clock import FakeClock, local_midnight_utc

pytestmark = pytest.mark.dates

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


class Recorder:
    def __init__(self):
        self.delivered: list[int] = []
        self.missed: list[MissedRun] = []
        self.event = asyncio.Event()

    async def deliver(self, run_id: int) -> None:
        self.delivered.append(run_id)
        self.event.set()

    async def on_missed(self, missed: MissedRun) -> None:
        self.missed.append(missed)


async def daily(sessions, clock, hour=10, **kwargs) -> int:
    async with sessions() as session:
        info = await service.create_campaign(
            session, author_id=500, audience=Audience(everyone=True), text_zh="宣传",
            schedule=Schedule(ScheduleKind.DAILY, time=time(hour, 0), **kwargs), now=clock(),
        )  # fmt: skip
    return info.id


async def runs(sessions, campaign_id) -> list[tuple[datetime, str]]:
    async with sessions() as session:
        return [(r.scheduled_for, r.status.value) for r in await service.list_runs(session, campaign_id)]


async def campaign_row(sessions, campaign_id) -> Campaign:
    async with sessions() as session:
        return await session.get(Campaign, campaign_id)


async def test_down_for_days_latest_within_grace_runs_late_older_missed(sessions, clock):
    cid = await daily(sessions, clock)  # created Dec 1 10:00 Shanghai: first run Dec 2 10:00
    clock.now = sh(2026, 12, 4, 10, 30)  # back up after being down since before Dec 2
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver, clock, timedelta(hours=1), on_missed=rec.on_missed)
    report = await scheduler.start()
    try:
        await scheduler.wait_deliveries()
        assert await runs(sessions, cid) == [
            (sh(2026, 12, 2, 10), "missed"), (sh(2026, 12, 3, 10), "missed"), (sh(2026, 12, 4, 10), "pending"),
        ]  # fmt: skip
        assert rec.delivered == report.late and len(report.late) == 1
        assert [(m.campaign_id, m.author_id, m.scheduled_for) for m in rec.missed] == [
            (cid, 500, sh(2026, 12, 2, 10)), (cid, 500, sh(2026, 12, 3, 10)),
        ]  # fmt: skip
        assert (await campaign_row(sessions, cid)).next_run_at == sh(2026, 12, 5, 10)
        assert scheduler.job_time(cid) == sh(2026, 12, 5, 10)
        assert report.jobs == 1
    finally:
        await scheduler.shutdown()
    # A second start-up (say, a crash right after) neither re-reports nor re-creates anything; the
    # pending late run is handed to the delivery again (the engine makes that harmless).
    rec2 = Recorder()
    scheduler = CampaignScheduler(sessions, rec2.deliver, clock, on_missed=rec2.on_missed)
    report = await scheduler.start()
    await scheduler.wait_deliveries()
    await scheduler.shutdown()
    assert rec2.missed == [] and report.late == [] and rec2.delivered == report.resumed == rec.delivered


async def test_beyond_grace_everything_is_missed(sessions, clock):
    cid = await daily(sessions, clock)
    clock.now = sh(2026, 12, 2, 11, 0, 1)  # one hour and one second late
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver, clock, timedelta(hours=1), on_missed=rec.on_missed)
    await scheduler.start()
    await scheduler.shutdown(wait=True)
    assert rec.delivered == []
    assert await runs(sessions, cid) == [(sh(2026, 12, 2, 10), "missed")]
    assert len(rec.missed) == 1


async def test_exactly_at_the_grace_limit_still_runs(sessions, clock):
    cid = await daily(sessions, clock)
    clock.now = sh(2026, 12, 2, 11, 0)
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver, clock, timedelta(hours=1), on_missed=rec.on_missed)
    await scheduler.start()
    await scheduler.shutdown(wait=True)
    assert await runs(sessions, cid) == [(sh(2026, 12, 2, 10), "pending")] and len(rec.delivered) == 1


async def test_firing_creates_one_run_and_moves_the_job(sessions, clock):
    cid = await daily(sessions, clock, end=date(2026, 12, 3))
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver, clock)
    await scheduler.start()
    try:
        assert scheduler.job_time(cid) == sh(2026, 12, 2, 10)
        assert await scheduler.fire(cid) == []  # not due yet
        clock.now = sh(2026, 12, 2, 10, 0, 0, 300)
        first = await scheduler.fire(cid)
        assert await scheduler.fire(cid) == []  # a duplicate firing finds nothing due
        assert len(first) == 1
        assert scheduler.job_time(cid) == sh(2026, 12, 3, 10)
        clock.now = sh(2026, 12, 3, 10, 1)
        assert len(await scheduler.fire(cid)) == 1
        await scheduler.wait_deliveries()
        row = await campaign_row(sessions, cid)
        assert (row.status, row.next_run_at) == ("finished", None)  # the end date was reached
        assert scheduler.job_time(cid) is None
        assert len(rec.delivered) == 2
    finally:
        await scheduler.shutdown()


async def test_pause_resume_edit_cancel_keep_table_and_job_in_step(sessions, clock):
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver, clock)
    await scheduler.start()
    try:
        info = await scheduler.create(
            author_id=500, audience=Audience(everyone=True), text_zh="宣传",
            schedule=Schedule(ScheduleKind.WEEKLY, time=time(9, 30), weekdays={0}),
        )  # fmt: skip
        cid = info.id
        assert scheduler.job_time(cid) == info.next_run_at == sh(2026, 12, 7, 9, 30)  # next Monday
        paused = await scheduler.pause(cid)
        assert paused.status is CampaignStatus.PAUSED and paused.next_run_at is None
        assert scheduler.job_time(cid) is None
        clock.now = sh(2026, 12, 8, 12)  # Monday's run fell in the pause: not replayed
        resumed = await scheduler.resume(cid)
        assert resumed.next_run_at == scheduler.job_time(cid) == sh(2026, 12, 14, 9, 30)
        edited = await scheduler.edit(cid, text_en="Week", schedule=Schedule(ScheduleKind.DAILY, time=time(7, 0)))
        # 07:00 is in the default quiet hours: moved to 08:00.
        assert edited.text_en == "Week" and edited.next_run_at == scheduler.job_time(cid) == sh(2026, 12, 9, 8, 0)
        cancelled = await scheduler.cancel(cid)
        assert cancelled.status is CampaignStatus.CANCELLED and scheduler.job_time(cid) is None
        clock.now = sh(2026, 12, 20)
        assert await scheduler.fire(cid) == []
    finally:
        await scheduler.shutdown()


async def test_a_job_really_fires_through_apscheduler(sqlite_sessions):
    sessions = sqlite_sessions
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver)  # the real clock
    await scheduler.start()
    try:
        info = await scheduler.create(
            author_id=500, audience=Audience(everyone=True), text_zh="宣传",
            schedule=Schedule(ScheduleKind.ONCE, at=utcnow() + timedelta(seconds=0.4), quiet=None),
        )  # fmt: skip
        assert scheduler.job_time(info.id) == info.next_run_at
        await asyncio.wait_for(rec.event.wait(), 5)
        await scheduler.wait_deliveries()
        assert len(rec.delivered) == 1
        assert (await campaign_row(sessions, info.id)).status == "finished"
        assert scheduler.job_time(info.id) is None
    finally:
        await scheduler.shutdown()


async def test_the_job_fires_when_the_injected_clock_reaches_the_run(sessions):
    """APScheduler lives on the campaigns' clock: nothing fires while that clock is before the run,
    and the run starts by itself once the clock passes it, even a year ahead of the machine's date."""
    clock = FakeClock(local_midnight_utc(400) + timedelta(hours=9))  # 09:00 in Shanghai, 400 days on
    cid = await daily(sessions, clock)  # first run: 10:00 that day
    first_run = clock() + timedelta(hours=1)
    rec = Recorder()
    scheduler = CampaignScheduler(sessions, rec.deliver, clock)
    await scheduler.start()
    try:
        assert scheduler.job_time(cid) == first_run
        clock.advance(minutes=59)  # 09:59: not yet
        await scheduler.sync(cid)  # a lock round trip: any wake-up the move caused has run
        assert rec.delivered == [] and await runs(sessions, cid) == []
        clock.advance(minutes=1, seconds=1)
        await asyncio.wait_for(rec.event.wait(), 10)
        assert await runs(sessions, cid) == [(first_run, "pending")] and len(rec.delivered) == 1
        assert scheduler.job_time(cid) == first_run + timedelta(days=1)
    finally:
        await scheduler.shutdown()


async def test_start_up_resumes_a_run_a_crash_left_running(sessions, clock):
    """End to end with the real engine: a crash mid-run, then the bot starts again."""
    n, window = 120, 8
    await add_users(sessions, range(1, n + 1))
    await subscribe_all(sessions, range(1, n + 1))
    cid = await daily(sessions, clock)
    config = DeliveryConfig(rate=5000, window=window, per_chat_interval=0)
    first = FakeTelegram(hang_after=40)
    engine = DeliveryEngine(sessions, first, config, clock=clock)
    scheduler = CampaignScheduler(sessions, engine.deliver_run, clock)
    await scheduler.start()
    clock.now = sh(2026, 12, 2, 10, 0, 5)
    [run_id] = await scheduler.fire(cid)
    for _ in range(500):
        await asyncio.sleep(0.01)
        if first.hanging >= window:
            break
    # The crash: the process dies; its tasks never write again.
    for task in list(scheduler._deliveries):
        task.cancel()
    await asyncio.gather(*scheduler._deliveries, return_exceptions=True)
    await scheduler.shutdown()
    async with sessions() as session:
        assert (await session.get(CampaignRun, run_id)).status == "running"

    second = FakeTelegram()
    engine = DeliveryEngine(sessions, second, config, clock=clock)
    scheduler = CampaignScheduler(sessions, engine.deliver_run, clock)
    report = await scheduler.start()
    await scheduler.wait_deliveries()
    await scheduler.shutdown()
    assert report.resumed == [run_id]
    stats = await engine.stats(run_id)
    assert stats.status is RunStatus.DONE and stats.sent + stats.uncertain == n and stats.uncertain <= window
    assert not set(first.chats) & set(second.chats)
    assert set(first.chats) | set(second.chats) == set(range(1, n + 1))
    async with sessions() as session:
        statuses = (await session.exec(select(OutboxRow.status).where(OutboxRow.run_id == run_id))).all()
    assert "sending" not in statuses and "pending" not in statuses
