"""Dumping reports as services over an ``AsyncSession``: create, route, state machine, queries,
reminders and drafts. Every service commits its own work and returns plain dataclasses.

State machine (``TRANSITIONS``)::

    submitted   -> accepted | rejected
    accepted    -> in_progress | resolved | rejected     (a quick clean-up may skip in_progress)
    in_progress -> resolved | rejected
    resolved    -> accepted      reopen: the unit already owns it, so it goes straight back to work
                                 (the reporter answering "not clean" to the follow-up does this)
    rejected    -> submitted     reopen: the rejection is revisited, the unit must accept it anew

Who may press what (unit handler of the report's unit, admin, the reporter for the follow-up) is
the caller's business (the bot checks roles); this module guards the state.

Concurrency: every change is a compare-and-set ``UPDATE reports SET ..., version = version + 1
WHERE id = :id AND version = :read_version AND status = :read_status``. When two handlers press at
once, exactly one UPDATE matches; the other gets ``Conflict(current_status, version)`` and nothing
is written for it. Buttons should carry the status they were drawn for (``expected_status``).
Bookkeeping that is not a state change (staff message ids, reminder stamps) does not bump
``version``, so it never invalidates a button.

Notifications: every change writes, in its own transaction, the messages it owes people to the
outbox (``core/notifications.py``; kinds in ``Kind``): the unit's staff post of a new report, the
card refresh and a status message to the reporter and each follower (``Changed.notify``: minus the
actor), reminders. The bot's worker renders and sends them; nothing here talks to Telegram.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notifications as outbox
from core.clock import SYSTEM, Clock, utcnow
from core.notifications import admins_lane, report_lane, user_lane
from core.text import clean, clean_tree
from core.upsert import insert_or_ignore, upsert
from reports import geo, queries
from reports.models import (
    OPEN_STATUSES,
    Amount,
    Channel,
    EventKind,
    FollowupAnswer,
    LocationSource,
    PhotoKind,
    RejectReason,
    Report,
    ReportDraft,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    ReportStatus,
    UnitChat,
    WasteType,
)
from reports.queries import Stats, stats  # noqa: F401  (the service's public API)

MAX_DESCRIPTION = 500
MAX_ADDRESS = 500  # the column holds 512
MAX_COMMENT = 1000  # the column's size; a Telegram message may hold 4096 characters


class Kind(StrEnum):
    """What the reports feature puts in the outbox (the bot renders each kind)."""

    POST = "report.post"  # album, pin and card with buttons to the unit's staff chat
    RECEIVED = "report.received"  # to the reporter: stored, ticket JY-...
    PLACED = "report.placed"  # to the reporter: the card is in the unit's chat (written by the bot)
    REFRESH = "report.refresh"  # edit the staff card(s) after a change
    NOTICE = "report.notice"  # to the reporter / a follower: what changed
    ALERT = "report.alert"  # to the unit's chat: the reporter says it is not clean
    REMIND = "report.remind"  # to the unit's chat: not accepted for a day
    ESCALATE = "report.escalate"  # to the admins: open for a week
    FOLLOWUP = "report.followup"  # to the reporter: is it clean now?
    UNREACHABLE = "report.unreachable"  # to the admins: the unit has no reachable staff chat


MIN_PHOTOS, MAX_PHOTOS = 1, 5

TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.SUBMITTED: frozenset({ReportStatus.ACCEPTED, ReportStatus.REJECTED}),
    ReportStatus.ACCEPTED: frozenset({ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.REJECTED}),
    ReportStatus.IN_PROGRESS: frozenset({ReportStatus.RESOLVED, ReportStatus.REJECTED}),
    ReportStatus.RESOLVED: frozenset({ReportStatus.ACCEPTED}),
    ReportStatus.REJECTED: frozenset({ReportStatus.SUBMITTED}),
}


def allowed_transitions(status: ReportStatus | str) -> frozenset[ReportStatus]:
    """What buttons to draw for a report in ``status``."""
    return TRANSITIONS[ReportStatus(status)]


# --------------------------------------------------------------------------------------------
# Plain data handed to callers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotoIn:
    """A photo to attach: the ``MediaStore`` result plus Telegram's ids."""

    sha256: str
    original_path: str
    public_path: str
    width: int
    height: int
    file_id: str | None = None
    file_unique_id: str | None = None

    @classmethod
    def of(cls, stored: Any, file_id: str | None = None, file_unique_id: str | None = None) -> PhotoIn:
        """From a ``reports.media.StoredMedia``."""
        return cls(stored.sha256, stored.original_path, stored.public_path, stored.width, stored.height,
                   file_id, file_unique_id)


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    id: int
    sha256: str
    original_path: str
    public_path: str
    file_id: str | None
    file_unique_id: str | None
    width: int
    height: int
    kind: PhotoKind
    position: int

    @classmethod
    def of(cls, row: ReportPhoto) -> PhotoInfo:
        return cls(row.id, row.sha256, row.original_path, row.public_path, row.file_id, row.file_unique_id,
                   row.width, row.height, PhotoKind(row.kind), row.position)


