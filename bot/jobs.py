"""The app's timed work: one scheduler on the app's clock, run by one instance at a time.

Rules of this module:
- There is one ``ClockedScheduler`` per app (APScheduler on ``app.clock``): campaign runs and the
  report reminders are jobs on it; nobody runs a ``while True: sleep()`` loop of their own.
- Only the leader runs jobs. On PostgreSQL the leader holds a session-level advisory lock; the
  other instances try again every ``retry_s`` and one of them takes over (its features' ``on_lead``
  callbacks run then) when the leader stops or dies. SQLite means one process: it always leads.
- A feature registers ``on_lead`` (start its jobs: called once, when this instance becomes the
  leader) and optionally ``while_leading`` (called every ``retry_s`` while it leads, e.g. to follow
  changes other instances made). Callbacks that fail are logged; the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.clock import Clock
from core.scheduling import ClockedScheduler

log = logging.getLogger(__name__)

LOCK_KEY = 2026_1128_0301  # arbitrary: the PostgreSQL advisory lock of the instance that runs jobs
RETRY_S = 5.0

Callback = Callable[[], Awaitable[object]]


class Jobs:
    def __init__(self, engine: AsyncEngine, clock: Clock, *, retry_s: float = RETRY_S) -> None:
        self.engine = engine
        self.clock = clock
        self.retry_s = retry_s
        self.scheduler = ClockedScheduler(clock)
        self.leader = False
        self.stopping = False
        self._on_lead: list[Callback] = []
        self._while_leading: list[Callback] = []
        self._lock_conn: AsyncConnection | None = None
        self._loop_task: asyncio.Task | None = None

    def on_lead(self, callback: Callback) -> None:
        self._on_lead.append(callback)

    def while_leading(self, callback: Callback) -> None:
        self._while_leading.append(callback)

    async def start(self) -> None:
        if self.engine.dialect.name != "postgresql":
            await self._lead()
            return
        self._lock_conn = await self.engine.connect()
        if await self._try_lock():
            await self._lead()
        self._loop_task = asyncio.create_task(self._leadership_loop(), name="jobs-leadership")

    async def _try_lock(self) -> bool:
        assert self._lock_conn is not None
        result = await self._lock_conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        got = bool(result.scalar())
        await self._lock_conn.commit()  # a session-level lock outlives the transaction
        return got

    async def _lead(self) -> None:
        self.leader = True
        self.scheduler.start()
        for callback in self._on_lead:
            await self._run(callback)

    async def _run(self, callback: Callback) -> None:
        try:
            await callback()
        except Exception:
            log.exception("jobs: %s failed", getattr(callback, "__qualname__", callback))

    async def _leadership_loop(self) -> None:
        while not self.stopping:
            await asyncio.sleep(self.retry_s)
            try:
                if self.leader:
                    for callback in self._while_leading:
                        await self._run(callback)
                elif await self._try_lock():
                    log.info("jobs: this instance now runs the scheduled jobs")
                    await self._lead()
            except Exception:
                log.exception("jobs: leadership step failed")

    async def halt(self) -> None:
        """No job starts any more (what runs goes on: the features wait for it in their ``stop``)."""
        self.stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def release(self) -> None:
        """Give up leadership (after the features stopped) so another instance takes over."""
        if self._lock_conn is not None:
            try:
                if self.leader:
                    await self._lock_conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                    await self._lock_conn.commit()
            except Exception as error:  # noqa: BLE001 - a lost connection took the lock with it
                log.warning("jobs: could not release the leader lock (%s)", " ".join(str(error).split())[:200])
            finally:
                with contextlib.suppress(Exception):
                    await self._lock_conn.close()
                self._lock_conn = None
