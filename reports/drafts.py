"""Drafts of reports, kept in the database so a restart loses nothing; ``submit_draft`` turns one
into a report exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import SYSTEM, Clock, utcnow
from core.text import clean_tree
from core.upsert import upsert
from reports import geo
from reports.creation import create_report
from reports.models import (
    ReportDraft,
)
from reports.records import Created, NewReport, PhotoIn, ReportError, ReportErrorCode

# --------------------------------------------------------------------------------------------
# Drafts (survive a bot restart)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    user_id: int
    data: dict
    step: str
    updated_at: datetime


async def save_draft(
    session: AsyncSession, user_id: int, data: Mapping[str, Any], step: str, now: datetime | None = None
) -> Draft:
    """Create or replace the user's draft (``data`` must be JSON-serialisable; its strings are
    stored without the characters XML 1.0 forbids, like every free text)."""
    now = now or utcnow()
    payload = clean_tree(dict(data))
    await upsert(
        session, ReportDraft, {"user_id": user_id, "data": payload, "step": step, "updated_at": now}, key=["user_id"]
    )
    await session.commit()
    return Draft(user_id, payload, step, now)


async def load_draft(
    session: AsyncSession, user_id: int, *, max_age: timedelta | None = None, now: datetime | None = None
) -> Draft | None:
    """The user's draft, or None (also when older than ``max_age``)."""
    row = (
        await session.exec(
            select(ReportDraft).where(ReportDraft.user_id == user_id).execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    if max_age is not None and row.updated_at < (now or utcnow()) - max_age:
        return None
    return Draft(row.user_id, dict(row.data or {}), row.step, row.updated_at)


def photos_from_draft(data: Mapping[str, Any]) -> list[PhotoIn]:
    """The ``photos`` list a draft keeps: dicts with the ``PhotoIn`` fields."""
    try:
        return [PhotoIn(**dict(p)) for p in data.get("photos") or ()]
    except TypeError as error:
        raise ReportError(ReportErrorCode.PHOTOS, "malformed draft photos") from error


async def submit_draft(
    session: AsyncSession,
    user_id: int,
    *,
    daily_limit: int | None = None,
    router: geo.Router | None = None,
    now: datetime | None = None,
    clock: Clock = SYSTEM,
) -> Created:
    """Turn the user's saved draft into a report (see ``NewReport.from_draft`` for the keys, and
    ``photos``: a list of ``PhotoIn`` dicts, e.g. ``dataclasses.asdict(PhotoIn.of(stored, ...))``).

    Exactly once: two concurrent submissions of the same draft create one report; the other gets
    ``ReportError(NO_DRAFT)``. Raises ``ReportError`` for invalid data (the draft is kept then).
    """
    draft = await load_draft(session, user_id)
    await session.rollback()
    if draft is None:
        raise ReportError(ReportErrorCode.NO_DRAFT)
    new = NewReport.from_draft(draft.data)
    photos = photos_from_draft(draft.data)
    return await create_report(
        session,
        user_id,
        new,
        photos,
        daily_limit=daily_limit,
        router=router,
        draft_updated_at=draft.updated_at,
        now=now,
        clock=clock,
    )


async def clear_draft(session: AsyncSession, user_id: int) -> bool:
    result = await session.exec(delete(ReportDraft).where(col(ReportDraft.user_id) == user_id))
    await session.commit()
    return bool(result.rowcount)