@dataclass(frozen=True, slots=True)
class ReportInfo:
    id: int
    ticket: str
    channel: Channel
    reporter_id: int | None
    anonymous: bool
    lat: float
    lon: float
    location_source: LocationSource
    address: str | None
    unit_code: str
    waste_type: WasteType
    amount: Amount | None
    witnessed: bool
    plate: str | None
    description: str | None
    status: ReportStatus
    reject_reason: RejectReason | None
    staff_chat_id: int | None
    staff_message_id: int | None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    unit_reminded_at: datetime | None
    escalated_at: datetime | None
    followup_asked_at: datetime | None
    followup_answer: FollowupAnswer | None
    version: int
    photos: tuple[PhotoInfo, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def next_statuses(self) -> frozenset[ReportStatus]:
        return TRANSITIONS[self.status]

    @classmethod
    def of(cls, row: Report, photos: Iterable[ReportPhoto] = ()) -> ReportInfo:
        return cls(
            id=row.id, ticket=row.ticket, channel=Channel(row.channel), reporter_id=row.reporter_id,
            anonymous=row.anonymous, lat=row.lat, lon=row.lon,
            location_source=LocationSource(row.location_source), address=row.address,
            unit_code=row.unit_code, waste_type=WasteType(row.waste_type),
            amount=Amount(row.amount) if row.amount else None, witnessed=row.witnessed, plate=row.plate,
            description=row.description, status=ReportStatus(row.status),
            reject_reason=RejectReason(row.reject_reason) if row.reject_reason else None,
            staff_chat_id=row.staff_chat_id, staff_message_id=row.staff_message_id,
            created_at=row.created_at, updated_at=row.updated_at, assigned_at=row.assigned_at,
            accepted_at=row.accepted_at, resolved_at=row.resolved_at,
            unit_reminded_at=row.unit_reminded_at, escalated_at=row.escalated_at,
            followup_asked_at=row.followup_asked_at,
            followup_answer=FollowupAnswer(row.followup_answer) if row.followup_answer else None,
            version=row.version,
            photos=tuple(PhotoInfo.of(p) for p in sorted(photos, key=lambda p: (p.kind != "before", p.position, p.id))),
        )


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    report_id: int
    actor_id: int | None
    at: datetime
    kind: EventKind
    old_status: ReportStatus | None
    new_status: ReportStatus | None
    comment: str | None
    details: dict | None

    @classmethod
    def of(cls, row: ReportEvent) -> EventInfo:
        return cls(row.id, row.report_id, row.actor_id, row.at, EventKind(row.kind),
                   ReportStatus(row.old_status) if row.old_status else None,
                   ReportStatus(row.new_status) if row.new_status else None, row.comment, row.details)


@dataclass(frozen=True, slots=True)
class Created:
    ticket: str
    report: ReportInfo
    event: EventInfo


@dataclass(frozen=True, slots=True)
class Changed:
    report: ReportInfo  # after the change
    event: EventInfo
    notify: tuple[int, ...]  # reporter + followers, without the actor


@dataclass(frozen=True, slots=True)
class Conflict:
    """Someone else changed the report first (or the button was stale); nothing was written."""

    current_status: ReportStatus
    version: int


@dataclass(frozen=True, slots=True)
class NotAllowed:
    current_status: ReportStatus
    reason: str  # "transition", "reason_required", "bad_unit", "same_unit", "closed", "not_reporter"


@dataclass(frozen=True, slots=True)
class NotFound:
    pass


Outcome = Changed | Conflict | NotAllowed | NotFound


class ReportErrorCode(StrEnum):
    OUTSIDE_AREA = "outside_area"
    BAD_LOCATION = "bad_location"
    BAD_WASTE_TYPE = "bad_waste_type"
    BAD_AMOUNT = "bad_amount"
    BAD_SOURCE = "bad_source"
    DESCRIPTION_TOO_LONG = "description_too_long"
    ADDRESS_TOO_LONG = "address_too_long"
    PLATE_TOO_LONG = "plate_too_long"
    PHOTOS = "photos"
    BAD_UNIT = "bad_unit"
    DAILY_LIMIT = "daily_limit"
    NO_DRAFT = "no_draft"  # nothing to submit: no draft, or it was just submitted (double tap)


class ReportError(ValueError):
    def __init__(self, code: ReportErrorCode, detail: str | None = None) -> None:
        super().__init__(code.value if detail is None else f"{code.value}: {detail}")
        self.code = code


@dataclass(slots=True)
class NewReport:
    """What the citizen confirmed. ``unit_code`` None = route automatically."""

    lat: float
    lon: float
    location_source: LocationSource | str
    waste_type: WasteType | str
    amount: Amount | str | None = None
    witnessed: bool = False
    plate: str | None = None
    description: str | None = None
    address: str | None = None
    anonymous: bool = True
    unit_code: str | None = None

    @classmethod
    def from_draft(cls, data: Mapping[str, Any]) -> NewReport:
        """From the JSON a draft keeps (same keys as the fields); raises ``ReportError``."""
        try:
            lat, lon = float(data["lat"]), float(data["lon"])
        except (KeyError, TypeError, ValueError) as error:
            raise ReportError(ReportErrorCode.BAD_LOCATION) from error
        if "waste_type" not in data:
            raise ReportError(ReportErrorCode.BAD_WASTE_TYPE)
        return cls(
            lat=lat, lon=lon, location_source=data.get("location_source", LocationSource.TELEGRAM),
            waste_type=data["waste_type"], amount=data.get("amount"),
            witnessed=bool(data.get("witnessed", False)), plate=data.get("plate"),
            description=data.get("description"), address=data.get("address"),
            anonymous=bool(data.get("anonymous", True)), unit_code=data.get("unit_code"),
        )


def _enum(kind: type[StrEnum], value: Any, code: ReportErrorCode) -> Any:
    try:
        return kind(value)
    except ValueError as error:
        raise ReportError(code, str(value)) from error


def _clean_text(value: str | None) -> str | None:
    """Free text at the door: without the characters XML 1.0 forbids (``core.text``), trimmed."""
    return clean(value)


def _comment(value: str | None) -> str | None:
    """A comment on a change: cleaned, and cut to ``MAX_COMMENT`` characters (ending in "…")
    rather than refusing the change it explains."""
    value = clean(value)
    if value is not None and len(value) > MAX_COMMENT:
        value = value[:MAX_COMMENT - 1].rstrip() + "…"
    return value


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


async def daily_quota(session: AsyncSession, user_id: int, limit: int | None, now: datetime | None = None,
                      *, clock: Clock = SYSTEM) -> Quota:
    """Reports ``user_id`` made today (the calendar day of ``clock``'s zone, WUFEI_TIMEZONE) against
    ``limit`` (None = no limit)."""
    now = now or clock()
    used = (
        await session.exec(
            select(func.count()).select_from(Report).where(
                Report.reporter_id == user_id, Report.created_at >= clock.day_start(now)
            )
        )
    ).one()
    return Quota(int(used), limit)


def _ticket(report_id: int, created_at: datetime, clock: Clock) -> str:
    return f"JY-{clock.year(created_at)}-{report_id:06d}"


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
    if not (min_photos <= len(photos) <= max_photos):
        raise ReportError(ReportErrorCode.PHOTOS, str(len(photos)))
    if new.unit_code is not None:
        if not geo.is_valid_unit(new.unit_code):
            raise ReportError(ReportErrorCode.BAD_UNIT, new.unit_code)
        unit_code = new.unit_code
    else:
        unit_code = router.route(new.lat, new.lon).unit_code if router else geo.route(new.lat, new.lon)
    if reporter_id is not None and daily_limit is not None:
        quota = await daily_quota(session, reporter_id, daily_limit, now, clock=clock)
        if not quota.allowed:
            raise ReportError(ReportErrorCode.DAILY_LIMIT, str(quota.used))

    row = Report(
        ticket=f"tmp-{uuid.uuid4().hex[:24]}", channel=channel.value, reporter_id=reporter_id,
        anonymous=new.anonymous, lat=new.lat, lon=new.lon, location_source=source.value,
        address=address, unit_code=unit_code, waste_type=waste.value,
        amount=amount.value if amount else None, witnessed=new.witnessed, plate=plate,
        description=description, status=ReportStatus.SUBMITTED.value, created_at=now, updated_at=now,
        assigned_at=now, version=1,
    )
    try:
        if draft_updated_at is not None and reporter_id is not None:
            # First statement of the write: the loser of a double tap waits here, then finds nothing.
            taken = await session.exec(
                delete(ReportDraft).where(ReportDraft.user_id == reporter_id,
                                          ReportDraft.updated_at == draft_updated_at)
            )
            if taken.rowcount != 1:
                raise ReportError(ReportErrorCode.NO_DRAFT)
        session.add(row)
        await session.flush()
        row.ticket = _ticket(row.id, now, clock)
        photo_rows = [
            ReportPhoto(report_id=row.id, sha256=p.sha256, original_path=p.original_path,
                        public_path=p.public_path, file_id=p.file_id, file_unique_id=p.file_unique_id,
                        width=p.width, height=p.height, kind=PhotoKind.BEFORE.value, position=i, added_at=now)
            for i, p in enumerate(photos)
        ]
        session.add_all(photo_rows)
        event = ReportEvent(report_id=row.id, actor_id=reporter_id, at=now, kind=EventKind.CREATED.value,
                            old_status=None, new_status=ReportStatus.SUBMITTED.value,
                            details={"unit": unit_code, "channel": channel.value})
        session.add(event)
        if clear_draft and reporter_id is not None:
            await session.exec(delete(ReportDraft).where(ReportDraft.user_id == reporter_id))
        outbox.enqueue(session, Kind.POST, lane=report_lane(row.id), report_id=row.id, unit_code=unit_code,
                       now=now)
        if reporter_id is not None and channel == Channel.TELEGRAM:
            outbox.enqueue(session, Kind.RECEIVED, lane=user_lane(reporter_id), chat_id=reporter_id,
                           report_id=row.id, now=now)
        await session.flush()
        info = ReportInfo.of(row, photo_rows)
        event_info = EventInfo.of(event)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return Created(info.ticket, info, event_info)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


async def _row(session: AsyncSession, report_id: int) -> Report | None:
    return (
        await session.exec(
            select(Report).where(Report.id == report_id).execution_options(populate_existing=True)
        )
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


def parse_ref(ref: int | str) -> tuple[int | None, str | None]:
    """An id or a ticket (``JY-2026-000123``, any case and spacing)."""
    if isinstance(ref, int):
        return ref, None
    text = "".join(ref.split()).upper()
    if text.isdigit():
        return int(text), None
    return None, text


async def get(session: AsyncSession, ref: int | str) -> ReportInfo | None:
    """A report (with photos) by id or ticket."""
    report_id, ticket = parse_ref(ref)
    stmt = select(Report).execution_options(populate_existing=True)
    stmt = stmt.where(Report.id == report_id) if report_id is not None else stmt.where(Report.ticket == ticket)
    row = (await session.exec(stmt)).first()
    if row is None:
        return None
    return (await infos_of(session, [row]))[0]


async def event(session: AsyncSession, event_id: int) -> EventInfo | None:
    row = await session.get(ReportEvent, event_id)
    return EventInfo.of(row) if row else None


async def events(session: AsyncSession, report_id: int) -> list[EventInfo]:
    rows = (
        await session.exec(
            select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.at, ReportEvent.id)
        )
    ).all()
    return [EventInfo.of(r) for r in rows]


async def my_reports(
    session: AsyncSession, user_id: int, *, limit: int = 20, offset: int = 0, include_followed: bool = False
) -> list[ReportInfo]:
    """The user's reports (and, optionally, the ones they follow), newest first."""
    condition = Report.reporter_id == user_id
    if include_followed:
        followed = select(ReportFollower.report_id).where(ReportFollower.user_id == user_id)
        condition = or_(condition, col(Report.id).in_(followed))
    rows = (
        await session.exec(
            select(Report).where(condition).order_by(col(Report.created_at).desc(), col(Report.id).desc())
            .limit(limit).offset(offset)
        )
    ).all()
    return await infos_of(session, rows)


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
    ids = await queries.page_ids(session, where, queries.branches(statuses), limit=limit, offset=offset,
                                 newest_first=newest_first)
    return await infos_of(session, await queries.rows_in_order(session, ids))


@dataclass(frozen=True, slots=True)
class Nearby:
    report: ReportInfo
    distance_m: float


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
            select(Report).where(
                col(Report.status).in_([s.value for s in OPEN_STATUSES]),
                Report.created_at >= now - timedelta(days=days),
                Report.lat.between(lat - dlat, lat + dlat),
                Report.lon.between(lon - dlon, lon + dlon),
            )
        )
    ).all()
    pairs = [(r, geo.distance_m(lat, lon, r.lat, r.lon)) for r in rows]
    pairs = sorted((p for p in pairs if p[1] <= radius_m), key=lambda p: p[1])
    infos = await infos_of(session, [r for r, _ in pairs])
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
    inserted = await insert_or_ignore(session, ReportFollower,
                                      {"report_id": report_id, "user_id": user_id, "since": now or utcnow()},
                                      key=["report_id", "user_id"])
    await session.commit()
    return FollowResult.FOLLOWING if inserted == 1 else FollowResult.ALREADY


