"""Tables of the sorting feature: the query log, "wrong answer" reports, curators' changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import JSON, Field, SQLModel

from core.clock import utcnow


class SortQuery(SQLModel, table=True):
    """One question and the verdict given. ``user_hash`` is a keyed hash, never the Telegram id."""

    __tablename__ = "sort_queries"
    __table_args__ = (Index("ix_sort_queries_answered_at", "answered", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    user_hash: str = Field(max_length=32)
    query: str = Field(max_length=200)
    key: str = Field(max_length=200, index=True)  # normalised, for grouping
    source: str = Field(default="message", max_length=16)  # message | inline | choice (a did-you-mean tap)
    category: str | None = Field(default=None, max_length=16)
    item: str | None = Field(default=None, max_length=100)
    confidence: str = Field(max_length=16)
    answered: bool = Field(default=False)


class SortFeedback(SQLModel, table=True):
    """A resident's "wrong answer?" report on a card."""

    __tablename__ = "sort_feedback"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    user_hash: str = Field(max_length=32)
    query: str = Field(max_length=200)
    item: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=16)
    suggested: str | None = Field(default=None, max_length=16)  # the category the resident expected
    handled_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    handled_at: datetime | None = None


class KbChange(SQLModel, table=True):
    """A curator's change: replayed on top of the data files at start-up, exported for review."""

    __tablename__ = "kb_changes"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=16)  # alias | item
    item_name: str = Field(max_length=100)
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    exported_at: datetime | None = None


class KbMeta(SQLModel, table=True):
    """Small key/value store (the pseudonymisation key of the query log)."""

    __tablename__ = "kb_meta"

    key: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=256)
