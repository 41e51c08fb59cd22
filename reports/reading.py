"""Reading reports: one by id or ticket, a person's, a unit's queue, open ones nearby, the
followers; plain ``ReportInfo`` snapshots, each read in its own short transaction."""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import utcnow
from core.upsert import insert_or_ignore
from reports import geo, queries
from reports.models import (
    OPEN_STATUSES,
    Report,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    ReportStatus,
)
from reports.records import PHOTO_FIELDS, REPORT_FIELDS, EventInfo, PhotoInfo, ReportInfo, photo_infos

T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def snapshot(read: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """A public reader returns plain data and ends its read transaction itself, so its caller holds
    no transaction open while it talks to Telegram (and never has to roll back by hand)."""

    @functools.wraps(read)
    async def reader(session: AsyncSession, *args: Any, **kwargs: Any) -> T:
        try:
            return await read(session, *args, **kwargs)
        finally:
            await session.rollback()

    return reader


async def _row(session: AsyncSession, report_id: int) -> Report | None:
    return (
        await session.exec(select(Report).where(Report.id == report_id).execution_options(populate_existing=True))
    ).first()


async def _read(session: AsyncSession, report_id: int) -> ReportInfo | None:
    """A plain snapshot of the report (without photos); ends the read transaction."""
    row = await _row(session, report_id)
    info = ReportInfo.of(row) if row is not None else None
    await session.rollback()
    return info


async def infos_of(session: AsyncSession, rows: Sequence[Report]) -> list[ReportInfo]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    photos = (await session.exec(select(ReportPhoto).where(col(ReportPhoto.report_id).in_(ids)))).all()
    by_report: dict[int, list[ReportPhoto]] = {}
    for photo in photos:
        by_report.setdefault(photo.report_id, []).append(photo)
    return [ReportInfo.of(r, by_report.get(r.id, ())) for r in rows]


# A listing reads Core rows of these columns, not ORM entities: it only reads, and a row's values
# in the fields' order cost a few microseconds to turn into a ``ReportInfo`` (``of_values``).
_REPORTS, _PHOTOS = Report.__table__, ReportPhoto.__table__  # type: ignore[attr-defined]
_REPORT_COLUMNS = tuple(_REPORTS.c[name] for name in REPORT_FIELDS)
_PHOTO_COLUMNS = (*(_PHOTOS.c[name] for name in PHOTO_FIELDS), _PHOTOS.c.report_id)


@functools.cache
def _by_ids(photos: bool, dialect: str) -> Any:
    """The select of reports (or their photos) by id, built once per database: statements built
    anew per call cost SQLAlchemy a cache key of every column each time."""
    if photos:
        return select(*_PHOTO_COLUMNS).where(queries.one_of(_PHOTOS.c.report_id, dialect))
    return select(*_REPORT_COLUMNS).where(queries.one_of(_REPORTS.c.id, dialect))


async def _photos_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[PhotoInfo, ...]]:
    if not ids:
        return {}
    stmt = _by_ids(True, session.get_bind().dialect.name)
    return photo_infos((await session.exec(stmt, params={"ids": list(ids)})).all())


async def _infos(session: AsyncSession, rows: Sequence[Sequence[Any]]) -> list[ReportInfo]:
    """``ReportInfo`` of Core rows of ``_REPORT_COLUMNS``, with their photos."""
    photos = await _photos_of(session, [r[0] for r in rows])
    return [ReportInfo.of_values(r, photos.get(r[0], ())) for r in rows]


async def infos_in_order(session: AsyncSession, ids: Sequence[int]) -> list[ReportInfo]:
    """The reports of ``ids`` (a page of ``queries.page_ids``) with their photos, in that order."""
    if not ids:
        return []
    stmt = _by_ids(False, session.get_bind().dialect.name)
    by_id = {r[0]: r for r in (await session.exec(stmt, params={"ids": list(ids)})).all()}
    photos = await _photos_of(session, ids)
    return [ReportInfo.of_values(by_id[i], photos.get(i, ())) for i in ids if i in by_id]


def parse_ref(ref: int | str) -> tuple[int | None, str | None]:
    """An id or a ticket (``JY-2026-000123``, any case and spacing)."""
    if isinstance(ref, int):
        return ref, None
    text = "".join(ref.split()).upper()
    if text.isdigit():
        return int(text), None
    return None, text


@snapshot
async def get(session: AsyncSession, ref: int | str) -> ReportInfo | None:
    """A report (with photos) by id or ticket."""
    report_id, ticket = parse_ref(ref)
    stmt = select(Report).execution_options(populate_existing=True)
    stmt = stmt.where(Report.id == report_id) if report_id is not None else stmt.where(Report.ticket == ticket)
    row = (await session.exec(stmt)).first()
    if row is None:
        return None
    return (await infos_of(session, [row]))[0]


@snapshot
async def event(session: AsyncSession, event_id: int) -> EventInfo | None:
    row = await session.get(ReportEvent, event_id)
    return EventInfo.of(row) if row else None


