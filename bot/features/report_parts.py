"""The reports feature's long-lived parts, one object per concern, each built with what it needs.

``ReportsRuntime`` (bot/features/reports.py) composes them; handlers reach them through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class UserLocks:
    """One lock per person, so two updates of one person (album photos) run one after the other.

    A lock lives while someone holds or waits for it: the table does not grow with every person who
    ever wrote (it did, as a plain dict)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def of(self, user_id: int) -> asyncio.Lock:
        lock = self._locks.get(user_id)
        if lock is None:
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    def __len__(self) -> int:
        return len(self._locks)


class AlbumCollector:
    """Album photos arrive as separate updates: one answer, ``wait_s`` after the last of them.

    ``notes`` gathers what the answer should mention (a photo refused, say), by album key."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        self.notes: dict[Any, list[str]] = {}
        self._pending: dict[Any, asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()

    def debounce(self, key: Any, factory: Callable[[], Awaitable]) -> None:
        """Run ``factory()`` once, ``wait_s`` after the last call with this key."""
        old = self._pending.pop(key, None)
        if old is not None:
            old.cancel()

        async def later() -> None:
            await asyncio.sleep(self.wait_s)
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]
            try:
                await factory()
            except Exception:
                log.exception("album answer failed")

        task = asyncio.ensure_future(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._pending[key] = task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task


class LostDrafts:
    """Drafts another process left (before a restart) are resumed; this process's own are not.

    Only with in-memory conversation state (``enabled``): Redis keeps the state across restarts, and
    with several instances a draft written by another one is no sign of a lost state. ``users`` are
    the people whose draft an earlier run left: only they cost a lookup per message."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.instance = uuid.uuid4().hex[:12]
        self.users: set[int] = set()
