from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User


class FloodLimitMiddleware(BaseMiddleware):
    """Per-user sliding window: past ``limit`` updates in ``window`` seconds, updates are dropped.

    The sender is told once per window; other users are not affected. The state is per process
    (several instances each apply the limit to the updates they receive).
    """

    def __init__(
        self,
        limit: int,
        window: float,
        notify: Callable[[TelegramObject, dict[str, Any]], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.notify = notify
        self.clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}

    def _over(self, user_id: int) -> bool:
        now = self.clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return True
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle users now and then
            for uid in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.window]:
                self._hits.pop(uid, None)
                self._warned_until.pop(uid, None)
        return False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot or not self._over(user.id):
            return await handler(event, data)
        now = self.clock()
        if self._warned_until.get(user.id, 0) <= now:
            self._warned_until[user.id] = now + self.window
            await self.notify(event, data)
        return None