async def unfollow(session: AsyncSession, report_id: int, user_id: int) -> bool:
    result = await session.exec(
        delete(ReportFollower).where(ReportFollower.report_id == report_id, ReportFollower.user_id == user_id)
    )
    await session.commit()
    return bool(result.rowcount)


async def followers(session: AsyncSession, report_id: int) -> list[int]:
    rows = (
        await session.exec(
            select(ReportFollower.user_id).where(ReportFollower.report_id == report_id).order_by(ReportFollower.id)
        )
    ).all()
    return list(rows)


async def _recipients(session: AsyncSession, row: Report, actor_id: int | None) -> tuple[int, ...]:
    people: list[int] = []
    if row.reporter_id is not None:
        people.append(row.reporter_id)
    people.extend(await followers(session, row.id))
    seen: set[int] = set()
    return tuple(p for p in people if p != actor_id and not (p in seen or seen.add(p)))


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
            .where(Report.id == report_id, Report.version == read_version, Report.status == read_status)
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
                    select(func.count()).select_from(ReportPhoto).where(
                        ReportPhoto.report_id == report_id, ReportPhoto.kind == photo_kind.value
                    )
                )
            ).one()
            session.add_all(
                ReportPhoto(report_id=report_id, sha256=p.sha256, original_path=p.original_path,
                            public_path=p.public_path, file_id=p.file_id, file_unique_id=p.file_unique_id,
                            width=p.width, height=p.height, kind=photo_kind.value, position=start + i,
                            added_at=now or utcnow())
                for i, p in enumerate(photos)
            )
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


