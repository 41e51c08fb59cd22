"""What the reports service takes and returns: plain data, the state machine's transitions,
the outbox kinds, and the errors (``reports/service.py`` is the public face)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.text import clean
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
    ReportEvent,
    ReportPhoto,
    ReportStatus,
    WasteType,
)

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
        return cls(
            stored.sha256,
            stored.original_path,
            stored.public_path,
            stored.width,
            stored.height,
            file_id,
            file_unique_id,
        )

    def row(self, report_id: int, kind: PhotoKind, position: int, added_at: datetime) -> ReportPhoto:
        """The photo as a row of the report (``position``: its place among the report's photos of
        this kind, in the order the person sent them)."""
        return ReportPhoto(
            report_id=report_id,
            sha256=self.sha256,
            original_path=self.original_path,
            public_path=self.public_path,
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            width=self.width,
            height=self.height,
            kind=kind.value,
            position=position,
            added_at=added_at,
        )


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
        return cls(
            row.id,
            row.sha256,
            row.original_path,
            row.public_path,
            row.file_id,
            row.file_unique_id,
            row.width,
            row.height,
            PhotoKind(row.kind),
            row.position,
        )


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
            id=row.id,
            ticket=row.ticket,
            channel=Channel(row.channel),
            reporter_id=row.reporter_id,
            anonymous=row.anonymous,
            lat=row.lat,
            lon=row.lon,
            location_source=LocationSource(row.location_source),
            address=row.address,
            unit_code=row.unit_code,
            waste_type=WasteType(row.waste_type),
            amount=Amount(row.amount) if row.amount else None,
            witnessed=row.witnessed,
            plate=row.plate,
            description=row.description,
            status=ReportStatus(row.status),
            reject_reason=RejectReason(row.reject_reason) if row.reject_reason else None,
            staff_chat_id=row.staff_chat_id,
            staff_message_id=row.staff_message_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            assigned_at=row.assigned_at,
            accepted_at=row.accepted_at,
            resolved_at=row.resolved_at,
            unit_reminded_at=row.unit_reminded_at,
            escalated_at=row.escalated_at,
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
        return cls(
            row.id,
            row.report_id,
            row.actor_id,
            row.at,
            EventKind(row.kind),
            ReportStatus(row.old_status) if row.old_status else None,
            ReportStatus(row.new_status) if row.new_status else None,
            row.comment,
            row.details,
        )


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
            lat=lat,
            lon=lon,
            location_source=data.get("location_source", LocationSource.TELEGRAM),
            waste_type=data["waste_type"],
            amount=data.get("amount"),
            witnessed=bool(data.get("witnessed", False)),
            plate=data.get("plate"),
            description=data.get("description"),
            address=data.get("address"),
            anonymous=bool(data.get("anonymous", True)),
            unit_code=data.get("unit_code"),
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
        value = value[: MAX_COMMENT - 1].rstrip() + "…"
    return value
