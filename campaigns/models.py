"""Tables of the campaigns domain: cells, subscriptions, campaigns, runs and the delivery outbox."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from core.clock import utcnow


class CellKind(StrEnum):
    SCHOOL = "school"  # 无废校园
    COMMUNITY = "community"  # 无废小区
    MARKET = "market"  # 无废菜场
    FACTORY = "factory"  # 无废工厂


class Target(StrEnum):
    """What a subscription is to."""

    KIND = "kind"  # value: a CellKind
    UNIT = "unit"  # value: a unit code
    CELL = "cell"  # value: a cell id (as text)
    ALL = "all"  # value: ""


class ScheduleKind(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    MISSED = "missed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class Cell(SQLModel, table=True):
    __tablename__ = "cells"
    __table_args__ = (Index("ix_cells_kind_unit", "kind", "unit_code"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    unit_code: str = Field(max_length=16)
    address: str | None = Field(default=None, max_length=256)
    retired: bool = Field(default=False)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "target", "value", name="uq_subscription"),
        Index("ix_subscriptions_target_value", "target", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    target: str = Field(max_length=8)
    # "" (not NULL) for Target.ALL keeps the unique constraint effective.
    value: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status_next_run", "status", "next_run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    # {"everyone": bool, "kinds": [...], "units": [...], "cells": [...]}; see campaigns.audience.
    audience: dict = Field(sa_column=Column(JSON, nullable=False))
    text_zh: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo: str | None = Field(default=None, max_length=256)  # a Telegram file_id (or URL)
    schedule_kind: str = Field(max_length=8)
    run_at: datetime | None = Field(default=None)  # ScheduleKind.ONCE only (UTC)
    time_of_day: str | None = Field(default=None, max_length=5)  # "HH:MM" local, recurring kinds
    weekdays: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # 0 = Monday
    month_day: int | None = Field(default=None)  # 1..31, clamped to the month's end
    end_date: date | None = Field(default=None)  # inclusive, local date
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    # Local "HH:MM"; both NULL (or equal) = no quiet hours.
    quiet_start: str | None = Field(default="21:00", max_length=5)
    quiet_end: str | None = Field(default="08:00", max_length=5)
    status: str = Field(default=CampaignStatus.ACTIVE.value, max_length=16)
    next_run_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CampaignRun(SQLModel, table=True):
    __tablename__ = "campaign_runs"
    __table_args__ = (
        UniqueConstraint("campaign_id", "scheduled_for", name="uq_campaign_run"),
        Index("ix_campaign_runs_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=Column(Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False))
    scheduled_for: datetime
    started_at: datetime | None = Field(default=None)
    finished_at: datetime | None = Field(default=None)
    status: str = Field(default=RunStatus.PENDING.value, max_length=16)
    # The outbox is written chunk by chunk as the run is sent (campaigns/outbox.py): the last user id
    # written (NULL before the first chunk), and True once every row is written (a NULL cursor then
    # too for runs written whole before the cursor existed).
    outbox_after: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    outbox_ready: bool = Field(default=False)
    # Recipients counted when the run was prepared; once every row is written, the rows written.
    targeted: int = Field(default=0)
    sent: int = Field(default=0)
    blocked: int = Field(default=0)
    failed: int = Field(default=0)
    uncertain: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("run_id", "user_id", name="uq_outbox_run_user"),
        Index("ix_outbox_run_status", "run_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("campaign_runs.id", ondelete="CASCADE"), nullable=False))
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    language: str = Field(default="zh", max_length=8)
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=256)
    sent_at: datetime | None = Field(default=None)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
