"""What the reports service takes and returns: plain data, the state machine's transitions,
the outbox kinds, and the errors (``reports/service.py`` is the public face)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any, Generic, TypeVar

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

E = TypeVar("E", bound=StrEnum)


class _Members(dict[Any, E], Generic[E]):
    """An enumeration's members by value: a dict look-up instead of a call of the enumeration
    (~1.5 us, five of them per report); an unknown value raises the call's ``ValueError``."""

    def __init__(self, kind: type[E]) -> None:
        super().__init__((m.value, m) for m in kind)
        self.kind = kind

    def __missing__(self, value: Any) -> E:
        return self.kind(value)


_CHANNEL, _SOURCE, _WASTE = _Members(Channel), _Members(LocationSource), _Members(WasteType)
_AMOUNT, _STATUS, _REASON = _Members(Amount), _Members(ReportStatus), _Members(RejectReason)
_ANSWER, _PHOTO_KIND = _Members(FollowupAnswer), _Members(PhotoKind)


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
        return cls.of_values(_photo_values(row))

    @classmethod
    def of_values(cls, values: Sequence[Any]) -> PhotoInfo:
        """From the values of ``PHOTO_FIELDS`` in that order (a Core row of those columns)."""
        id_, sha256, original, public, file_id, unique_id, width, height, kind, position = values[:10]
        return cls(id_, sha256, original, public, file_id, unique_id, width, height, _PHOTO_KIND[kind], position)


PHOTO_FIELDS = tuple(f.name for f in fields(PhotoInfo))  # also the columns of ``ReportPhoto``
_photo_values = attrgetter(*PHOTO_FIELDS)


def _photo_order(photo: Any) -> tuple[bool, int, int]:
    """The report's photos in order: the reporter's ("before") first, each kind by position."""
    return (photo.kind != "before", photo.position, photo.id)


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
        """From an ORM row (what a writer holds)."""
        return cls.of_values(_report_values(row), tuple(PhotoInfo.of(p) for p in sorted(photos, key=_photo_order)))

    @classmethod
    def of_values(cls, values: Sequence[Any], photos: tuple[PhotoInfo, ...] = ()) -> ReportInfo:
        """From the values of ``REPORT_FIELDS`` in that order (a Core row of those columns: the
        listings read no ORM entities) and the report's photos, in order (``photo_infos``)."""
        (
            id_, ticket, channel, reporter_id, anonymous, lat, lon, source, address, unit_code, waste, amount,
            witnessed, plate, description, status, reason, staff_chat_id, staff_message_id, created_at, updated_at,
            assigned_at, accepted_at, resolved_at, reminded_at, escalated_at, asked_at, answer, version,
        ) = values  # fmt: skip
        return cls(
            id_,
            ticket,
            _CHANNEL[channel],
            reporter_id,
            anonymous,
            lat,
            lon,
            _SOURCE[source],
            address,
            unit_code,
            _WASTE[waste],
            _AMOUNT[amount] if amount else None,
            witnessed,
            plate,
            description,
            _STATUS[status],
            _REASON[reason] if reason else None,
            staff_chat_id,
            staff_message_id,
            created_at,
            updated_at,
            assigned_at,
            accepted_at,
            resolved_at,
            reminded_at,
            escalated_at,
            asked_at,
            _ANSWER[answer] if answer else None,
            version,
            photos,
        )


REPORT_FIELDS = tuple(f.name for f in fields(ReportInfo) if f.name != "photos")  # also columns of ``Report``
_report_values = attrgetter(*REPORT_FIELDS)


def photo_infos(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[PhotoInfo, ...]]:
    """Photos by report, each report's in order, from Core rows of ``PHOTO_FIELDS`` followed by
    ``report_id``."""
    by_report: dict[int, list[PhotoInfo]] = {}
    for row in rows:
        by_report.setdefault(row[10], []).append(PhotoInfo.of_values(row))
    return {report: tuple(sorted(photos, key=_photo_order)) for report, photos in by_report.items()}


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
