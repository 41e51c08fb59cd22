"""A campaign run's outbox, written by the database, chunk by chunk as the sender advances.

One ``INSERT INTO outbox … SELECT … FROM users WHERE <audience> ON CONFLICT (run_id, user_id) DO
NOTHING`` per chunk of recipients: no recipient is loaded into Python. Chunks are ranges of user
ids (``after < users.id <= boundary``, the boundary found by the same audience query). The run row
keeps the keyset cursor of what is written: ``outbox_after`` (the last user id written, NULL before
the first chunk) and ``outbox_ready`` (every row written). Rules:

- A chunk and the cursor's move are one transaction: after a crash the cursor says exactly what is
  written, and the next chunk starts there. Writing a chunk again is harmless (conflicts are
  skipped), and the cursor never goes back (``advance`` only moves it forward), so two writers (a
  leader and the one taking over) cannot lose or double a row.
- Every recipient with ``users.id <= outbox_after`` (as the audience stood when their chunk was
  written) has a row; once ``outbox_ready`` is set nothing more is written.
- The audience of a chunk is read when the chunk is written, from the campaign as it stands then:
  who unsubscribed or blocked the bot since the run started is not written at all (so gets
  nothing), who subscribed since is written if their id is still ahead of the cursor, and an edit of
  the audience (or of the English text, which decides a row's language) reaches the chunks not
  written yet.
- ``start_outbox`` writes the first chunk (one transaction): from then on the run is ready to send.
  When that chunk is the whole outbox, ``targeted`` is its rows. Otherwise the recipients are
  counted afterwards (``count_outbox``, its own transaction, while the first messages go out):
  a COUNT of 100k recipients is 50-90 ms on PostgreSQL, as long as the first chunk itself, and
  nothing on the way to the first message needs it. Until then ``targeted`` is 0 ("counting").

The audience is ``campaigns.subscriptions.recipients_select`` (the rules are documented there); the
language of a row is ``en`` for English-speaking users when the campaign has an English text, else
``zh``.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, case, false, func, literal, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import CampaignRun, OutboxRow, OutboxStatus
from campaigns.subscriptions import Audience, recipients_select
from core.models import User
from core.upsert import insert_select_or_ignore

COLUMNS = ["run_id", "user_id", "language", "status", "attempts"]


async def write_chunk(
    session: AsyncSession, run_id: int, recipients: Select, *, has_en: bool, after: int | None, size: int
) -> tuple[int | None, int]:
    """Write (not commit) the recipients with ``after < id <= boundary``, ``size`` of them at most;
    returns the boundary (None: that was the last chunk) and how many rows were new."""
    if after is not None:
        recipients = recipients.where(col(User.id) > after)
    boundary = (
        await session.exec(select(recipients.subquery().c.id).order_by("id").offset(max(1, size) - 1).limit(1))
    ).first()
    if boundary is not None:
        recipients = recipients.where(User.id <= boundary)
    language = case((col(User.language) == "en", "en"), else_="zh") if has_en else literal("zh")
    rows = recipients.with_only_columns(
        literal(run_id), User.id, language, literal(OutboxStatus.PENDING.value), literal(0)
    )
    written = await insert_select_or_ignore(session, OutboxRow, COLUMNS, rows, key=["run_id", "user_id"])
    return boundary, written


async def advance(session: AsyncSession, run_id: int, boundary: int | None) -> None:
    """Move the run's cursor (not committed) to ``boundary`` (None: every row is written), forward only."""
    runs = CampaignRun.__table__  # type: ignore[attr-defined]  # set by SQLModel at class creation
    not_ready = runs.c.outbox_ready == false()
    if boundary is None:
        stmt = update(runs).where(runs.c.id == run_id, not_ready).values(outbox_ready=True)
    else:
        forward = or_(runs.c.outbox_after.is_(None), runs.c.outbox_after < boundary)
        stmt = update(runs).where(runs.c.id == run_id, and_(not_ready, forward)).values(outbox_after=boundary)
    await session.exec(stmt)


async def start_outbox(session: AsyncSession, run_id: int, audience: Audience, *, has_en: bool, size: int) -> None:
    """Write the run's first chunk (``size`` rows at most) and move its cursor, in one committed
    transaction; a run started already is left as it is. When chunks are left, ``targeted`` stays 0
    until ``count_outbox``."""
    runs = CampaignRun.__table__  # type: ignore[attr-defined]  # as in ``advance``
    not_started = and_(runs.c.id == run_id, runs.c.outbox_ready == false(), runs.c.outbox_after.is_(None))
    # The claim: a second starter waits on this row's lock, then finds it started and writes nothing.
    started = await session.exec(update(runs).where(not_started).values(targeted=0))
    boundary, written = None, 0
    if started.rowcount:
        recipients = await recipients_select(session, audience)
        if recipients is not None:
            boundary, written = await write_chunk(session, run_id, recipients, has_en=has_en, after=None, size=size)
        await advance(session, run_id, boundary)
        if boundary is None:  # the whole outbox: counted as written
            await session.exec(update(runs).where(runs.c.id == run_id).values(targeted=written))
    await session.commit()


async def count_outbox(session: AsyncSession, run_id: int, audience: Audience) -> int:
    """Count the run's recipients into ``targeted`` (committed) unless every row is written by then
    (the rows are the count then); returns the count."""
    runs = CampaignRun.__table__  # type: ignore[attr-defined]  # as in ``advance``
    recipients = await recipients_select(session, audience)
    count = 0
    if recipients is not None:  # a query of its own: PostgreSQL counts in parallel (never in an UPDATE)
        count = (await session.exec(select(func.count()).select_from(recipients.subquery()))).one()
    await session.exec(update(runs).where(runs.c.id == run_id, runs.c.outbox_ready == false()).values(targeted=count))
    await session.commit()
    return count


async def extend_outbox(session: AsyncSession, run_id: int, audience: Audience, *, has_en: bool, size: int) -> bool:
    """Write the run's next chunk after its cursor and move the cursor, in one committed
    transaction; True when every row of the run is written (nothing more to do)."""
    cursor = (
        await session.exec(select(CampaignRun.outbox_after, CampaignRun.outbox_ready).where(CampaignRun.id == run_id))
    ).one()
    after, ready = cursor
    if ready:
        await session.commit()
        return True
    recipients = await recipients_select(session, audience)
    boundary = None
    if recipients is not None:
        boundary, _ = await write_chunk(session, run_id, recipients, has_en=has_en, after=after, size=size)
    await advance(session, run_id, boundary)
    await session.commit()
    return boundary is None
