"""Reminders, escalations and the follow-up question: claimed once per report (even with two
schedulers) and put in the outbox in the same transaction; the reporter's answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notifications as outbox
from core.clock import utcnow
from core.notifications import admins_lane, report_lane, user_lane
from reports.changes import _compare_and_set, transition
from reports.models import (
    OPEN_STATUSES,
    EventKind,
    FollowupAnswer,
    Report,
    ReportEvent,
    ReportStatus,
)
from reports.reading import _read, infos_of
from reports.records import Conflict, Kind, NotAllowed, NotFound, Outcome, ReportInfo

# --------------------------------------------------------------------------------------------
# Reminders and the follow-up question
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueReminders:
    remind_unit: tuple[ReportInfo, ...]  # submitted, not accepted for 24 h: remind the unit (once)
    escalate: tuple[ReportInfo, ...]  # open for 7 days: tell the admins (once)
    ask_followup: tuple[ReportInfo, ...]  # resolved 3 days ago: ask the reporter "is it clean?" (once)

    def __bool__(self) -> bool:
        return bool(self.remind_unit or self.escalate or self.ask_followup)


async def _claim(session: AsyncSession, stamp: str, conditions: list, now: datetime) -> list[int]:
    column = getattr(Report, stamp)
    ids = (
        await session.exec(select(col(Report.id)).where(column.is_(None), *conditions).order_by(col(Report.id)))
    ).all()
    claimed = []
    for report_id in ids:
        result = await session.exec(
            update(Report).where(col(Report.id) == report_id, column.is_(None), *conditions).values({stamp: now})
        )
        if result.rowcount == 1:
            claimed.append(report_id)
    return claimed


async def claim_due_reminders(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    remind_after: timedelta = timedelta(hours=24),
    escalate_after: timedelta = timedelta(days=7),
    followup_after: timedelta = timedelta(days=3),
) -> DueReminders:
    """Find what is due, mark it and put its message in the outbox, atomically per report, so each
    goes out once even when two schedulers run; returns what was claimed."""
    now = now or utcnow()
    open_values = [s.value for s in OPEN_STATUSES]
    try:
        remind = await _claim(
            session,
            "unit_reminded_at",
            [Report.status == ReportStatus.SUBMITTED.value, Report.assigned_at <= now - remind_after],
            now,
        )
        escalate = await _claim(
            session,
            "escalated_at",
            [col(Report.status).in_(open_values), Report.created_at <= now - escalate_after],
            now,
        )
        followup = await _claim(
            session,
            "followup_asked_at",
            [
                Report.status == ReportStatus.RESOLVED.value,
                col(Report.resolved_at) <= now - followup_after,
                col(Report.reporter_id).is_not(None),
                col(Report.followup_answer).is_(None),
            ],
            now,
        )
        for report_id in remind:
            outbox.enqueue(session, Kind.REMIND, lane=report_lane(report_id), report_id=report_id, now=now)
        for report_id in escalate:  # not behind a post that waits for the unit's chat
            outbox.enqueue(session, Kind.ESCALATE, lane=admins_lane(report_id), report_id=report_id, now=now)
        if followup:
            reporters = dict(
                (await session.exec(select(Report.id, Report.reporter_id).where(col(Report.id).in_(followup)))).all()
            )
            for report_id in followup:
                outbox.enqueue(
                    session,
                    Kind.FOLLOWUP,
                    lane=user_lane(reporters[report_id]),
                    chat_id=reporters[report_id],
                    report_id=report_id,
                    now=now,
                )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise

    async def load(ids: list[int]) -> tuple[ReportInfo, ...]:
        if not ids:
            return ()
        rows = (
            await session.exec(
                select(Report)
                .where(col(Report.id).in_(ids))
                .order_by(col(Report.id))
                .execution_options(populate_existing=True)
            )
        ).all()
        return tuple(await infos_of(session, rows))

    result = DueReminders(await load(remind), await load(escalate), await load(followup))
    await session.rollback()
    return result


async def answer_followup(
    session: AsyncSession, report_id: int, user_id: int, clean: bool, now: datetime | None = None
) -> Outcome:
    """The reporter's answer to "is it clean now?". "Not clean" reopens the report (back to
    ``accepted`` for the same unit); "clean" is recorded as a follow event."""
    now = now or utcnow()
    row = await _read(session, report_id)
    if row is None:
        return NotFound()
    current = row.status
    if row.reporter_id != user_id:
        return NotAllowed(current, "not_reporter")
    if current != ReportStatus.RESOLVED:
        return Conflict(current, row.version)
    answer = FollowupAnswer.CLEAN if clean else FollowupAnswer.NOT_CLEAN
    if clean:
        if row.followup_answer == FollowupAnswer.CLEAN:
            return NotAllowed(current, "already_answered")
        event = ReportEvent(
            report_id=report_id,
            actor_id=user_id,
            at=now,
            kind=EventKind.FOLLOW.value,
            old_status=current.value,
            new_status=current.value,
            details={"answer": answer.value},
        )
        values = {"followup_answer": answer.value, "updated_at": now}
        return await _compare_and_set(session, row, values, event, now=now)
    outcome = await transition(
        session,
        report_id,
        user_id,
        ReportStatus.ACCEPTED,
        expected_version=row.version,
        kind=EventKind.FOLLOW,
        details={"answer": answer.value},
        now=now,
    )
    return outcome
