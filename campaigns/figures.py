"""Figures of the campaigns for the dashboard, computed in SQL: per run, recipients and outcomes
(the run's counters, kept by the delivery engine at a run's end; a run being sent is read live from
its outbox); per cell, subscribers by week of subscribing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import Campaign, CampaignRun, Cell, RunStatus, Subscription, Target
from campaigns.progress import run_stats
from core.periods import bucket

WEEK_S = 7 * 86400


@dataclass(frozen=True, slots=True)
class RunFigures:
    run_id: int
    campaign_id: int
    title: str
    scheduled_for: datetime
    status: str
    recipients: int | None  # None: a run being sent whose recipients are still being counted
    delivered: int
    blocked: int
    failed: int
    uncertain: int


@dataclass(frozen=True, slots=True)
class CellFigures:
    cell_id: int
    name: str
    unit_code: str
    total: int
    new_by_week: tuple[int, ...]  # subscriptions made in each week from the start, oldest first


async def runs(session: AsyncSession, limit: int = 30) -> list[RunFigures]:
    rows = (
        await session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel's select() is typed for at most 4 columns
                CampaignRun.id,
                CampaignRun.campaign_id,
                func.substr(Campaign.text_zh, 1, 40),
                CampaignRun.scheduled_for,
                CampaignRun.status,
                CampaignRun.targeted,
                CampaignRun.sent,
                CampaignRun.blocked,
                CampaignRun.failed,
                CampaignRun.uncertain,
            )
            .join(Campaign, Campaign.id == CampaignRun.campaign_id)
            .order_by(col(CampaignRun.scheduled_for).desc(), col(CampaignRun.id).desc())
            .limit(limit)
        )
    ).all()
    figures = [RunFigures(*r) for r in rows]
    for i, run in enumerate(figures):
        if run.status == RunStatus.RUNNING.value:  # the counters are written at the end: read it now
            live = await run_stats(session, run.run_id)
            figures[i] = RunFigures(
                run.run_id, run.campaign_id, run.title, run.scheduled_for, run.status,
                live.targeted if live.counted else None, live.sent, live.blocked, live.failed, live.uncertain,
            )  # fmt: skip
    await session.rollback()
    return figures


async def cells(
    session: AsyncSession, *, start: datetime, weeks: int, units: Sequence[str] | None = None
) -> list[CellFigures]:
    """Cells (of ``units``) with their subscribers: in all, and new in each of ``weeks`` weeks."""
    stmt = select(Cell.id, Cell.name, Cell.unit_code).where(col(Cell.retired).is_(False))
    if units is not None:
        stmt = stmt.where(col(Cell.unit_code).in_(list(units)))
    known = (await session.exec(stmt)).all()
    dialect = session.get_bind().dialect.name
    week = bucket(dialect, Subscription.created_at, start, WEEK_S)
    on_cells = [Subscription.target == Target.CELL.value]
    totals = dict(
        (
            await session.exec(select(Subscription.value, func.count()).where(*on_cells).group_by(Subscription.value))
        ).all()
    )
    weekly = (
        await session.exec(
            select(Subscription.value, week, func.count())
            .where(
                *on_cells, Subscription.created_at >= start, Subscription.created_at < start + timedelta(weeks=weeks)
            )
            .group_by(Subscription.value, week)
        )
    ).all()
    await session.rollback()
    by_cell: dict[str, list[int]] = {}
    for value, index, count in weekly:
        by_cell.setdefault(value, [0] * weeks)[int(index)] = count
    return [
        CellFigures(cid, name, unit, totals.get(str(cid), 0), tuple(by_cell.get(str(cid), [0] * weeks)))
        for cid, name, unit in known
        if cid is not None
    ]  # (a row read back has its id)


def week_dates(start: datetime, weeks: int) -> list[date]:
    return [(start + timedelta(weeks=i)).date() for i in range(weeks)]
