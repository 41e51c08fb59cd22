"""The outbox worker: sends what ``core/notifications.py`` holds, with retries, in lane order.

Each kind of row has a sender (``Sender``), registered by its feature. A sender renders the row
from the current state in the recipient's language, sends it through the bot (so through the
``Pacer``, at ``NOTIFY`` priority), and returns a ``Done``; the outcome is committed with the
sender's own bookkeeping (``Done.also``, e.g. the staff card's message id) in one transaction.

What a failure becomes:
- 5xx, network errors, a 429 the pacer gave up on, the database away, a bug: the row is due
  again after an exponential backoff (``Backoff``), up to ``max_attempts`` claims; then ``failed``;
- Telegram refusing for good (the person blocked the bot, the chat is gone, a bad request):
  ``failed`` with the reason, unless the sender handles it (a staff post then ``waiting``).

Every instance runs a worker; claims are compare-and-set, so a row is sent by one of them. A row
left ``sending`` by a dead process is claimed again when its lease ends (at once at start-up
when this is the only instance).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.outgoing.pacing import Priority, priority
from core import notifications as outbox
from core.clock import Clock
from core.notifications import Note, NoteStatus

log = logging.getLogger(__name__)

# Telegram's words for "this chat cannot be reached" (in a 400; a 403 always means that).
UNREACHABLE = (
    "chat not found",
    "bot was kicked",
    "bot is not a member",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "group chat was upgraded",
    "peer_id_invalid",
    "user is deactivated",
    "chat_write_forbidden",
    "bot was blocked",
)


def unreachable(error: BaseException) -> bool:
    if isinstance(error, (TelegramForbiddenError, TelegramNotFound)):
        return True
    return isinstance(error, TelegramBadRequest) and any(w in error.message.lower() for w in UNREACHABLE)


@dataclass(frozen=True)
class Done:
    status: NoteStatus = NoteStatus.SENT
    error: str | None = None
    # More writes for the outcome's transaction (a card's message id, the next message owed).
    also: Callable[[Any], Awaitable[None]] | None = None
    delay: float | None = None  # PENDING: due again after this (else the backoff's delay)


Sender = Callable[["Worker", Note], Awaitable[Done]]


@dataclass(frozen=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    max_attempts: int = 40  # about two and a half hours of trying

    def delay(self, attempts: int) -> float:
        return min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))


@dataclass
class Worker:
    sessions: async_sessionmaker
    clock: Clock
    senders: dict[str, Sender] = field(default_factory=dict)
    batch: int = 16
    lease: timedelta = timedelta(seconds=90)
    poll_s: float = 1.0  # rows of other instances, and leases that ran out
    backoff: Backoff = field(default_factory=Backoff)
    reclaim_at_start: bool = True  # the only instance: what "sending" was left is due now
    keep: timedelta = timedelta(days=30)  # sent and failed rows are kept this long (support, audit)
    context: dict[str, Any] = field(default_factory=dict)  # what senders need (bot, settings ...)

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._running: dict[int, asyncio.Task] = {}
        self._loop_task: asyncio.Task | None = None
        self._lease_task: asyncio.Task | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    def register(self, kind: str, sender: Sender) -> None:
        self.senders[kind] = sender

    def __getitem__(self, name: str) -> Any:
        return self.context[name]

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self.reclaim_at_start:
            async with self.sessions() as session:
                if n := await outbox.reclaim(session, self.clock()):
                    log.info("outbox: %d message(s) left in flight by the last run are due again", n)
        loop = asyncio.get_running_loop()
        self._unsubscribe = outbox.subscribe(lambda: loop.call_soon_threadsafe(self._wake.set))
        self._loop_task = asyncio.create_task(self._loop(), name="outbox-worker")
        self._lease_task = asyncio.create_task(self._extend_leases(), name="outbox-leases")

    async def purge(self) -> None:
        """The leader's daily job: rows that ended ``keep`` ago are deleted."""
        try:
            async with self.sessions() as session:
                if n := await outbox.purge(session, self.clock() - self.keep):
                    log.info("outbox: %d old message(s) forgotten", n)
        except Exception:
            log.exception("outbox: purge failed")

    async def stop(self, timeout: float = 10.0) -> None:
        """Claim nothing more; let what is in flight finish (or cancel it after ``timeout``: its
        rows stay ``sending`` and are resumed by the next start)."""
        self._stopping = True
        if self._unsubscribe:
            self._unsubscribe()
        self._wake.set()
        for task in (self._loop_task,):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        running = list(self._running.values())
        if running:
            _done, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._lease_task is not None:
            self._lease_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lease_task

    async def drained(self, timeout: float = 10.0) -> None:
        """Wait until nothing is due or in flight (tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            self._wake.set()
            running = bool(self._running)  # before the read: what it finished is committed
            async with self.sessions() as session:
                busy = await outbox.busy(session, self.clock())
            if not running and not busy:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the outbox did not drain")

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            free = self.batch - len(self._running)
            claimed: list[Note] = []
            wait = self.poll_s
            try:
                if free > 0:
                    async with self.sessions() as session:
                        claimed = await outbox.claim(session, self.clock(), limit=free, lease=self.lease)
                        if not claimed and not self._running:
                            now = self.clock()
                            due = await outbox.next_due(session, now)
                            if due is not None:
                                wait = min(wait, (due - now).total_seconds())
                failures = 0
            except Exception as error:  # noqa: BLE001 - the database is away: try again, slower each time
                failures += 1
                wait = min(30.0, 0.5 * 2**failures)
                log.warning("outbox: cannot claim (%s); again in %.1f s", error, wait)
            for note in claimed:
                task = asyncio.create_task(self._run(note), name=f"outbox-{note.id}")
                self._running[note.id] = task
                task.add_done_callback(lambda _t, i=note.id: (self._running.pop(i, None), self._wake.set()))
            if claimed and len(claimed) == free:
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _extend_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            with contextlib.suppress(Exception):
                async with self.sessions() as session:
                    await outbox.extend(session, list(self._running), self.clock() + self.lease)

    async def _run(self, note: Note) -> None:
        sender = self.senders.get(note.kind)
        try:
            if sender is None:
                raise LookupError(f"no sender for {note.kind!r}")
            with priority(Priority.NOTIFY):
                done = await sender(self, note)
        except asyncio.CancelledError:
            raise
        except TelegramRetryAfter as error:
            done = self._retry(note, error, delay=float(error.retry_after))
        except (TelegramServerError, TelegramNetworkError, SQLAlchemyError, OSError) as error:
            done = self._retry(note, error)
        except TelegramAPIError as error:  # refused for good
            done = Done(NoteStatus.FAILED, f"{type(error).__name__}: {error.message}")
        except Exception as error:
            log.exception("outbox: %s #%d failed", note.kind, note.id)
            done = self._retry(note, error)
        await self._record(note, done)

    def _retry(self, note: Note, error: BaseException, delay: float | None = None) -> Done:
        reason = f"{type(error).__name__}: {error}"
        if note.attempts >= self.backoff.max_attempts:
            return Done(NoteStatus.FAILED, f"gave up after {note.attempts} attempts: {reason}")
        return Done(NoteStatus.PENDING, reason, delay=delay)

    async def _record(self, note: Note, done: Done) -> None:
        now = self.clock()
        retry_at = None
        error = done.error
        if done.status == NoteStatus.PENDING:
            delay = done.delay if done.delay is not None else self.backoff.delay(note.attempts)
            retry_at = now + timedelta(seconds=delay)
            log.info("outbox: %s #%d again in %.1f s (%s)", note.kind, note.id, delay, error)
        elif done.status == NoteStatus.FAILED:
            log.warning("outbox: %s #%d failed: %s", note.kind, note.id, error)
        for attempt in range(5):  # the outcome must be written: the database may be briefly away
            try:
                async with self.sessions() as session:
                    await session.exec(
                        outbox.finish(note.id, done.status, now, error=error, retry_at=retry_at, progress=note.progress)
                    )
                    if done.also is not None:
                        await done.also(session)
                    await session.commit()
                return
            except Exception as db_error:  # noqa: BLE001 - the database is away: try again
                log.warning("outbox: cannot record %s #%d (%s)", note.kind, note.id, db_error)
                await asyncio.sleep(0.5 * 2**attempt)

    async def step(self, note: Note, **steps: Any) -> None:
        """A step of a multi-message row is done: remember it now (a restart resumes after it)."""
        note.progress.update(steps)
        async with self.sessions() as session:
            await outbox.save_progress(session, note.id, note.progress)
