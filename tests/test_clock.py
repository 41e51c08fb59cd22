"""The clock: local days and years follow the configured zone; APScheduler lives on the injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import Clock
from core.scheduling import ClockedScheduler
from tests.support.clock import FakeClock

pytestmark = pytest.mark.dates


def test_local_day_and_year_follow_the_configured_zone():
    # Half past midnight on New Year's Day in Shanghai is still the old year in UTC and New York.
    year = Clock().today().year + 3
    moment = datetime(year, 1, 1, 0, 30, tzinfo=Clock("Asia/Shanghai").tz).astimezone(UTC)
    assert Clock("Asia/Shanghai").year(moment) == year
    assert Clock("America/New_York").year(moment) == year - 1
    assert Clock("UTC").year(moment) == year - 1
    assert Clock("Asia/Shanghai").day_start(moment) == datetime(year - 1, 12, 31, 16, 0, tzinfo=UTC)
    assert Clock("America/New_York").day_start(moment) == datetime(year - 1, 12, 31, 5, 0, tzinfo=UTC)


def test_a_test_clock_jump_is_heard_by_subscribers():
    clock = FakeClock(datetime.now(UTC))
    heard = []
    unsubscribe = clock.subscribe(lambda: heard.append(clock()))
    clock.now += timedelta(hours=1)  # a silent jump
    moved = clock.advance(minutes=5)
    unsubscribe()
    clock.advance(minutes=5)
    assert heard == [moved]


@pytest.mark.parametrize("offset_days", [-400, 400], ids=["clock_in_the_past", "clock_in_the_future"])
async def test_a_job_fires_when_the_injected_clock_reaches_it(offset_days):
    """With the clock far behind the machine's, a scheduler on the real clock would fire at once;
    far ahead, never. Ours fires exactly when the injected clock passes the job's time."""
    clock = FakeClock(datetime.now(UTC) + timedelta(days=offset_days))
    scheduler = ClockedScheduler(clock)
    fired = asyncio.Event()
    seen: list[datetime] = []

    async def job() -> None:
        seen.append(clock())
        fired.set()

    scheduler.start()
    try:
        run_at = clock() + timedelta(hours=2)
        scheduler.add_job(job, trigger="date", run_date=run_at, id="j", misfire_grace_time=None)
        assert scheduler.get_job("j").next_run_time == run_at
        clock.advance(hours=1)  # not yet: the scheduler wakes, looks, and goes back to sleep
        for _ in range(3):  # event loop turns for the wake-up to run (no waiting for time)
            await asyncio.sleep(0)
        assert not fired.is_set() and scheduler.get_job("j").next_run_time == run_at
        clock.advance(hours=1, seconds=1)
        await asyncio.wait_for(fired.wait(), 5)
        assert seen == [run_at + timedelta(seconds=1)]
        assert scheduler.get_job("j") is None  # a date job is done once fired
    finally:
        scheduler.shutdown(wait=False)


async def test_an_interval_job_counts_on_the_injected_clock():
    clock = FakeClock(datetime.now(UTC) - timedelta(days=400))
    scheduler = ClockedScheduler(clock)
    runs: list[datetime] = []
    ran = asyncio.Event()

    async def job() -> None:
        runs.append(clock())
        ran.set()

    scheduler.start()
    try:
        scheduler.add_job(
            job,
            trigger="interval",
            minutes=1,
            start_date=clock() + timedelta(minutes=1),
            id="tick",
            coalesce=True,
            misfire_grace_time=None,
        )
        for _ in range(3):
            ran.clear()
            clock.advance(minutes=1)
            await asyncio.wait_for(ran.wait(), 5)
        assert [r - runs[0] for r in runs] == [timedelta(0), timedelta(minutes=1), timedelta(minutes=2)]
    finally:
        scheduler.shutdown(wait=False)
