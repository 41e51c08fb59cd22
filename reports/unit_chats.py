"""The units' staff chats: binding one releases the posts that waited for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notifications as outbox
from core.clock import utcnow
from core.upsert import upsert
from reports import geo
from reports.models import (
    UnitChat,
)
from reports.reading import snapshot
from reports.records import ReportError, ReportErrorCode

# --------------------------------------------------------------------------------------------
# Staff group chats of the units
# --------------------------------------------------------------------------------------------


async def bind_unit_chat(
    session: AsyncSession, unit_code: str, chat_id: int, actor_id: int | None, now: datetime | None = None
) -> int | None:
    """Post ``unit_code``'s reports to ``chat_id`` from now on; returns the chat bound before (or None).

    The unit's reports that waited for a reachable chat are posted there (their outbox rows are
    released in this transaction)."""
    if not geo.is_valid_unit(unit_code):
        raise ReportError(ReportErrorCode.BAD_UNIT, unit_code)
    now = now or utcnow()
    previous = (await session.exec(select(UnitChat.chat_id).where(UnitChat.unit_code == unit_code))).first()
    await upsert(
        session,
        UnitChat,
        {"unit_code": unit_code, "chat_id": chat_id, "bound_by": actor_id, "bound_at": now},
        key=["unit_code"],
    )
    await outbox.release_unit(session, unit_code, now)
    await session.commit()
    return previous


@snapshot
async def unit_chat(session: AsyncSession, unit_code: str) -> int | None:
    return (await session.exec(select(UnitChat.chat_id).where(UnitChat.unit_code == unit_code))).first()


@snapshot
async def units_of_chat(session: AsyncSession, chat_id: int) -> list[str]:
    rows = await session.exec(
        select(UnitChat.unit_code).where(UnitChat.chat_id == chat_id).order_by(UnitChat.unit_code)
    )
    return list(rows.all())


async def unbind_chat(session: AsyncSession, chat_id: int, unit_code: str | None = None) -> int:
    stmt = delete(UnitChat).where(col(UnitChat.chat_id) == chat_id)
    if unit_code is not None:
        stmt = stmt.where(col(UnitChat.unit_code) == unit_code)
    result = await session.exec(stmt)
    await session.commit()
    return result.rowcount
