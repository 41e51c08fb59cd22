"""The campaign scheduler: APScheduler 3 jobs rebuilt from the campaigns table.

The tables are the source of truth. Jobs live in a ``MemoryJobStore`` only (nothing is pickled or
shared between processes): one date job per active campaign at its ``next_run_at``, registered at
start-up and kept in step by ``sync`` whenever a campaign changes.

When a job fires, every run of the campaign that is due is processed in one transaction: the run
rows are created (idempotent: unique (campaign_id, scheduled_for)), the next run is computed and
stored, the job is moved to it, and the delivery callback is started for the new run. A run whose
time is more than ``grace`` in the past (the bot was down, the machine slept) is recorded as
``missed`` instead, its author told through the outbox (``RUN_MISSED``, written with the run) and
``on_missed`` called; of several due runs within the grace period
only the latest is delivered (the others are missed too), so a resident never gets a burst of stale
repeats.

At start-up: due runs are processed as above, runs a crash left ``pending`` or ``running`` are
handed to the delivery callback again (the engine resends nothing that may have gone out), then the
jobs are registered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns import service
from campaigns.delivery import unfinished_runs
from campaigns.models import Campaign, CampaignStatus, RunStatus
from campaigns.schedule import next_occurrence
from campaigns.service import CampaignInfo, schedule_of
from core import notifications
from core.clock import SYSTEM, Clock
from core.scheduling import ClockedScheduler

log = logging.getLogger(__name__)

RUN_MISSED = "campaign.run_missed"  # the outbox's kind telling the author a run was missed

MAX_CATCH_UP = 100  # due runs enumerated per campaign; older ones are skipped silently


@dataclass(frozen=True, slots=True)
class MissedRun:
    campaign_id: int
    author_id: int
    run_id: int
    scheduled_for: datetime


@dataclass(slots=True)
class StartupReport:
    late: list[int] = field(default_factory=list)  # run ids delivered late (within grace)
    missed: list[MissedRun] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)  # run ids a crash left pending/running
    jobs: int = 0


_JOB_PREFIX = "campaign:"


def _job_id(campaign_id: int) -> str:
    return f"{_JOB_PREFIX}{campaign_id}"


class CampaignScheduler:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        deliver_run_callback: Callable[[int], Awaitable[Any]],
        clock: Clock = SYSTEM,
        grace: timedelta = timedelta(hours=1),
        *,
        on_missed: Callable[[MissedRun], Awaitable[Any]] | None = None,
        aps: ClockedScheduler | None = None,
    ):
        self.sessions = session_factory
        self.deliver = deliver_run_callback
        self.clock = clock
        self.grace = grace
        self.on_missed = on_missed
        # Fires when *this* clock reaches a job. A shared scheduler (``aps``) is the app's: we add and
        # remove our own jobs on it, and leave starting and stopping it to its owner.
        self._own_aps = aps is None
        self._aps = aps if aps is not None else ClockedScheduler(clock)
        self._lock = asyncio.Lock()
        self._deliveries: set[asyncio.Task] = set()
        self._firing: set[asyncio.Task] = set()  # job bodies APScheduler is running now
        self._started = False

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> StartupReport:
        report = StartupReport()
        async with self._lock:
            now = self.clock()
            async with self.sessions() as session:
                due = (
                    await session.exec(
                        select(Campaign.id).where(
                            Campaign.status == CampaignStatus.ACTIVE.value, col(Campaign.next_run_at) <= now
                        )
                    )
                ).all()
            late: list[int] = []
            for campaign_id in due:
                runs, missed = await self._process_due(campaign_id, now)
                late += runs
                report.missed += missed
            report.late = late
            async with self.sessions() as session:
                report.resumed = [r for r in await unfinished_runs(session) if r not in late]
                active = (
                    await session.exec(
                        select(Campaign.id, Campaign.next_run_at).where(
                            col(Campaign.status) == CampaignStatus.ACTIVE.value, col(Campaign.next_run_at).is_not(None)
                        )
                    )
                ).all()
            if not self._aps.running:
                self._aps.start()
            self._started = True
            for campaign_id, next_run_at in active:
                self._add_job(campaign_id, next_run_at)
            report.jobs = len(active)
        for missed_run in report.missed:
            await self._report_missed(missed_run)
        for run_id in report.resumed + report.late:
            self._spawn(run_id)
        return report

    async def shutdown(self, *, wait: bool = False) -> None:
        """Stop firing jobs; a firing under way finishes its transaction first. With ``wait``, also
        wait for the deliveries started here."""
        if self._started:
            if self._own_aps:
                self._aps.shutdown(wait=False)
            else:
                for job in self._aps.get_jobs():
                    if job.id.startswith(_JOB_PREFIX):
                        job.remove()
            self._started = False
        if self._firing:
            await asyncio.gather(*list(self._firing), return_exceptions=True)
        if wait and self._deliveries:
            await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def wait_deliveries(self) -> None:
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    # -- firing -----------------------------------------------------------------------------------

    async def fire(self, campaign_id: int) -> list[int]:
        """Process the due runs of a campaign now (the job body); returns the run ids started."""
        async with self._lock:
            runs, missed = await self._process_due(campaign_id, self.clock())
            await self._sync_job(campaign_id)
        for item in missed:
            await self._report_missed(item)
        for run_id in runs:
            self._spawn(run_id)
        return runs

    async def _process_due(self, campaign_id: int, now: datetime) -> tuple[list[int], list[MissedRun]]:
        async with self.sessions() as session:
            row = await session.get(Campaign, campaign_id)
            if row is None or row.status != CampaignStatus.ACTIVE.value or row.next_run_at is None:
                return [], []
            schedule = schedule_of(row)
            due: list[datetime] = []
            t = row.next_run_at
            while t is not None and t <= now and len(due) < MAX_CATCH_UP:
                due.append(t)
                t = next_occurrence(schedule, t)
            if t is not None and t <= now:  # more than MAX_CATCH_UP behind
                t = next_occurrence(schedule, now)
            if not due:
                return [], []
            in_grace = [d for d in due if now - d <= self.grace]
            deliver_at = in_grace[-1] if in_grace else None
            runs: list[int] = []
            missed: list[tuple[int, datetime]] = []
            for scheduled_for in due:
                if scheduled_for == deliver_at:
                    run_id, created = await service.ensure_run(session, campaign_id, scheduled_for)
                    runs.append(run_id)
                else:
                    run_id, created = await service.ensure_run(
                        session, campaign_id, scheduled_for, status=RunStatus.MISSED
                    )
                    if created:
                        missed.append((run_id, scheduled_for))
                        notifications.enqueue(
                            session,
                            RUN_MISSED,
                            lane=notifications.user_lane(row.author_id),
                            chat_id=row.author_id,
                            payload={"run": run_id},
                            now=now,
                        )
            row.next_run_at = t
            if t is None:
                row.status = CampaignStatus.FINISHED.value
            row.updated_at = now
            author_id = row.author_id
            await session.commit()
        return runs, [MissedRun(campaign_id, author_id, run_id, at) for run_id, at in missed]

    async def _job(self, campaign_id: int) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._firing.add(task)
        try:
            await self.fire(campaign_id)
        except Exception:  # pragma: no cover - logged, the next start-up catches up
            log.exception("campaign %s: firing failed", campaign_id)
        finally:
            self._firing.discard(task)

    def _spawn(self, run_id: int) -> None:
        async def deliver() -> None:
            try:
                await self.deliver(run_id)
            except Exception:
                log.exception("run %s: delivery failed", run_id)

        task = asyncio.create_task(deliver(), name=f"campaign-run-{run_id}")
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _report_missed(self, missed: MissedRun) -> None:
        if self.on_missed is None:
            return
        try:
            await self.on_missed(missed)
        except Exception:
            log.exception("reporting missed run %s failed", missed.run_id)

    # -- jobs -------------------------------------------------------------------------------------

    def _add_job(self, campaign_id: int, run_at: datetime) -> None:
        self._aps.add_job(
            self._job,
            trigger="date",
            run_date=run_at,
            args=[campaign_id],
            id=_job_id(campaign_id),
            replace_existing=True,
            misfire_grace_time=None,  # late is handled by fire() against ``grace``
            coalesce=True,
        )

    def _remove_job(self, campaign_id: int) -> None:
        job = self._aps.get_job(_job_id(campaign_id))
        if job is not None:
            job.remove()

    async def _sync_job(self, campaign_id: int) -> None:
        async with self.sessions() as session:
            row = await session.get(Campaign, campaign_id)
            status, next_run_at = (row.status, row.next_run_at) if row else (None, None)
        if not self._started:
            return
        if status == CampaignStatus.ACTIVE.value and next_run_at is not None:
            self._add_job(campaign_id, next_run_at)
        else:
            self._remove_job(campaign_id)

    async def sync(self, campaign_id: int) -> None:
        """Make the job of a campaign match its row (after any change made elsewhere)."""
        async with self._lock:
            await self._sync_job(campaign_id)

    def job_time(self, campaign_id: int) -> datetime | None:
        """When the job of a campaign fires next (None: no job)."""
        job = self._aps.get_job(_job_id(campaign_id)) if self._started else None
        return job.next_run_time if job else None

    # -- campaign changes (table first, then the job) -----------------------------------------------

    async def _change(self, campaign_id: int, fn, **kwargs) -> CampaignInfo:
        async with self._lock:
            async with self.sessions() as session:
                info = await fn(session, campaign_id, self.clock(), **kwargs)
            await self._sync_job(campaign_id)
            return info

    async def create(self, **kwargs) -> CampaignInfo:
        """``service.create_campaign`` (without ``now``) and its job."""
        async with self._lock:
            async with self.sessions() as session:
                info = await service.create_campaign(session, now=self.clock(), **kwargs)
            await self._sync_job(info.id)
            return info

    async def pause(self, campaign_id: int) -> CampaignInfo:
        return await self._change(campaign_id, service.pause_campaign)

    async def resume(self, campaign_id: int) -> CampaignInfo:
        return await self._change(campaign_id, service.resume_campaign)

    async def cancel(self, campaign_id: int) -> CampaignInfo:
        return await self._change(campaign_id, service.cancel_campaign)

    async def edit(self, campaign_id: int, **changes) -> CampaignInfo:
        return await self._change(campaign_id, service.edit_campaign, **changes)
