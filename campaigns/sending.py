"""What the delivery engine and its Telegram port agree on: the errors a send may raise (the bot
maps aiogram's exceptions onto them), the message handed to the send, the engine's settings, a
run's statistics, and the bot-wide token bucket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from campaigns.models import RunStatus

# --- what the injected send may raise ------------------------------------------------------------


class SendError(Exception):
    """Base of the errors a send callable raises (the bot maps aiogram's exceptions to these)."""


class RetryAfter(SendError):
    """429 Too Many Requests: nothing was sent; wait ``seconds`` before sending anything."""

    def __init__(self, seconds: float):
        super().__init__(f"retry after {seconds} s")
        self.seconds = float(seconds)


class Blocked(SendError):
    """403 Forbidden: the user blocked the bot (or deleted their account)."""


class BadRequest(SendError):
    """400 Bad Request: this message can never be sent to this chat."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Transient(SendError):
    """Not delivered, safe to try again (5xx, connection refused or reset before the request)."""


class Uncertain(SendError):
    """The request may have reached Telegram (e.g. a timeout waiting for the answer): never retried."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    chat_id: int
    text: str
    photo: str | None  # a file_id or URL: send a photo with ``text`` as its caption
    language: str
    campaign_id: int
    run_id: int


# Returns the Telegram message id (or None).
SendCallable = Callable[[OutgoingMessage], Awaitable[int | None]]


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    rate: float = 25.0  # messages per second, all runs together
    burst: float | None = None  # bucket capacity; default max(2, rate / 50)
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    window: int = 16  # rows in flight (``sending``) at most
    first_chunk: int = 250  # outbox rows written to make a run ready to send: 10 s of sending at 25/s
    insert_batch: int = 10_000  # outbox rows per later chunk, written as the run is sent (one INSERT … SELECT)
    page_size: int = 2000  # pending rows loaded at a time
    max_attempts: int = 5  # per row, all errors that retry counted
    backoff_base: float = 1.0  # seconds; doubled at every transient failure
    backoff_max: float = 60.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.window < 1 or self.max_attempts < 1:
            raise ValueError("rate > 0, window >= 1 and max_attempts >= 1 are required")


@dataclass(frozen=True, slots=True)
class RunStats:
    run_id: int
    campaign_id: int
    author_id: int
    status: RunStatus
    targeted: int  # while outbox chunks are left, the recipients as counted; then the rows written
    sent: int
    blocked: int
    failed: int
    uncertain: int
    pending: int  # not sent yet, with the recipients not written yet (left for a restart after ``stop``)
    sending: int  # in flight right now (or left by a crash until the run is restarted)
    started_at: datetime | None
    finished_at: datetime | None
    counted: bool = True  # False right after a large run starts: its recipients are being counted

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class TokenBucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` stored; FIFO among waiters.

    ``pause(seconds)`` stops every acquisition until then (Telegram's retry_after) and drops the
    stored tokens so that no burst follows the pause.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.rate = float(rate)
        self.capacity = max(1.0, float(burst) if burst is not None else max(2.0, self.rate / 50))
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = 1.0
        self._last = monotonic()
        self._paused_until = 0.0
        self._paused_after = False
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        until = self._monotonic() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            self._paused_after = True

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._monotonic())

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now

    def try_acquire(self) -> bool:
        """Take a token if one is there now (never while paused)."""
        now = self._monotonic()
        if now < self._paused_until:
            return False
        if self._paused_after:
            # No burst after a pause: start again from an empty bucket.
            self._paused_after = False
            self._tokens, self._last = 0.0, max(self._last, self._paused_until)
        self._refill(now)
        if self._tokens >= 1.0 - 1e-9:  # float time slices must not lose a token
            self._tokens = max(0.0, self._tokens - 1.0)
            return True
        return False

    def wait_time(self) -> float:
        """Seconds until ``try_acquire`` can succeed."""
        now = self._monotonic()
        if now < self._paused_until:
            return self._paused_until - now + 1.0 / self.rate
        tokens = self._tokens
        if now > self._last:
            tokens = min(self.capacity, tokens + (now - self._last) * self.rate)
        return max(0.0, (1.0 - tokens) / self.rate)

    async def acquire(self) -> None:
        """Wait for a token (FIFO among waiters)."""
        async with self._lock:
            while not self.try_acquire():
                await self._sleep(max(self.wait_time(), 1e-4))
