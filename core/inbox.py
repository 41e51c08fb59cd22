"""The update inbox: every update a bot receives, stored before it is acknowledged.

Rules of this module (the bot's worker, ``bot/inbox.py``, drives it; nothing here knows aiogram):
- A row is one update of one bot, keyed by ``(bot_id, update_id)``; ``payload`` is the update's
  JSON as received. Storing is ``INSERT ... ON CONFLICT DO NOTHING``: an update Telegram sends
  twice is stored once, and ``store`` says which updates were new.
- ``status`` is ``pending`` until a handler ran it, then ``done`` (or ``failed``: a handler bug, or
  tried ``max_attempts`` times by instances that died). Only ``pending`` rows are ever handed out.
- A pending row is owned by the instance (``owner``) that stored or took it over, until
  ``lease_until``; the owner renews its lease while it lives. ``take_over`` gives an instance the
  pending rows of dead ones (every row not its own, or only those whose lease ran out) and counts
  an ``attempt`` on each: a row with attempts > 0 is a redelivery.
- ``done_at`` is when a row was finished; ``purge`` deletes finished rows older than a moment.
- Every function commits its own transaction; times come from the caller's clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, Text, delete, func, select, update
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.upsert import insert_many_or_ignore

PENDING, DONE, FAILED = "pending", "done", "failed"
FINISHED = (DONE, FAILED)
_CHUNK = 500  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits


class UpdateInbox(SQLModel, table=True):
    __tablename__ = "update_inbox"
    __table_args__ = (
        PrimaryKeyConstraint("bot_id", "update_id", name="pk_update_inbox"),
        Index("ix_update_inbox_status", "status", "bot_id", "update_id"),
        Index("ix_update_inbox_done_at", "done_at"),
    )

    bot_id: int = Field(sa_column=Column(BigInteger, nullable=False, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, nullable=False, autoincrement=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=PENDING, max_length=8)
    owner: str = Field(max_length=32)
    lease_until: datetime
    attempts: int = Field(default=0)
    received_at: datetime
    done_at: datetime | None = Field(default=None)


@dataclass(frozen=True)
class Stored:
    """A pending update handed to a worker."""

    update_id: int
    payload: str
    attempts: int


async def store(
    session: AsyncSession,
    bot_id: int,
    updates: Sequence[tuple[int, str]],
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> set[int]:
    """Store ``(update_id, payload)`` pairs in one transaction, owned by ``owner``; returns the ids
    that were new (the others were stored before and are left as they are)."""
    rows = [
        dict(
            bot_id=bot_id,
            update_id=update_id,
            payload=payload,
            status=PENDING,
            owner=owner,
            lease_until=now + lease,
            attempts=0,
            received_at=now,
        )
        for update_id, payload in updates
    ]
    inserted = await insert_many_or_ignore(
        session, UpdateInbox, rows, key=["bot_id", "update_id"], returning=UpdateInbox.update_id
    )
    await session.commit()
    return set(inserted)


def _pending(bot_id: int):
    return (UpdateInbox.bot_id == bot_id) & (UpdateInbox.status == PENDING)


async def take_over(
    session: AsyncSession,
    bot_id: int,
    owner: str,
    *,
    now: datetime,
    lease: timedelta,
    expired_only: bool,
    max_attempts: int,
) -> int:
    """Make ``owner`` the owner of the pending rows of other instances (all of them, or those whose
    lease ran out); rows already tried ``max_attempts`` times are marked failed instead. Returns
    how many rows were taken."""
    others = _pending(bot_id) & (UpdateInbox.owner != owner)
    if expired_only:
        others &= UpdateInbox.lease_until < now
    await session.exec(
        update(UpdateInbox).where(others & (UpdateInbox.attempts >= max_attempts)).values(status=FAILED, done_at=now)
    )
    taken = await session.exec(
        update(UpdateInbox)
        .where(others)
        .values(owner=owner, lease_until=now + lease, attempts=UpdateInbox.attempts + 1)
    )
    await session.commit()
    return taken.rowcount


async def owned(session: AsyncSession, bot_id: int, owner: str) -> list[Stored]:
    """The pending rows of ``owner``, oldest update first."""
    rows = await session.exec(
        select(col(UpdateInbox.update_id), col(UpdateInbox.payload), col(UpdateInbox.attempts))
        .where(_pending(bot_id) & (UpdateInbox.owner == owner))
        .order_by(UpdateInbox.update_id)
    )
    result = [Stored(*row) for row in rows.all()]
    await session.commit()
    return result


async def renew(session: AsyncSession, bot_id: int, owner: str, *, now: datetime, lease: timedelta) -> None:
    """Extend the lease of every pending row of ``owner``."""
    await session.exec(
        update(UpdateInbox).where(_pending(bot_id) & (UpdateInbox.owner == owner)).values(lease_until=now + lease)
    )
    await session.commit()


async def finish(session: AsyncSession, bot_id: int, marks: Mapping[int, str], *, now: datetime) -> None:
    """Mark updates ``{update_id: done | failed}`` finished, in one transaction."""
    by_status: dict[str, list[int]] = {}
    for update_id, status in marks.items():
        by_status.setdefault(status, []).append(update_id)
    for status, ids in by_status.items():
        for start in range(0, len(ids), _CHUNK):
            await session.exec(
                update(UpdateInbox)
                .where(
                    (col(UpdateInbox.bot_id) == bot_id) & col(UpdateInbox.update_id).in_(ids[start : start + _CHUNK])
                )
                .values(status=status, done_at=now)
            )
    await session.commit()


async def purge(session: AsyncSession, *, before: datetime) -> int:
    """Delete the rows finished before ``before``; returns how many."""
    result = await session.exec(
        delete(UpdateInbox).where(col(UpdateInbox.status).in_(FINISHED) & (col(UpdateInbox.done_at) < before))
    )
    await session.commit()
    return result.rowcount


async def forget(session: AsyncSession, bot_id: int) -> int:
    """Delete every row of ``bot_id``: for a Bot API server that forgot them too (the sandbox starts
    afresh each run, and counts its update ids from 1 again)."""
    result = await session.exec(delete(UpdateInbox).where(col(UpdateInbox.bot_id) == bot_id))
    await session.commit()
    return result.rowcount


async def counts(session: AsyncSession, bot_id: int) -> dict[str, int]:
    """How many rows of each status (for tests and diagnostics)."""
    rows = await session.exec(
        select(col(UpdateInbox.status), func.count())
        .where(col(UpdateInbox.bot_id) == bot_id)
        .group_by(UpdateInbox.status)
    )
    result = dict(rows.all())
    await session.commit()
    return result
