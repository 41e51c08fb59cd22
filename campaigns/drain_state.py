"""The delivery engine's bookkeeping (``campaigns/delivery.py``): a row to send, its outcome, what a
run being sent holds, and where one drain of it stands."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from campaigns.models import OutboxStatus
from campaigns.subscriptions import Audience


@dataclass(slots=True)
class Item:
    row_id: int
    user_id: int
    language: str
    attempts: int


@dataclass(slots=True)
class Outcome:
    item: Item
    status: OutboxStatus  # PENDING = retry later
    error: str | None = None
    message_id: int | None = None
    sent_at: datetime | None = None
    retry_in: float = 0.0


@dataclass(slots=True)
class RunState:
    run_id: int
    campaign_id: int
    text_zh: str = ""
    text_en: str | None = None
    photo: str | None = None
    audience: Audience | None = None  # the campaign's, as it stands (the next chunk is written for it)
    results: list[Outcome] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: dict[asyncio.Task, int] = field(default_factory=dict)  # in flight -> chat id


@dataclass(slots=True)
class Drain:
    """Where one drain of a run stands."""

    ready: deque[Item] = field(default_factory=deque)
    delayed: list[tuple[float, int, Item]] = field(default_factory=list)  # (due, seq, item) heap
    last_id: int = 0  # rows up to this id have been loaded
    written: bool = False  # every outbox row of the run is written (no chunk left)
    exhausted: bool = False  # every row written and no pending row left to load
    cancelled: bool = False
    held: int = 0  # rows claimed ("sending" in the database) whose outcome is not committed yet
    claims: list[Item] = field(default_factory=list)  # this turn's claims
