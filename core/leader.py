"""One leader among several instances, for work that must run once (scheduler, outbox sender).

On PostgreSQL a session-level advisory lock is held on a dedicated connection for as long as the
instance leads; if the process dies, the connection closes and another instance takes over at its
next attempt. SQLite means a single instance, which always leads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    def __init__(self, engine: AsyncEngine, name: str, retry_s: float = 15.0) -> None:
        self.engine = engine
        self.name = name
        self.retry_s = retry_s
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task | None = None
        self.leading = asyncio.Event()

    async def try_acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            self.leading.set()
            return True
        connection = await self.engine.connect()
        got = (await connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(self.name)})).scalar()
        if got:
            await connection.commit()
            self._connection = connection
            self.leading.set()
            return True
        await connection.close()
        return False

    def run_when_leading(self, on_lead: Callable[[], Awaitable[None]]) -> None:
        """Calls ``on_lead`` once this instance becomes the leader (now or later)."""

        async def loop() -> None:
            while not await self.try_acquire():
                log.info("%s: another instance leads; retrying in %ss", self.name, self.retry_s)
                await asyncio.sleep(self.retry_s)
            log.info("%s: this instance leads", self.name)
            await on_lead()

        self._task = asyncio.create_task(loop())

    async def release(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(self.name)})
            finally:
                await self._connection.close()
                self._connection = None
        self.leading.clear()
