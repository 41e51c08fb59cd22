"""Changes of a report: every state change is one compare-and-set ``UPDATE … WHERE id, version,
status``; the event row and what the change owes people (outbox rows) go in its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notifications as outbox
from core.clock import utcnow
from core.notifications import report_lane, user_lane
from reports import geo
from reports.models import (
    OPEN_STATUSES,
    EventKind,
    FollowupAnswer,
    PhotoKind,
    RejectReason,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
)
from reports.reading import _read, _recipients, _row, infos_of
from reports.records import (
    TRANSITIONS,
    Changed,
    Conflict,
    EventInfo,
    Kind,
    NotAllowed,
    NotFound,
    Outcome,
    PhotoIn,
    ReportInfo,
    _comment,
)

# --------------------------------------------------------------------------------------------
# Changes (compare-and-set)
# --------------------------------------------------------------------------------------------


async def _compare_and_set(
    session: AsyncSession,
    row: ReportInfo,
    values: dict[str, Any],
    event: ReportEvent,
    photos: Sequence[PhotoIn] = (),
    photo_kind: PhotoKind = PhotoKind.AFTER,
    now: datetime | None = None,
) -> Outcome:
    read_version, read_status, report_id = row.version, row.status.value, row.id
    values = {**values, "version": read_version + 1}
    try:
        result = await session.exec(
            update(Report)
            .where(col(Report.id) == report_id, col(Report.version) == read_version, col(Report.status) == read_status)
            .values(**values)
        )
        if result.rowcount != 1:
            await session.rollback()
            fresh = await _read(session, report_id)
            if fresh is None:
                return NotFound()
            return Conflict(fresh.status, fresh.version)
        session.add(event)
        if photos:
            start = (
                await session.exec(
                    select(func.count())
                    .select_from(ReportPhoto)
                    .where(ReportPhoto.report_id == report_id, ReportPhoto.kind == photo_kind.value)
                )
            ).one()
            session.add_all(p.row(report_id, photo_kind, start + i, now or utcnow()) for i, p in enumerate(photos))
        await session.flush()
        fresh = await _row(session, report_id)
        notify = await _recipients(session, fresh, event.actor_id)
        _owe(session, fresh, event, notify, now)
        info = (await infos_of(session, [fresh]))[0]
        event_info = EventInfo.of(event)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return Changed(info, event_info, notify)


def _owe(session: AsyncSession, row: Report, event: ReportEvent, notify: Sequence[int], now: datetime | None) -> None:
    """The outbox rows of a change (in its transaction): the staff card(s), and the people."""
    lane, ref = report_lane(row.id), {"event": event.id}
    if event.kind == EventKind.REASSIGN.value:
        details = event.details or {}
        if details.get("old_staff_chat_id") and details.get("old_staff_message_id"):
            outbox.enqueue(
                session,
                Kind.REFRESH,
                lane=lane,
                report_id=row.id,
                now=now,
                payload={
                    **ref,
                    "chat": details["old_staff_chat_id"],
                    "message": details["old_staff_message_id"],
                    "final": True,
                },
            )
        outbox.enqueue(session, Kind.POST, lane=lane, report_id=row.id, unit_code=row.unit_code, payload=ref, now=now)
    else:
        outbox.enqueue(session, Kind.REFRESH, lane=lane, report_id=row.id, payload=ref, now=now)
    if event.kind == EventKind.FOLLOW.value and (event.details or {}).get("answer") == FollowupAnswer.NOT_CLEAN:
        outbox.enqueue(session, Kind.ALERT, lane=lane, report_id=row.id, payload=ref, now=now)
    for person in notify:
        outbox.enqueue(
            session, Kind.NOTICE, lane=user_lane(person), chat_id=person, report_id=row.id, payload=ref, now=now
        )


async def transition(
    session: AsyncSession,
    report_id: int,
    actor_id: int | None,
    new_status: ReportStatus | str,
    comment: str | None = None,
    reason: RejectReason | str | None = None,
    expected_status: ReportStatus | str | None = None,
    *,
    expected_version: int | None = None,
    photos: Sequence[PhotoIn] = (),
    kind: EventKind = EventKind.STATUS,
    details: dict | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Move a report to ``new_status``; one event row per change.

    ``expected_status``/``expected_version``: what the caller saw (e.g. the status the button was
    drawn for); a mismatch is a ``Conflict``. Rejecting needs a ``reason``. ``photos`` (kind
    "after") may accompany a resolution.
    """
    now = now or utcnow()
    new_status = ReportStatus(new_status)
    row = await _read(session, report_id)  # the compare-and-set below is the real check
    if row is None:
        return NotFound()
    current = row.status
    if expected_status is not None and current != ReportStatus(expected_status):
        return Conflict(current, row.version)
    if expected_version is not None and row.version != expected_version:
        return Conflict(current, row.version)
    if new_status not in TRANSITIONS[current]:
        return NotAllowed(current, "transition")
    reject_reason = RejectReason(reason) if reason is not None else None
    if new_status == ReportStatus.REJECTED and reject_reason is None:
        return NotAllowed(current, "reason_required")

    values: dict[str, Any] = {"status": new_status.value, "updated_at": now}
    if new_status == ReportStatus.ACCEPTED:
        if row.accepted_at is None:
            values["accepted_at"] = now
        if current == ReportStatus.RESOLVED:  # reopened: a new resolution will be asked about again
            values.update(resolved_at=None, followup_asked_at=None)
    elif new_status == ReportStatus.RESOLVED:
        values["resolved_at"] = now
        values["followup_asked_at"] = None
        values["followup_answer"] = None
    elif new_status == ReportStatus.REJECTED:
        values["reject_reason"] = reject_reason.value
    elif new_status == ReportStatus.SUBMITTED:  # reopened after a rejection: the unit's clock restarts
        values.update(reject_reason=None, assigned_at=now, unit_reminded_at=None)
    event_details = dict(details or {})
    if reject_reason is not None and new_status == ReportStatus.REJECTED:
        event_details["reason"] = reject_reason.value
    if current in (ReportStatus.RESOLVED, ReportStatus.REJECTED):
        event_details["reopened"] = True
    event = ReportEvent(
        report_id=report_id,
        actor_id=actor_id,
        at=now,
        kind=kind.value,
        old_status=current.value,
        new_status=new_status.value,
        comment=_comment(comment),
        details=event_details or None,
    )
    return await _compare_and_set(session, row, values, event, photos, PhotoKind.AFTER, now)


