"""The notifications outbox: what the bot owes someone after a handler has returned.

A service that changes something a person must hear about writes a ``Notification`` row **in the
same transaction** as the change (``enqueue``); the bot's worker (``bot/outgoing/worker.py``)
renders and sends it later, with retries, and records the outcome. Nothing here talks to Telegram:
a row is an *intent* (``kind`` + ``report_id``/``chat_id`` + a small JSON ``payload``), rendered
at send time from the current state, in the recipient's language.

Rules:
- **Lanes keep order.** Rows of one ``lane`` (a person: ``user:<id>``; a report's staff card:
  ``report:<id>``) are sent one after the other, in id order: only the oldest unfinished row of a
  lane can be claimed. Different lanes go in parallel.
- **Claims are compare-and-set** (``pending`` → ``sending`` with a lease), so several workers
  (instances) never send one row twice. A worker that dies leaves its rows ``sending``; they are
  claimed again when the lease runs out (``reclaim`` at start-up for a single instance).
- **Progress** (``progress``, JSON) records the steps of a multi-message row already done (an
  album, its pin, the card), so a retry or a restart resumes after the last step instead of
  repeating it.
- **Outcomes:** ``sent``; back to ``pending`` with ``next_at`` for what retrying can cure (5xx,
  network, flood limits); ``failed`` with ``last_error`` for what it cannot (the person blocked the
  bot, the chat is gone); ``waiting`` for a staff post whose unit has no reachable chat: it goes
  back to ``pending`` when a chat is bound to the unit (``release_unit``).
- ``after_commit`` wakes the local worker as soon as a transaction that enqueued rows commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, event, exists, or_, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import utcnow
from core.models import UNFINISHED, NoteStatus, Notification


@dataclass(frozen=True, slots=True)
class Note:
    """A claimed row, as the worker sees it."""

    id: int
    kind: str
    lane: str
    chat_id: int | None
    report_id: int | None
    unit_code: str | None
    payload: dict
    progress: dict
    attempts: int

    @classmethod
    def of(cls, row: Notification) -> Note:
        return cls(
            row.id,
            row.kind,
            row.lane,
            row.chat_id,
            row.report_id,
            row.unit_code,
            dict(row.payload or {}),
            dict(row.progress or {}),
            row.attempts,
        )


# A new row is due at once, whatever the worker's clock says (a test's or another instance's may
# differ from the writer's); only a retry is scheduled for a later time.
AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)


def user_lane(user_id: int) -> str:
    return f"user:{user_id}"


def report_lane(report_id: int) -> str:
    return f"report:{report_id}"


def admins_lane(report_id: int) -> str:
    """Messages to the admins about a report: not held up by its staff post."""
    return f"admins:{report_id}"


def enqueue(
    session: AsyncSession,
    kind: str,
    *,
    lane: str,
    chat_id: int | None = None,
    report_id: int | None = None,
    unit_code: str | None = None,
    payload: dict | None = None,
    now: datetime | None = None,
) -> Notification:
    """Add a row to the caller's transaction (nothing is flushed or committed here)."""
    row = Notification(
        kind=kind,
        lane=lane,
        chat_id=chat_id,
        report_id=report_id,
        unit_code=unit_code,
        payload=payload or None,
        created_at=now or utcnow(),
        next_at=AT_ONCE,
    )
    session.add(row)
    session.info["notifications"] = True
    return row


# --- waking the local worker ---------------------------------------------------------------------

_listeners: list[Callable[[], None]] = []