def _owe(session: AsyncSession, row: Report, event: ReportEvent, notify: Sequence[int],
         now: datetime | None) -> None:
    """The outbox rows of a change (in its transaction): the staff card(s), and the people."""
    lane, ref = report_lane(row.id), {"event": event.id}
    if event.kind == EventKind.REASSIGN.value:
        details = event.details or {}
        if details.get("old_staff_chat_id") and details.get("old_staff_message_id"):
            outbox.enqueue(session, Kind.REFRESH, lane=lane, report_id=row.id, now=now, payload={
                **ref, "chat": details["old_staff_chat_id"], "message": details["old_staff_message_id"],
                "final": True})
        outbox.enqueue(session, Kind.POST, lane=lane, report_id=row.id, unit_code=row.unit_code, payload=ref,
                       now=now)
    else:
        outbox.enqueue(session, Kind.REFRESH, lane=lane, report_id=row.id, payload=ref, now=now)
    if event.kind == EventKind.FOLLOW.value and (event.details or {}).get("answer") == FollowupAnswer.NOT_CLEAN:
        outbox.enqueue(session, Kind.ALERT, lane=lane, report_id=row.id, payload=ref, now=now)
    for person in notify:
        outbox.enqueue(session, Kind.NOTICE, lane=user_lane(person), chat_id=person, report_id=row.id,
                       payload=ref, now=now)


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
        report_id=report_id, actor_id=actor_id, at=now, kind=kind.value, old_status=current.value,
        new_status=new_status.value, comment=_comment(comment), details=event_details or None,
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
    values = {"unit_code": unit_code, "assigned_at": now, "unit_reminded_at": None, "updated_at": now,
              "staff_chat_id": None, "staff_message_id": None}
    event = ReportEvent(
        report_id=report_id, actor_id=actor_id, at=now, kind=EventKind.REASSIGN.value,
        old_status=current.value, new_status=current.value, comment=_comment(comment),
        details={"old_unit": row.unit_code, "new_unit": unit_code,
                 "old_staff_chat_id": row.staff_chat_id, "old_staff_message_id": row.staff_message_id},
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
    event = ReportEvent(report_id=report_id, actor_id=actor_id, at=now, kind=EventKind.COMMENT.value,
                        old_status=row.status, new_status=row.status, comment=_comment(comment))
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
    return update(Report).where(Report.id == report_id).values(staff_chat_id=chat_id, staff_message_id=message_id)


async def set_staff_message(session: AsyncSession, report_id: int, chat_id: int, message_id: int) -> bool:
    """Remember the post in the unit's staff chat, committed."""
    result = await session.exec(staff_message(report_id, chat_id, message_id))
    await session.commit()
    return bool(result.rowcount)


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
    ids = (await session.exec(select(Report.id).where(column.is_(None), *conditions).order_by(Report.id))).all()
    claimed = []
    for report_id in ids:
        result = await session.exec(
            update(Report).where(Report.id == report_id, column.is_(None), *conditions).values({stamp: now})
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
        remind = await _claim(session, "unit_reminded_at", [
            Report.status == ReportStatus.SUBMITTED.value, Report.assigned_at <= now - remind_after], now)
        escalate = await _claim(session, "escalated_at", [
            col(Report.status).in_(open_values), Report.created_at <= now - escalate_after], now)
        followup = await _claim(session, "followup_asked_at", [
            Report.status == ReportStatus.RESOLVED.value, Report.resolved_at <= now - followup_after,
            col(Report.reporter_id).is_not(None), col(Report.followup_answer).is_(None)], now)
        for report_id in remind:
            outbox.enqueue(session, Kind.REMIND, lane=report_lane(report_id), report_id=report_id, now=now)
        for report_id in escalate:  # not behind a post that waits for the unit's chat
            outbox.enqueue(session, Kind.ESCALATE, lane=admins_lane(report_id), report_id=report_id, now=now)
        if followup:
            reporters = dict((await session.exec(select(Report.id, Report.reporter_id)
                                                 .where(col(Report.id).in_(followup)))).all())
            for report_id in followup:
                outbox.enqueue(session, Kind.FOLLOWUP, lane=user_lane(reporters[report_id]),
                               chat_id=reporters[report_id], report_id=report_id, now=now)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise

    async def load(ids: list[int]) -> tuple[ReportInfo, ...]:
        if not ids:
            return ()
        rows = (
            await session.exec(
                select(Report).where(col(Report.id).in_(ids)).order_by(Report.id)
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
        event = ReportEvent(report_id=report_id, actor_id=user_id, at=now, kind=EventKind.FOLLOW.value,
                            old_status=current.value, new_status=current.value,
                            details={"answer": answer.value})
        values = {"followup_answer": answer.value, "updated_at": now}
        return await _compare_and_set(session, row, values, event, now=now)
    outcome = await transition(
        session, report_id, user_id, ReportStatus.ACCEPTED, expected_version=row.version,
        kind=EventKind.FOLLOW, details={"answer": answer.value}, now=now,
    )
    return outcome


# --------------------------------------------------------------------------------------------
# Drafts (survive a bot restart)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    user_id: int
    data: dict
    step: str
    updated_at: datetime


async def save_draft(session: AsyncSession, user_id: int, data: Mapping[str, Any], step: str,
                     now: datetime | None = None) -> Draft:
    """Create or replace the user's draft (``data`` must be JSON-serialisable; its strings are
    stored without the characters XML 1.0 forbids, like every free text)."""
    now = now or utcnow()
    payload = clean_tree(dict(data))
    await upsert(session, ReportDraft, {"user_id": user_id, "data": payload, "step": step, "updated_at": now},
                 key=["user_id"])
    await session.commit()
    return Draft(user_id, payload, step, now)


async def load_draft(session: AsyncSession, user_id: int, *, max_age: timedelta | None = None,
                     now: datetime | None = None) -> Draft | None:
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
    return await create_report(session, user_id, new, photos, daily_limit=daily_limit, router=router,
                               draft_updated_at=draft.updated_at, now=now, clock=clock)


async def clear_draft(session: AsyncSession, user_id: int) -> bool:
    result = await session.exec(delete(ReportDraft).where(ReportDraft.user_id == user_id))
    await session.commit()
    return bool(result.rowcount)


# --------------------------------------------------------------------------------------------
# Staff group chats of the units
# --------------------------------------------------------------------------------------------


async def bind_unit_chat(session: AsyncSession, unit_code: str, chat_id: int, actor_id: int | None,
                         now: datetime | None = None) -> int | None:
    """Post ``unit_code``'s reports to ``chat_id`` from now on; returns the chat bound before (or None).

    The unit's reports that waited for a reachable chat are posted there (their outbox rows are
    released in this transaction)."""
    if not geo.is_valid_unit(unit_code):
        raise ReportError(ReportErrorCode.BAD_UNIT, unit_code)
    now = now or utcnow()
    previous = (await session.exec(select(UnitChat.chat_id).where(UnitChat.unit_code == unit_code))).first()
    await upsert(session, UnitChat, {"unit_code": unit_code, "chat_id": chat_id, "bound_by": actor_id,
                                     "bound_at": now}, key=["unit_code"])
    await outbox.release_unit(session, unit_code, now)
    await session.commit()
    return previous


async def unit_chat(session: AsyncSession, unit_code: str) -> int | None:
    return (await session.exec(select(UnitChat.chat_id).where(UnitChat.unit_code == unit_code))).first()


async def units_of_chat(session: AsyncSession, chat_id: int) -> list[str]:
    rows = await session.exec(select(UnitChat.unit_code).where(UnitChat.chat_id == chat_id).order_by(UnitChat.unit_code))
    return list(rows.all())


async def unbind_chat(session: AsyncSession, chat_id: int, unit_code: str | None = None) -> int:
    stmt = delete(UnitChat).where(UnitChat.chat_id == chat_id)
    if unit_code is not None:
        stmt = stmt.where(UnitChat.unit_code == unit_code)
    result = await session.exec(stmt)
    await session.commit()
    return result.rowcount
