"""The durable inbox's worker: updates are stored before they are acknowledged, then handled once.

Rules of this module (the table and its queries: ``core/inbox.py``; the intake, polling and the
webhook, ``bot/intake.py``):
- ``accept`` stores a batch of updates in one transaction and only then returns: the caller
  acknowledges them afterwards (advances the getUpdates offset, answers the webhook 200). When
  storing fails it raises, and the caller does not acknowledge: Telegram keeps the updates.
- Stored updates are fed to ``Dispatcher.feed_update`` in ``update_id`` order, one at a time per
  chat (a user's messages in order), different chats concurrently, at most ``concurrency`` at once.
- An update whose handling failed because the database or Redis is unreachable
  (``bot/dependencies.py``) stays pending and is tried again after a capped exponential backoff;
  the chat's later updates wait behind it. Any other failure is logged and the update marked
  ``failed`` (the error middleware has already apologised to the user).
- Finished updates are marked by one background writer (group commit): marks that arrive while
  a write is under way go together in the next one, so the hot path gains no SQL round trip of its
  own. A crash before the mark runs the update again: delivery into handlers is at-least-once, and
  handlers with effects must be idempotent (a re-run gets ``redelivered=True`` in its data).
- Rows belong to the instance that stored them, under a lease renewed every ``lease / 3``. At
  start, polling and the sandbox (one instance by construction) take over every unfinished row;
  in webhook mode, rows whose lease ran out (their instance died) are taken over periodically.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import dependencies
from bot.jobs import Jobs
from core import inbox as store
from core.clock import Clock

log = logging.getLogger("wufei.inbox")

LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 5  # deliveries cut short by a dying instance before an update is given up
STOP_GRACE_S = 8.0  # handlers under way when stopping get this long to finish
# Marks wait this long for others to join their write: fewer commits, and an update finished this
# little before a crash runs again (at-least-once, as when the crash comes during the handler).
MARK_LINGER_S = 0.02


def retry_backoff(max_delay: float) -> BackoffConfig:
    """Exponential, from half a second up to ``max_delay`` seconds, with a little jitter."""
    return BackoffConfig(min_delay=0.5, max_delay=max(max_delay, 0.6), factor=2.0, jitter=0.05)


@dataclass
class _Entry:
    update_id: int
    payload: str
    update: Update | None
    redelivered: bool


def chat_key(update: Update) -> Hashable:
    """What orders updates: the chat (else the user); updates of neither run in parallel."""
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is not None:
        return context.chat.id
    if context.user is not None:
        return context.user.id
    return ("update", update.update_id)


class Inbox:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        sessions: async_sessionmaker,
        clock: Clock,
        *,
        concurrency: int = 16,
        retry_max_s: float = 15.0,
    ) -> None:
        self.dp, self.bot, self.sessions, self.clock = dp, bot, sessions, clock
        self.owner = uuid.uuid4().hex
        self.backoff = retry_backoff(retry_max_s)
        self._slots = asyncio.Semaphore(concurrency)
        self._chats: dict[Hashable, deque[_Entry]] = {}
        self._runners: set[asyncio.Task] = set()
        self._known: set[int] = set()  # update ids in memory, not yet finished
        self._marks: dict[int, str] = {}  # finished, not yet written
        # Held by a mark write and by a read of pending rows: a row read as pending is either
        # unfinished or among the marks not yet written (and then not queued again).
        self._marks_lock = asyncio.Lock()
        self._marks_ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = asyncio.Event()
        self._background: list[asyncio.Task] = []
        self._accepting = asyncio.Lock()
        self._started = False

    # ------------------------------------------------------------------ life cycle
    async def start(self, *, take_over_all: bool) -> None:
        """Take over unfinished rows (all of them: polling, sandbox; expired leases: webhook),
        queue this instance's pending rows, and start the writer and the lease keeper."""
        if self._started or self._stopping.is_set():
            return
        self._started = True
        self._take_over_all = take_over_all
        await self._take_over(expired_only=not take_over_all)
        self._background = [
            asyncio.create_task(self._write_marks(), name="inbox-marks"),
            asyncio.create_task(self._keep_leases(), name="inbox-leases"),
        ]

    async def stop(self) -> None:
        """Let handlers under way finish (``STOP_GRACE_S``), then write the last marks. What is not
        finished stays pending and runs at the next start. The writer and the lease keeper end on
        their own (a write under way is finished, not cut: a cancelled transaction would be rolled
        back half-way, and logged as an error by the connection pool)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._runners:
            _done, late = await asyncio.wait(set(self._runners), timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self._marks_ready.set()  # the writer writes what is waiting, then ends
        if self._background:
            _done, late = await asyncio.wait(self._background, timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._marks:
            try:
                await self._flush()
            except Exception as error:  # noqa: BLE001 - the rows stay pending and run again
                log.warning(
                    "%d finished updates could not be marked (%s); they will run again",
                    len(self._marks),
                    dependencies.reason(error),
                )

    async def drained(self) -> None:
        """Wait until every accepted update is handled and marked (benchmarks, tests)."""
        await self._idle.wait()

    # ------------------------------------------------------------------ intake
    async def accept(self, updates: Sequence[Update], payloads: Sequence[str] | None = None) -> None:
        """Store ``updates`` (with their JSON ``payloads`` as received, if known) in one
        transaction, then queue them. Raises when they could not be stored."""
        if not updates:
            return
        if payloads is None:
            payloads = [u.model_dump_json(exclude_unset=True, by_alias=True) for u in updates]
        async with self._accepting:  # batches are queued in the order they were stored
            async with self.sessions() as session:
                inserted = await store.store(
                    session,
                    self.bot.id,
                    list(zip((u.update_id for u in updates), payloads)),
                    owner=self.owner,
                    now=self.clock(),
                    lease=LEASE,
                )
            # Updates stored before (Telegram sent them twice) are queued already, or were handled.
            for update, payload in sorted(zip(updates, payloads), key=lambda pair: pair[0].update_id):
                if update.update_id in inserted:
                    self._queue(_Entry(update.update_id, payload, update, False))

    def _queue(self, entry: _Entry) -> None:
        if entry.update_id in self._known or entry.update_id in self._marks or self._stopping.is_set():
            return
        if entry.update is None:
            try:
                entry.update = Update.model_validate_json(entry.payload, context={"bot": self.bot})
            except ValueError as error:
                log.error("update %s: stored payload unreadable (%s); given up", entry.update_id, error)
                self._mark(entry.update_id, store.FAILED)
                return
        self._known.add(entry.update_id)
        self._idle.clear()
        key = chat_key(entry.update)
        queue = self._chats.get(key)
        if queue is not None:
            queue.append(entry)  # its runner takes it after the ones before it
            return
        self._chats[key] = deque([entry])
        runner = asyncio.create_task(self._run_chat(key), name=f"inbox-chat-{key}")
        self._runners.add(runner)
        runner.add_done_callback(self._runners.discard)

    async def _queue_owned(self) -> None:
        async with self._marks_lock:
            async with self.sessions() as session:
                rows = await store.owned(session, self.bot.id, self.owner)
            for row in rows:
                self._queue(_Entry(row.update_id, row.payload, None, row.attempts > 0))

    # ------------------------------------------------------------------ handling
    async def _run_chat(self, key: Hashable) -> None:
        queue = self._chats[key]
        try:
            while queue and not self._stopping.is_set():
                entry = queue[0]
                status = await self._handle(entry)
                queue.popleft()
                if status is not None:
                    self._mark(entry.update_id, status)
                self._known.discard(entry.update_id)
        finally:
            for entry in queue:  # stopping: they stay pending in the table
                self._known.discard(entry.update_id)
            del self._chats[key]
            self._check_idle()

    async def _handle(self, entry: _Entry) -> str | None:
        """Feed one update until it is handled; ``done``, ``failed``, or None when stopping."""
        backoff: Backoff | None = None
        while True:
            async with self._slots:
                try:
                    response = await self.dp.feed_update(self.bot, entry.update, redelivered=entry.redelivered)
                    if isinstance(response, TelegramMethod):
                        await self.dp.silent_call_request(self.bot, response)
                    if backoff is not None:
                        log.info("update %s handled after %d attempts", entry.update_id, backoff.counter + 1)
                    return store.DONE
                except Exception as error:
                    which, why = dependencies.retried(error), dependencies.reason(error)
                    if which is None:
                        log.exception("update %s failed: %s", entry.update_id, error)
                        return store.FAILED
            backoff = backoff or Backoff(self.backoff)
            delay = max(0.0, next(backoff))
            entry.redelivered = True  # it may have got part of the way
            log.warning(
                "update %s waits: the %s is unreachable (%s); retry %d in %.1f s",
                entry.update_id,
                which,
                why,
                backoff.counter,
                delay,
            )
            if await self._sleep(delay):
                return None

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, cut short by ``stop``; True when stopping."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    # ------------------------------------------------------------------ marks (group commit)
    def _mark(self, update_id: int, status: str) -> None:
        self._marks[update_id] = status
        self._marks_ready.set()

    async def _flush(self) -> None:
        async with self._marks_lock:
            marks = dict(self._marks)
            async with self.sessions() as session:
                await store.finish(session, self.bot.id, marks, now=self.clock())
            for update_id in marks:
                del self._marks[update_id]

    async def _write_marks(self) -> None:
        backoff = Backoff(self.backoff)
        while not self._stopping.is_set():
            await self._marks_ready.wait()
            await self._sleep(MARK_LINGER_S)  # one write (one fsync) for the marks of a burst
            self._marks_ready.clear()
            while self._marks:
                try:
                    await self._flush()
                    backoff.reset()
                except Exception as error:  # noqa: BLE001 - kept and written at the next attempt
                    delay = max(0.0, next(backoff))
                    log.warning(
                        "could not mark %d finished updates (%s); retry in %.1f s",
                        len(self._marks),
                        dependencies.reason(error),
                        delay,
                    )
                    if await self._sleep(delay):
                        return  # stop() tries once more
            self._check_idle()

    def _check_idle(self) -> None:
        if not self._known and not self._marks:
            self._idle.set()

    # ------------------------------------------------------------------ leases
    async def take_over_expired(self) -> None:
        """Take over the pending rows whose lease ran out: their instance died (webhook mode)."""
        await self._take_over(expired_only=True)

    async def _take_over(self, *, expired_only: bool) -> None:
        async with self._accepting:
            async with self.sessions() as session:
                taken = await store.take_over(
                    session,
                    self.bot.id,
                    self.owner,
                    now=self.clock(),
                    lease=LEASE,
                    expired_only=expired_only,
                    max_attempts=MAX_ATTEMPTS,
                )
            if taken:
                log.info("taking over %d unfinished updates", taken)
            await self._queue_owned()

    async def _keep_leases(self) -> None:
        period = LEASE.total_seconds() / 3
        while not await self._sleep(period):
            try:
                async with self.sessions() as session:
                    await store.renew(session, self.bot.id, self.owner, now=self.clock(), lease=LEASE)
                if not self._take_over_all:
                    await self.take_over_expired()
            except Exception as error:  # noqa: BLE001 - next round
                log.warning("inbox lease upkeep failed: %s", dependencies.reason(error))


PURGE_JOB = "inbox:purge"
PURGE_EVERY = timedelta(hours=1)


def schedule_purge(jobs: Jobs, sessions: async_sessionmaker, clock: Clock, keep_days: float) -> None:
    """Every hour on the leading instance (``bot/jobs.py``), delete the updates finished more than
    ``keep_days`` ago by ``clock``."""
    keep = timedelta(days=keep_days)

    async def purge() -> None:
        try:
            async with sessions() as session:
                purged = await store.purge(session, before=clock() - keep)
        except Exception as error:  # noqa: BLE001 - the next hour tries again
            log.warning("could not purge the inbox: %s", dependencies.reason(error))
            return
        if purged:
            log.info("purged %d updates finished more than %g days ago", purged, keep_days)

    async def on_lead() -> None:
        jobs.scheduler.add_job(
            purge,
            trigger="interval",
            seconds=PURGE_EVERY.total_seconds(),
            start_date=clock() + PURGE_EVERY,
            id=PURGE_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    jobs.on_lead(on_lead)