def subscribe(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` after every commit that enqueued rows; returns the unsubscribe function."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


@event.listens_for(Session, "after_commit")
def _wake(session: Session) -> None:
    if session.info.pop("notifications", False):
        for listener in list(_listeners):
            listener()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("notifications", None)


# --- the worker's side -----------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    """Pending and due, or left sending by a worker whose lease ran out."""
    return or_(
        and_(col(Notification.status) == NoteStatus.PENDING.value, col(Notification.next_at) <= now),
        and_(col(Notification.status) == NoteStatus.SENDING.value, col(Notification.lease_until) < now),
    )


def _head_of_lane() -> Any:
    """No earlier unfinished row in the same lane."""
    earlier = aliased(Notification)
    return ~exists().where(
        col(earlier.lane) == col(Notification.lane),
        col(earlier.id) < col(Notification.id),
        col(earlier.status).in_(UNFINISHED),
    )


async def claim(session: AsyncSession, now: datetime, *, limit: int, lease: timedelta) -> list[Note]:
    """Claim up to ``limit`` due rows, each the oldest unfinished one of its lane."""
    due = _due(now)
    ids = (
        await session.exec(
            select(col(Notification.id)).where(due, _head_of_lane()).order_by(col(Notification.id)).limit(limit)
        )
    ).all()
    claimed: list[Note] = []
    for note_id in ids:
        result = await session.exec(
            update(Notification)
            .where(col(Notification.id) == note_id, due)
            .values(status=NoteStatus.SENDING.value, lease_until=now + lease, attempts=Notification.attempts + 1)
        )
        if result.rowcount == 1:
            row = (
                await session.exec(
                    select(Notification).where(Notification.id == note_id).execution_options(populate_existing=True)
                )
            ).one()
            claimed.append(Note.of(row))
    await session.commit()
    return claimed


async def extend(session: AsyncSession, ids: Sequence[int], until: datetime) -> None:
    if ids:
        await session.exec(
            update(Notification)
            .where(col(Notification.id).in_(list(ids)), col(Notification.status) == NoteStatus.SENDING.value)
            .values(lease_until=until)
        )
        await session.commit()


async def save_progress(session: AsyncSession, note_id: int, progress: dict) -> None:
    """Record the steps done so far (committed at once: a restart resumes after them)."""
    await session.exec(update(Notification).where(col(Notification.id) == note_id).values(progress=dict(progress)))
    await session.commit()


def finish(
    note_id: int,
    status: NoteStatus,
    now: datetime,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
    progress: dict | None = None,
) -> Any:
    """The statement that records an outcome; the caller executes it in its transaction (so a
    staff post's card id and the reporter's next message commit together with it)."""
    values: dict[str, Any] = {"status": status.value, "lease_until": None, "last_error": error[:500] if error else None}
    if status == NoteStatus.SENT:
        values["sent_at"] = now
    if retry_at is not None:
        values["next_at"] = retry_at
    if progress is not None:
        values["progress"] = dict(progress)
    return update(Notification).where(col(Notification.id) == note_id).values(**values)


async def next_due(session: AsyncSession, now: datetime) -> datetime | None:
    """When the earliest retry waiting for its time falls due (the worker sleeps until then at most).

    Rows already due but not claimed wait behind an unfinished row of their lane: they are woken
    when that row ends, not by a timer (a timer of zero would spin the worker)."""
    return (
        await session.exec(
            select(Notification.next_at)
            .where(Notification.status == NoteStatus.PENDING.value, Notification.next_at > now)
            .order_by(col(Notification.next_at))
            .limit(1)
        )
    ).first()


async def busy(session: AsyncSession, now: datetime) -> bool:
    """Is anything in flight, or due and free to go (one read, so no commit falls between two)?"""
    free_to_go = and_(
        col(Notification.status) == NoteStatus.PENDING.value, col(Notification.next_at) <= now, _head_of_lane()
    )
    return (
        await session.exec(
            select(Notification.id)
            .where(or_(col(Notification.status) == NoteStatus.SENDING.value, free_to_go))
            .limit(1)
        )
    ).first() is not None


async def reclaim(session: AsyncSession, now: datetime) -> int:
    """At start-up of the only instance: rows a dead process left ``sending`` are due again now."""
    result = await session.exec(
        update(Notification)
        .where(col(Notification.status) == NoteStatus.SENDING.value)
        .values(status=NoteStatus.PENDING.value, lease_until=None, next_at=now)
    )
    await session.commit()
    return result.rowcount


async def release_unit(session: AsyncSession, unit_code: str, now: datetime) -> int:
    """A chat was bound to the unit: its waiting posts are due (in the caller's transaction)."""
    result = await session.exec(
        update(Notification)
        .where(col(Notification.unit_code) == unit_code, col(Notification.status) == NoteStatus.WAITING.value)
        .values(status=NoteStatus.PENDING.value, next_at=now, lease_until=None)
    )
    session.info["notifications"] = True
    return result.rowcount


async def purge(session: AsyncSession, before: datetime) -> int:
    """Forget rows that ended (sent or failed) before ``before``; unfinished ones stay."""
    result = await session.exec(
        delete(Notification).where(
            col(Notification.status).in_([NoteStatus.SENT.value, NoteStatus.FAILED.value]),
            col(Notification.created_at) < before,
        )
    )
    await session.commit()
    return result.rowcount
