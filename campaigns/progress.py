"""Where a campaign run stands, read from its outbox: what its author and the staff see.

While outbox chunks are left (``campaigns.outbox``) the figures count the recipients not written
yet as pending, from the run's count (``targeted``); once every row is written, the rows are the
figures, so a finished run's report adds up (``targeted`` is the people addressed). Right after a
large run starts, its recipients are not counted yet (``counted`` False): ``targeted`` is then the
rows written so far and ``pending`` leaves out the recipients not written yet.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import Campaign, CampaignRun, OutboxRow, OutboxStatus, RunStatus
from campaigns.sending import RunStats


async def run_stats(session: AsyncSession, run_id: int) -> RunStats:
    """The run's figures now (one GROUP BY over its outbox rows, along ``ix_outbox_run_status``)."""
    run = await session.get_one(CampaignRun, run_id)
    campaign = await session.get_one(Campaign, run.campaign_id)
    counts = dict(
        (
            await session.exec(
                select(OutboxRow.status, func.count()).where(OutboxRow.run_id == run_id).group_by(OutboxRow.status)
            )
        ).all()
    )
    written = sum(counts.values())
    counted = run.outbox_ready or run.targeted > 0
    unwritten = 0 if run.outbox_ready else max(0, run.targeted - written)  # chunks left: as counted
    return RunStats(
        run_id=run_id,
        campaign_id=run.campaign_id,
        author_id=campaign.author_id,
        status=RunStatus(run.status),
        targeted=written + unwritten,
        sent=counts.get(OutboxStatus.SENT.value, 0),
        blocked=counts.get(OutboxStatus.BLOCKED.value, 0),
        failed=counts.get(OutboxStatus.FAILED.value, 0),
        uncertain=counts.get(OutboxStatus.UNCERTAIN.value, 0),
        pending=counts.get(OutboxStatus.PENDING.value, 0) + unwritten,
        sending=counts.get(OutboxStatus.SENDING.value, 0),
        started_at=run.started_at,
        finished_at=run.finished_at,
        counted=counted,
    )
