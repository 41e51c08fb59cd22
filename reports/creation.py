"""Creating a report: validated, routed and stored with its photos, first event and outbox rows
(the unit's post, the reporter's receipt) in one transaction; the daily quota."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notifications as outbox
from core.clock import SYSTEM, Clock
from core.notifications import report_lane, user_lane
from reports import geo
from reports.models import (
    Amount,
    Channel,
    EventKind,
    LocationSource,
    PhotoKind,
    Report,
    ReportDraft,
    ReportEvent,
    ReportStatus,
    WasteType,
)
from reports.reading import snapshot
from reports.records import (
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    MIN_PHOTOS,
    Created,
    EventInfo,
    Kind,
    NewReport,
    PhotoIn,
    ReportError,
    ReportErrorCode,
    ReportInfo,
    _clean_text,
    _enum,
)

# --------------------------------------------------------------------------------------------
# Creation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quota:
    used: int
    limit: int | None

    @property
    def allowed(self) -> bool:
        return self.limit is None or self.used < self.limit

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


async def _quota(
    session: AsyncSession, user_id: int, limit: int | None, now: datetime | None = None, *, clock: Clock = SYSTEM
) -> Quota:
    """Reports ``user_id`` made today (the calendar day of ``clock``'s zone, WUFEI_TIMEZONE) against
    ``limit`` (None = no limit)."""
    now = now or clock()
    used = (
        await session.exec(
            select(func.count())
            .select_from(Report)
            .where(Report.reporter_id == user_id, Report.created_at >= clock.day_start(now))
        )
    ).one()
    return Quota(int(used), limit)


daily_quota = snapshot(_quota)


def _ticket(report_id: int, created_at: datetime, clock: Clock) -> str:
    return f"JY-{clock.year(created_at)}-{report_id:06d}"


def _validated(
    new: NewReport, reporter_id: int | None, channel: Channel, router: geo.Router | None, now: datetime
) -> Report:
    """The row of a new report, its text cleaned, checked and routed; ``ReportError`` otherwise."""
    source = _enum(LocationSource, new.location_source, ReportErrorCode.BAD_SOURCE)
    waste = _enum(WasteType, new.waste_type, ReportErrorCode.BAD_WASTE_TYPE)
    amount = _enum(Amount, new.amount, ReportErrorCode.BAD_AMOUNT) if new.amount is not None else None
    if amount is None and channel == Channel.TELEGRAM:
        raise ReportError(ReportErrorCode.BAD_AMOUNT, "missing")
    description = _clean_text(new.description)
    if description and len(description) > MAX_DESCRIPTION:
        raise ReportError(ReportErrorCode.DESCRIPTION_TOO_LONG)
    address = _clean_text(new.address)
    if address and len(address) > MAX_ADDRESS:
        raise ReportError(ReportErrorCode.ADDRESS_TOO_LONG)
    plate = _clean_text(new.plate)
    if plate:
        plate = "".join(plate.split()).upper()
        if len(plate) > 16:
            raise ReportError(ReportErrorCode.PLATE_TOO_LONG)
    if not (-90 <= new.lat <= 90 and -180 <= new.lon <= 180):
        raise ReportError(ReportErrorCode.BAD_LOCATION)
    if not geo.inside_jiangyin(new.lat, new.lon):
        raise ReportError(ReportErrorCode.OUTSIDE_AREA)
    if new.unit_code is not None:
        if not geo.is_valid_unit(new.unit_code):
            raise ReportError(ReportErrorCode.BAD_UNIT, new.unit_code)
        unit_code = new.unit_code
    else:
        unit_code = router.route(new.lat, new.lon).unit_code if router else geo.route(new.lat, new.lon)
    return Report(
        ticket=f"tmp-{uuid.uuid4().hex[:24]}",
        channel=channel.value,
        reporter_id=reporter_id,
        anonymous=new.anonymous,
        lat=new.lat,
        lon=new.lon,
        location_source=source.value,
        address=address,
        unit_code=unit_code,
        waste_type=waste.value,
        amount=amount.value if amount else None,
        witnessed=new.witnessed,
        plate=plate,
        description=description,
        status=ReportStatus.SUBMITTED.value,
        created_at=now,
        updated_at=now,
        assigned_at=now,
        version=1,
    )


async def create_report(
    session: AsyncSession,
    reporter_id: int | None,
    new: NewReport,
    photos: Sequence[PhotoIn] = (),
    *,
    daily_limit: int | None = None,
    channel: Channel = Channel.TELEGRAM,
    router: geo.Router | None = None,
    min_photos: int = MIN_PHOTOS,
    max_photos: int = MAX_PHOTOS,
    clear_draft: bool = True,
    draft_updated_at: datetime | None = None,
    now: datetime | None = None,
    clock: Clock = SYSTEM,
) -> Created:
    """Validate, route and store a report with its photos and first event in one transaction.

    Raises ``ReportError`` (nothing stored) for invalid data, a point outside Jiangyin, a photo count
    outside ``min_photos..max_photos`` or the daily limit. The reporter's draft is cleared in the
    same transaction. Ticket: ``JY-<year in clock's zone>-<id, 6 digits>``; ``now`` defaults to
    ``clock()``, and the daily limit counts the calendar day of ``clock``'s zone.

    ``draft_updated_at`` (used by ``submit_draft``): the report is stored only if the reporter's
    draft still has this stamp and is deleted by this very transaction; otherwise
    ``ReportError(NO_DRAFT)``. That makes a double tap on "confirm" create one report.
    """
    now = now or clock()
    row = _validated(new, reporter_id, channel, router, now)
    if not (min_photos <= len(photos) <= max_photos):
        raise ReportError(ReportErrorCode.PHOTOS, str(len(photos)))
    if reporter_id is not None and daily_limit is not None:
        quota = await _quota(session, reporter_id, daily_limit, now, clock=clock)
        if not quota.allowed:
            raise ReportError(ReportErrorCode.DAILY_LIMIT, str(quota.used))
    unit_code = row.unit_code
    try:
        if draft_updated_at is not None and reporter_id is not None:
            # First statement of the write: the loser of a double tap waits here, then finds nothing.
            taken = await session.exec(
                delete(ReportDraft).where(
                    col(ReportDraft.user_id) == reporter_id, col(ReportDraft.updated_at) == draft_updated_at
                )
            )
            if taken.rowcount != 1:
                raise ReportError(ReportErrorCode.NO_DRAFT)
        session.add(row)
        await session.flush()
        row.ticket = _ticket(row.id, now, clock)
        photo_rows = [p.row(row.id, PhotoKind.BEFORE, i, now) for i, p in enumerate(photos)]
        session.add_all(photo_rows)
        event = ReportEvent(
            report_id=row.id,
            actor_id=reporter_id,
            at=now,
            kind=EventKind.CREATED.value,
            old_status=None,
            new_status=ReportStatus.SUBMITTED.value,
            details={"unit": unit_code, "channel": channel.value},
        )
        session.add(event)
        if clear_draft and reporter_id is not None:
            await session.exec(delete(ReportDraft).where(col(ReportDraft.user_id) == reporter_id))
        outbox.enqueue(session, Kind.POST, lane=report_lane(row.id), report_id=row.id, unit_code=unit_code, now=now)
        if reporter_id is not None and channel == Channel.TELEGRAM:
            outbox.enqueue(
                session, Kind.RECEIVED, lane=user_lane(reporter_id), chat_id=reporter_id, report_id=row.id, now=now
            )
        await session.flush()
        info = ReportInfo.of(row, photo_rows)
        event_info = EventInfo.of(event)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return Created(info.ticket, info, event_info)
