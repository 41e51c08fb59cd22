"""Users and their roles, cached in process for the hot path (every update needs both).

Rules:
- An entry lives ``ttl`` seconds; after that the next update reads the row and the roles again (and
  ``touch_user`` writes last-seen if it is stale). A returning user within the TTL costs no SQL.
- Every change made through ``core.accounts`` (grant, revoke, language, blocked, config admins)
  drops the user's entry in every directory of this process at once, after the commit
  (``accounts.on_change``). An entry being loaded while such a change lands is not stored.
- Other instances hear of a change at once when Redis is configured: ``forgotten`` callbacks relay
  the id (``bot/cache_relay.py``), and the others call ``forget(uid, relay=False)``; without
  Redis (one instance) there is no one to tell.
- A Telegram name or username that differs from the cached one is a miss (the row is refreshed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core import accounts
from core.accounts import Roles, UserInfo


@dataclass(frozen=True, slots=True)
class _Entry:
    info: UserInfo
    roles: Roles
    loaded_at: float


class UserDirectory:
    def __init__(
        self, ttl: float = 30.0, max_entries: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[int, _Entry] = {}
        self._generation = 0
        self.forgotten: list[Callable[[int], None]] = []  # relays (Redis) hear of local changes
        accounts.on_change(self)

    def forget(self, user_id: int, *, relay: bool = True) -> None:
        self._generation += 1
        self._entries.pop(user_id, None)
        if relay:
            for callback in self.forgotten:
                callback(user_id)

    def cached(self, user_id: int, display_name: str, username: str | None) -> tuple[UserInfo, Roles] | None:
        entry = self._entries.get(user_id)
        if entry is None or self.clock() - entry.loaded_at >= self.ttl:
            return None
        info = entry.info
        if info.display_name != display_name[:256] or info.username != username or info.blocked_bot:
            return None
        return info, entry.roles

    async def load(
        self,
        session: AsyncSession,
        user_id: int,
        *,
        display_name: str,
        username: str | None,
        language_code: str | None,
        default_locale: str,
    ) -> tuple[UserInfo, Roles]:
        hit = self.cached(user_id, display_name, username)
        if hit is not None:
            return hit
        generation, started = self._generation, self.clock()
        info = await accounts.touch_user(
            session,
            user_id,
            display_name=display_name,
            username=username,
            language_code=language_code,
            default_locale=default_locale,
        )
        roles = await accounts.roles_of(session, user_id)
        if generation == self._generation:  # no change landed while we read
            if len(self._entries) >= self.max_entries:
                for old in list(self._entries)[: self.max_entries // 2]:
                    del self._entries[old]
            self._entries[user_id] = _Entry(info, roles, started)
        return info, roles
