"""Campaigns as stored rows: create, edit, pause, resume, cancel, and their runs.

These functions only touch the tables; ``CampaignScheduler`` wraps them and keeps its in-memory jobs
in step (the tables are the source of truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import Campaign, CampaignRun, CampaignStatus, Cell, RunStatus, ScheduleKind
from campaigns.schedule import DEFAULT_TZ, Schedule, format_time_of_day, next_occurrence, parse_time
from campaigns.subscriptions import Audience
from core.clock import utcnow
from core.upsert import insert_or_ignore

MAX_TEXT = 4096  # Telegram message
MAX_CAPTION = 1024  # Telegram photo caption


class CampaignError(ValueError):
    """Invalid campaign data, an unknown campaign or a change its status does not allow."""


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    id: int
    author_id: int
    audience: Audience
    text_zh: str
    text_en: str | None
    photo: str | None
    schedule: Schedule
    status: CampaignStatus
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    campaign_id: int
    scheduled_for: datetime
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    targeted: int
    sent: int
    blocked: int
    failed: int
    uncertain: int

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @classmethod
    def of(cls, row: CampaignRun) -> RunInfo:
        return cls(
            row.id, row.campaign_id, row.scheduled_for, RunStatus(row.status), row.started_at,
            row.finished_at, row.targeted, row.sent, row.blocked, row.failed, row.uncertain,
        )  # fmt: skip


def schedule_of(row: Campaign) -> Schedule:
    quiet = None
    if row.quiet_start and row.quiet_end:
        quiet = (parse_time(row.quiet_start), parse_time(row.quiet_end))
    return Schedule(
        kind=ScheduleKind(row.schedule_kind),
        at=row.run_at,
        time=parse_time(row.time_of_day) if row.time_of_day else None,
        weekdays=frozenset(row.weekdays or ()),
        month_day=row.month_day,
        end=row.end_date,
        tz=row.timezone or DEFAULT_TZ,
        quiet=quiet,
    )


def _store_schedule(row: Campaign, schedule: Schedule) -> None:
    row.schedule_kind = schedule.kind.value
    row.run_at = schedule.at
    row.time_of_day = format_time_of_day(schedule.time) if schedule.time else None
    row.weekdays = sorted(schedule.weekdays) if schedule.kind is ScheduleKind.WEEKLY else None
    row.month_day = schedule.month_day if schedule.kind is ScheduleKind.MONTHLY else None
    row.end_date = schedule.end
    row.timezone = schedule.tz
    if schedule.quiet and schedule.quiet[0] != schedule.quiet[1]:
        row.quiet_start, row.quiet_end = (format_time_of_day(t) for t in schedule.quiet)
    else:
        row.quiet_start = row.quiet_end = None


def info_of(row: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=row.id,
        author_id=row.author_id,
        audience=Audience.from_json(row.audience),
        text_zh=row.text_zh,
        text_en=row.text_en,
        photo=row.photo,
        schedule=schedule_of(row),
        status=CampaignStatus(row.status),
        next_run_at=row.next_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_texts(text_zh: str, text_en: str | None, photo: str | None) -> tuple[str, str | None]:
    text_zh = (text_zh or "").strip()
    text_en = (text_en or "").strip() or None
    limit = MAX_CAPTION if photo else MAX_TEXT
    if not text_zh:
        raise CampaignError("the Chinese text is required")
    for text in (text_zh, text_en):
        if text and len(text) > limit:
            raise CampaignError(f"text longer than {limit} characters")
    return text_zh, text_en


async def _check_audience(session: AsyncSession, audience: Audience) -> None:
    if audience.empty:
        raise CampaignError("the audience is empty")
    if audience.cells:
        rows = (
            await session.exec(
                select(col(Cell.id)).where(col(Cell.id).in_(sorted(audience.cells)), col(Cell.retired) == False)  # noqa: E712
            )
        ).all()
        missing = audience.cells - set(rows)
        if missing:
            raise CampaignError(f"unknown or retired cells: {sorted(missing)}")


async def create_campaign(
    session: AsyncSession,
    *,
    author_id: int,
    audience: Audience,
    text_zh: str,
    schedule: Schedule,
    now: datetime,
    text_en: str | None = None,
    photo: str | None = None,
) -> CampaignInfo:
    """Store an active campaign with its first run time; CampaignError if it would never run."""
    text_zh, text_en = _check_texts(text_zh, text_en, photo)
    await _check_audience(session, audience)
    first = next_occurrence(schedule, now)
    if first is None:
        raise CampaignError("the schedule has no run in the future")
    row = Campaign(
        author_id=author_id,
        audience=audience.to_json(),
        text_zh=text_zh,
        text_en=text_en,
        photo=photo,
        schedule_kind=schedule.kind.value,
        status=CampaignStatus.ACTIVE.value,
        next_run_at=first,
        created_at=now,
        updated_at=now,
    )
    _store_schedule(row, schedule)
    session.add(row)
    await session.commit()
    return info_of(row)


async def _row(session: AsyncSession, campaign_id: int) -> Campaign:
    row = await session.get(Campaign, campaign_id)
    if row is None:
        raise CampaignError(f"no campaign {campaign_id}")
    return row


async def get_campaign(session: AsyncSession, campaign_id: int) -> CampaignInfo | None:
    row = await session.get(Campaign, campaign_id)
    return info_of(row) if row else None


async def list_campaigns(
    session: AsyncSession, *, author_id: int | None = None, statuses: set[CampaignStatus] | None = None
) -> list[CampaignInfo]:
    stmt = select(Campaign)
    if author_id is not None:
        stmt = stmt.where(Campaign.author_id == author_id)
    if statuses:
        stmt = stmt.where(col(Campaign.status).in_(sorted(s.value for s in statuses)))
    return [info_of(r) for r in (await session.exec(stmt.order_by(col(Campaign.id)))).all()]


async def pause_campaign(session: AsyncSession, campaign_id: int, now: datetime) -> CampaignInfo:
    row = await _row(session, campaign_id)
    if row.status != CampaignStatus.ACTIVE.value:
        raise CampaignError(f"campaign {campaign_id} is {row.status}, not active")
    row.status = CampaignStatus.PAUSED.value
    row.next_run_at = None
    row.updated_at = now
    await session.commit()
    return info_of(row)


async def resume_campaign(session: AsyncSession, campaign_id: int, now: datetime) -> CampaignInfo:
    """Active again from ``now`` on (runs that fell in the pause are not replayed); finished if the
    schedule has nothing left."""
    row = await _row(session, campaign_id)
    if row.status != CampaignStatus.PAUSED.value:
        raise CampaignError(f"campaign {campaign_id} is {row.status}, not paused")
    nxt = next_occurrence(schedule_of(row), now)
    row.status = (CampaignStatus.ACTIVE if nxt else CampaignStatus.FINISHED).value
    row.next_run_at = nxt
    row.updated_at = now
    await session.commit()
    return info_of(row)


async def cancel_campaign(session: AsyncSession, campaign_id: int, now: datetime) -> CampaignInfo:
    row = await _row(session, campaign_id)
    if row.status in (CampaignStatus.CANCELLED.value, CampaignStatus.FINISHED.value):
        raise CampaignError(f"campaign {campaign_id} is already {row.status}")
    row.status = CampaignStatus.CANCELLED.value
    row.next_run_at = None
    row.updated_at = now
    await session.commit()
    return info_of(row)


_UNSET = object()


async def edit_campaign(
    session: AsyncSession,
    campaign_id: int,
    now: datetime,
    *,
    text_zh: str | None = None,
    text_en: str | None | object = _UNSET,
    photo: str | None | object = _UNSET,
    audience: Audience | None = None,
    schedule: Schedule | None = None,
) -> CampaignInfo:
    """Change an active or paused campaign. A new schedule of an active campaign takes effect from
    ``now`` (next run recomputed). A run in progress rereads the texts with every page of its outbox
    (``DeliveryConfig.page_size`` rows), so an edit also reaches the rest of it."""
    row = await _row(session, campaign_id)
    if row.status not in (CampaignStatus.ACTIVE.value, CampaignStatus.PAUSED.value):
        raise CampaignError(f"campaign {campaign_id} is {row.status}")
    new_photo = row.photo if photo is _UNSET else photo
    new_zh, new_en = _check_texts(
        text_zh if text_zh is not None else row.text_zh,
        row.text_en if text_en is _UNSET else text_en,
        new_photo,
    )
    if audience is not None:
        await _check_audience(session, audience)
        row.audience = audience.to_json()
    if schedule is not None:
        nxt = next_occurrence(schedule, now)
        if nxt is None:
            raise CampaignError("the schedule has no run in the future")
        _store_schedule(row, schedule)
        if row.status == CampaignStatus.ACTIVE.value:
            row.next_run_at = nxt
    row.text_zh, row.text_en, row.photo = new_zh, new_en, new_photo
    row.updated_at = now
    await session.commit()
    return info_of(row)


async def get_run(session: AsyncSession, run_id: int) -> RunInfo | None:
    row = await session.get(CampaignRun, run_id)
    return RunInfo.of(row) if row else None


async def list_runs(session: AsyncSession, campaign_id: int) -> list[RunInfo]:
    rows = (
        await session.exec(
            select(CampaignRun)
            .where(col(CampaignRun.campaign_id) == campaign_id)
            .order_by(col(CampaignRun.scheduled_for))
        )
    ).all()
    return [RunInfo.of(r) for r in rows]


__all__ = [
    "CampaignError", "CampaignInfo", "RunInfo", "create_campaign", "edit_campaign", "pause_campaign",
    "resume_campaign", "cancel_campaign", "get_campaign", "list_campaigns", "get_run", "list_runs",
    "schedule_of", "info_of", "ensure_run",
]  # fmt: skip


async def ensure_run(
    session: AsyncSession, campaign_id: int, scheduled_for: datetime, *, status: RunStatus = RunStatus.PENDING
) -> tuple[int, bool]:
    """The run of ``campaign_id`` at ``scheduled_for``, created if needed: (run id, created).

    The unique key (campaign_id, scheduled_for) makes this idempotent. Does not commit.
    """
    created = bool(
        await insert_or_ignore(
            session,
            CampaignRun,
            {
                "campaign_id": campaign_id,
                "scheduled_for": scheduled_for,
                "status": status.value,
                "outbox_ready": False,
                "targeted": 0,
                "sent": 0,
                "blocked": 0,
                "failed": 0,
                "uncertain": 0,
                "created_at": utcnow(),
            },
            key=["campaign_id", "scheduled_for"],
        )
    )
    run_id = (
        await session.exec(
            select(CampaignRun.id).where(
                CampaignRun.campaign_id == campaign_id, CampaignRun.scheduled_for == scheduled_for
            )
        )
    ).one()
    return run_id, created
