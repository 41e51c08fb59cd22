"""Tables shared by every feature: users, staff roles and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from core.clock import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    CAMPAIGN_STAFF = "campaign_staff"
    UNIT_HANDLER = "unit_handler"
    CURATOR = "curator"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    username: str | None = Field(default=None, max_length=64, index=True)
    display_name: str = Field(default="", max_length=256)
    language: str = Field(default="zh", max_length=8)
    language_chosen: bool = Field(default=False)
    home_unit: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    blocked_bot: bool = Field(default=False)


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_code", name="uq_role_grant"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    role: str = Field(max_length=32)
    # Only unit handlers are bound to a unit; "" (not NULL) keeps the unique constraint effective.
    unit_code: str = Field(default="", max_length=16)
    granted_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    granted_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(max_length=64)
    target: str | None = Field(default=None, max_length=128)
    details: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = Field(default_factory=utcnow)


class NoteStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    WAITING = "waiting"  # a staff post whose unit has no reachable chat yet


UNFINISHED = (NoteStatus.PENDING.value, NoteStatus.SENDING.value, NoteStatus.WAITING.value)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_at"),
        Index("ix_notifications_lane", "lane", "id"),
        Index("ix_notifications_unit", "unit_code", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    lane: str = Field(max_length=48)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    report_id: int | None = Field(default=None, nullable=True)
    unit_code: str | None = Field(default=None, max_length=16, nullable=True)
    payload: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    progress: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default=NoteStatus.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    next_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = Field(default=None, nullable=True)
    sent_at: datetime | None = Field(default=None, nullable=True)
    last_error: str | None = Field(default=None, max_length=500, nullable=True)


# The update inbox's table lives beside its functions (core/inbox.py); imported here so that every
# reader of the shared tables (Alembic, the migration test) knows it.
from core.inbox import UpdateInbox  # noqa: E402,F401
from core.web_sessions import WebLogin, WebSession  # noqa: E402,F401