async def reassign(
    session: AsyncSession,
    report_id: int,
    actor_id: int | None,
    unit_code: str,
    comment: str | None = None,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Hand an open report to another unit (any of the 18, incl. 高新区 and 临港).

    The status stays; the reminder clock restarts for the new unit; the old staff message ids go
    into the event details (so the bot can edit the old post) and are cleared on the report.
    """
    now = now or utcnow()
    row = await _read(session, report_id)
    if row is None:
        return NotFound()
    current = row.status
    if expected_version is not None and row.version != expected_version:
        return Conflict(current, row.version)
    if not geo.is_valid_unit(unit_code):
        return NotAllowed(current, "bad_unit")
    if unit_code == row.unit_code:
        return NotAllowed(current, "same_unit")
    if current not in OPEN_STATUSES:
        return NotAllowed(current, "closed")
    values = {
        "unit_code": unit_code,
        "assigned_at": now,
        "unit_reminded_at": None,
        "updated_at": now,
        "staff_chat_id": None,
        "staff_message_id": None,
    }
    event = ReportEvent(
        report_id=report_id,
        actor_id=actor_id,
        at=now,
        kind=EventKind.REASSIGN.value,
        old_status=current.value,
        new_status=current.value,
        comment=_comment(comment),
        details={
            "old_unit": row.unit_code,
            "new_unit": unit_code,
            "old_staff_chat_id": row.staff_chat_id,
            "old_staff_message_id": row.staff_message_id,
        },
    )
    return await _compare_and_set(session, row, values, event, now=now)


async def add_comment(
    session: AsyncSession, report_id: int, actor_id: int | None, comment: str, now: datetime | None = None
) -> Changed | NotFound:
    """A note on the report's history (no state change, no version bump)."""
    now = now or utcnow()
    row = await _row(session, report_id)
    if row is None:
        await session.rollback()
        return NotFound()
    event = ReportEvent(
        report_id=report_id,
        actor_id=actor_id,
        at=now,
        kind=EventKind.COMMENT.value,
        old_status=row.status,
        new_status=row.status,
        comment=_comment(comment),
    )
    session.add(event)
    await session.flush()
    notify = await _recipients(session, row, actor_id)
    _owe(session, row, event, notify, now)
    info = (await infos_of(session, [row]))[0]
    event_info = EventInfo.of(event)
    await session.commit()
    return Changed(info, event_info, notify)


def staff_message(report_id: int, chat_id: int, message_id: int) -> Any:
    """The statement that remembers the post in the unit's staff chat (bookkeeping: no version
    bump); the caller runs it in its transaction."""
    return update(Report).where(col(Report.id) == report_id).values(staff_chat_id=chat_id, staff_message_id=message_id)


async def set_staff_message(session: AsyncSession, report_id: int, chat_id: int, message_id: int) -> bool:
    """Remember the post in the unit's staff chat, committed."""
    result = await session.exec(staff_message(report_id, chat_id, message_id))
    await session.commit()
    return bool(result.rowcount)