@snapshot
async def events(session: AsyncSession, report_id: int) -> list[EventInfo]:
    rows = (
        await session.exec(
            select(ReportEvent)
            .where(col(ReportEvent.report_id) == report_id)
            .order_by(col(ReportEvent.at), col(ReportEvent.id))
        )
    ).all()
    return [EventInfo.of(r) for r in rows]


@snapshot
async def my_reports(
    session: AsyncSession, user_id: int, *, limit: int = 20, offset: int = 0, include_followed: bool = False
) -> list[ReportInfo]:
    """The user's reports (and, optionally, the ones they follow), newest first."""
    condition = col(Report.reporter_id) == user_id
    if include_followed:
        followed = select(ReportFollower.report_id).where(ReportFollower.user_id == user_id)
        condition = or_(condition, col(Report.id).in_(followed))
    rows = (
        await session.exec(
            select(*_REPORT_COLUMNS)
            .where(condition)
            .order_by(col(Report.created_at).desc(), col(Report.id).desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return await _infos(session, rows)


@snapshot
async def list_by(
    session: AsyncSession,
    unit_code: str | None = None,
    status: ReportStatus | str | Iterable[ReportStatus | str] | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    newest_first: bool = False,
) -> list[ReportInfo]:
    """A unit's queue: filter by unit and status(es); oldest first unless ``newest_first``.
    Paged in SQL along the (unit, status, created_at) indexes (``reports.queries``)."""
    where = [Report.unit_code == unit_code] if unit_code is not None else []
    statuses = None
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
    elif unit_code is not None:
        statuses = list(ReportStatus)  # one index range per status beats sorting the unit's rows
    ids = await queries.page_ids(
        session, where, queries.branches(statuses), limit=limit, offset=offset, newest_first=newest_first
    )
    return await infos_in_order(session, ids)


@dataclass(frozen=True, slots=True)
class Nearby:
    report: ReportInfo
    distance_m: float


@snapshot
async def nearby_open_reports(
    session: AsyncSession,
    lat: float,
    lon: float,
    radius_m: float = 250,
    days: int = 7,
    *,
    now: datetime | None = None,
) -> list[Nearby]:
    """Open reports created in the last ``days`` within ``radius_m``, nearest first (duplicate hint)."""
    now = now or utcnow()

    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    rows = (
        await session.exec(
            select(*_REPORT_COLUMNS).where(
                col(Report.status).in_([s.value for s in OPEN_STATUSES]),
                Report.created_at >= now - timedelta(days=days),
                col(Report.lat).between(lat - dlat, lat + dlat),
                col(Report.lon).between(lon - dlon, lon + dlon),
            )
        )
    ).all()
    pairs = [(r, geo.distance_m(lat, lon, r.lat, r.lon)) for r in rows]
    pairs = sorted((p for p in pairs if p[1] <= radius_m), key=lambda p: p[1])
    infos = await _infos(session, [r for r, _ in pairs])
    return [Nearby(info, dist) for info, (_, dist) in zip(infos, pairs, strict=True)]


# --------------------------------------------------------------------------------------------
# Followers
# --------------------------------------------------------------------------------------------


class FollowResult(StrEnum):
    FOLLOWING = "following"  # newly following
    ALREADY = "already"
    OWN_REPORT = "own_report"  # the reporter hears of every change anyway
    NOT_FOUND = "not_found"


async def follow(session: AsyncSession, report_id: int, user_id: int, now: datetime | None = None) -> FollowResult:
    row = await _row(session, report_id)
    if row is None:
        return FollowResult.NOT_FOUND
    if row.reporter_id == user_id:
        return FollowResult.OWN_REPORT
    inserted = await insert_or_ignore(
        session,
        ReportFollower,
        {"report_id": report_id, "user_id": user_id, "since": now or utcnow()},
        key=["report_id", "user_id"],
    )
    await session.commit()
    return FollowResult.FOLLOWING if inserted == 1 else FollowResult.ALREADY


async def unfollow(session: AsyncSession, report_id: int, user_id: int) -> bool:
    result = await session.exec(
        delete(ReportFollower).where(col(ReportFollower.report_id) == report_id, col(ReportFollower.user_id) == user_id)
    )
    await session.commit()
    return bool(result.rowcount)


async def _followers(session: AsyncSession, report_id: int) -> list[int]:
    rows = (
        await session.exec(
            select(col(ReportFollower.user_id))
            .where(col(ReportFollower.report_id) == report_id)
            .order_by(col(ReportFollower.id))
        )
    ).all()
    return list(rows)


async def _recipients(session: AsyncSession, row: Report, actor_id: int | None) -> tuple[int, ...]:
    people: list[int] = []
    if row.reporter_id is not None:
        people.append(row.reporter_id)
    people.extend(await _followers(session, row.id))
    return tuple(p for p in dict.fromkeys(people) if p != actor_id)  # in order, each once


followers = snapshot(_followers)
