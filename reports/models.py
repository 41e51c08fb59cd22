"""Tables of the dumping-reports domain: reports, photos, events, followers, drafts.

Enumerations are stored as short strings (no native database enums) so migrations stay simple on
SQLite and PostgreSQL and a new value never needs an ``ALTER TYPE``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from core.clock import utcnow


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"


OPEN_STATUSES = frozenset({ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS})
CLOSED_STATUSES = frozenset({ReportStatus.RESOLVED, ReportStatus.REJECTED})


class RejectReason(StrEnum):
    DUPLICATE = "duplicate"
    OUTSIDE_AREA = "outside_area"
    NOT_DUMPING = "not_dumping"
    NOT_ENOUGH_INFO = "not_enough_info"


class WasteType(StrEnum):
    CONSTRUCTION = "construction"
    HOUSEHOLD = "household"
    BULKY = "bulky"
    INDUSTRIAL = "industrial"
    HAZARDOUS = "hazardous"
    AGRICULTURAL = "agricultural"
    OTHER = "other"


class Amount(StrEnum):
    BAGS = "bags"
    CAR = "car"
    TRUCK = "truck"


class LocationSource(StrEnum):
    TELEGRAM = "telegram"  # a location shared in Telegram (WGS-84)
    VENUE = "venue"  # a Telegram venue
    EXIF = "exif"  # GPS tags of a photo sent as a file
    GEOCODED = "geocoded"  # an address resolved by the online geocoder
    GAZETTEER = "gazetteer"  # a town name resolved offline to its seat point (coarse)
    API = "api"  # coordinates given by a city system over Open311


class Channel(StrEnum):
    TELEGRAM = "telegram"
    OPEN311 = "open311"


class PhotoKind(StrEnum):
    BEFORE = "before"  # sent by the reporter
    AFTER = "after"  # sent by staff when resolving


class EventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    REASSIGN = "reassign"
    FOLLOW = "follow"  # the reporter answered the "is it clean now?" follow-up
    COMMENT = "comment"


class FollowupAnswer(StrEnum):
    CLEAN = "clean"
    NOT_CLEAN = "not_clean"


# Expression indexes on the (bucket, duration) pairs /stats takes the medians of: they differ by
# database, so only migration 0011 creates them, and a models-versus-migrations comparison leaves
# them out.
MIGRATION_ONLY_INDEXES = frozenset({"ix_reports_accept_bucket", "ix_reports_resolve_bucket"})


class Report(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_created", "status", "created_at"),
        Index("ix_reports_lat_lon", "lat", "lon"),
        # The access paths of reports/queries.py (migration 0006).
        Index("ix_reports_created", "created_at", "id"),
        Index("ix_reports_unit_created", "unit_code", "created_at", "id"),
        Index("ix_reports_unit_status_created", "unit_code", "status", "created_at", "id"),
        Index("ix_reports_type_status_created", "waste_type", "status", "created_at", "id"),
        # A unit's /stats over dates, from the index alone (migration 0011; every report's /stats
        # reads the tallies instead).
        Index("ix_reports_unit_stats", "unit_code", "created_at", "waste_type", "status", "accepted_at", "resolved_at"),
        # The dashboard's weekly bulletin, read from the index alone (migration 0010).
        Index("ix_reports_bulletin", "created_at", "unit_code", "status", "accepted_at", "resolved_at"),
        # Open reports by age with their unit, from the index alone: the dashboard's "overdue now".
        Index("ix_reports_open_age", "status", "created_at", "unit_code"),
        # and MIGRATION_ONLY_INDEXES
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket: str = Field(max_length=32, unique=True)
    channel: str = Field(default=Channel.TELEGRAM, max_length=16)
    # None for reports that came from a city system (Open311) rather than a citizen in Telegram.
    reporter_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True))
    anonymous: bool = Field(default=True)
    lat: float
    lon: float
    location_source: str = Field(max_length=16)
    address: str | None = Field(default=None, max_length=512)
    unit_code: str = Field(max_length=16)
    waste_type: str = Field(max_length=16)
    amount: str | None = Field(default=None, max_length=16)
    witnessed: bool = Field(default=False)
    plate: str | None = Field(default=None, max_length=16)
    description: str | None = Field(default=None, max_length=500)
    status: str = Field(default=ReportStatus.SUBMITTED, max_length=16)
    reject_reason: str | None = Field(default=None, max_length=32)
    staff_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    staff_message_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # When the current unit got the report (creation or last reassignment): the reminder clock.
    assigned_at: datetime = Field(default_factory=utcnow)
    accepted_at: datetime | None = Field(default=None)  # first acceptance, kept across reopenings
    resolved_at: datetime | None = Field(default=None)  # last resolution; cleared on reopening
    unit_reminded_at: datetime | None = Field(default=None)
    escalated_at: datetime | None = Field(default=None)
    followup_asked_at: datetime | None = Field(default=None)
    followup_answer: str | None = Field(default=None, max_length=16)
    version: int = Field(default=1)


class ReportPhoto(SQLModel, table=True):
    __tablename__ = "report_photos"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    sha256: str = Field(max_length=64, index=True)
    original_path: str = Field(max_length=256)
    public_path: str = Field(max_length=256)
    file_id: str | None = Field(default=None, max_length=256)
    file_unique_id: str | None = Field(default=None, max_length=64)
    width: int
    height: int
    kind: str = Field(default=PhotoKind.BEFORE, max_length=8)
    position: int = Field(default=0)
    added_at: datetime = Field(default_factory=utcnow)


class ReportEvent(SQLModel, table=True):
    __tablename__ = "report_events"
    __table_args__ = (Index("ix_report_events_kind_at", "kind", "at"),)  # the bulletin (migration 0010)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(default=EventKind.STATUS, max_length=16)
    old_status: str | None = Field(default=None, max_length=16)
    new_status: str | None = Field(default=None, max_length=16)
    comment: str | None = Field(default=None, max_length=1000)
    # Structured extras: reject reason, old/new unit of a reassignment, follow-up answer.
    details: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ReportFollower(SQLModel, table=True):
    __tablename__ = "report_followers"
    __table_args__ = (UniqueConstraint("report_id", "user_id", name="uq_report_follower"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    since: datetime = Field(default_factory=utcnow)


class ReportDraft(SQLModel, table=True):
    __tablename__ = "report_drafts"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    step: str = Field(default="", max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class UnitChat(SQLModel, table=True):
    """The staff group chat where a unit's new reports are posted (bound with /bindunit)."""

    __tablename__ = "report_unit_chats"

    unit_code: str = Field(primary_key=True, max_length=16)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    bound_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    bound_at: datetime = Field(default_factory=utcnow)


class ReportTally(SQLModel, table=True):
    """How many reports per (unit, waste type, status), kept by triggers on ``reports`` (0011)."""

    __tablename__ = "report_tallies"

    unit_code: str = Field(primary_key=True, max_length=16)
    waste_type: str = Field(primary_key=True, max_length=16)
    status: str = Field(primary_key=True, max_length=16)
    n: int  # reports
    accepted: int  # of them accepted once (accepted_at set)
    resolved: int  # of them resolved with a resolution time (status resolved, resolved_at set)


class ReportDurationTally(SQLModel, table=True):
    """How many reports per duration bucket (``reports/tallies.py``), kept by triggers (0011)."""

    __tablename__ = "report_duration_tallies"

    kind: str = Field(primary_key=True, max_length=8)  # accept | resolve
    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int
