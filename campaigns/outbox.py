"""A campaign run's outbox, written by the database.

One ``INSERT INTO outbox … SELECT … FROM users WHERE <audience> ON CONFLICT (run_id, user_id) DO
NOTHING`` per chunk of recipients: no recipient is loaded into Python. Chunks are ranges of user
ids (``after < users.id <= boundary``, the boundary found by the same audience query), each
committed in a transaction of its own so a big run never holds the writer lock for long, and a
preparation interrupted between chunks is finished by the next one (conflicts are skipped).

The audience is ``campaigns.subscriptions.recipients_select`` (the rules are documented there); the
language of a row is ``en`` for English-speaking users when the campaign has an English text, else
``zh``.
"""

from __future__ import annotations

from sqlalchemy import Select, case, literal
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import OutboxRow, OutboxStatus
from campaigns.subscriptions import Audience, recipients_select
from core.models import User
from core.upsert import insert_select_or_ignore

COLUMNS = ["run_id", "user_id", "language", "status", "attempts"]


async def _chunk(
    session: AsyncSession, run_id: int, recipients: Select, has_en: bool, after: int | None, size: int
) -> int | None:
    """Write the recipients with ``after < id <= boundary``; returns the boundary (None: the last chunk)."""
    if after is not None:
        recipients = recipients.where(col(User.id) > after)
    boundary = (await session.exec(select(recipients.subquery().c.id).order_by("id").offset(size - 1).limit(1))).first()
    if boundary is not None:
        recipients = recipients.where(User.id <= boundary)
    language = case((col(User.language) == "en", "en"), else_="zh") if has_en else literal("zh")
    rows = recipients.with_only_columns(
        literal(run_id), User.id, language, literal(OutboxStatus.PENDING.value), literal(0)
    )
    await insert_select_or_ignore(session, OutboxRow, COLUMNS, rows, key=["run_id", "user_id"])
    await session.commit()
    return boundary


async def write_outbox(
    sessions: async_sessionmaker[AsyncSession], run_id: int, audience: Audience, *, has_en: bool, batch: int
) -> None:
    """One outbox row per recipient of ``audience`` for ``run_id`` (idempotent), ``batch`` per commit."""
    async with sessions() as session:
        recipients = await recipients_select(session, audience)  # resolves the cells once
    if recipients is None:
        return
    after: int | None = None
    while True:
        async with sessions() as session:
            after = await _chunk(session, run_id, recipients, has_en, after, max(1, batch))
        if after is None:
            return
