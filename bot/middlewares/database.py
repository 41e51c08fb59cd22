from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import dependencies

log = logging.getLogger("wufei.db")


class DbSessionMiddleware(BaseMiddleware):
    """One ``AsyncSession`` per update, as ``session``; services commit what they write.

    Closing it after the handler is done cannot fail the update: if the database went away in
    between, what the handler did stands (the inbox would otherwise run it, and answer, again).

    A session the update never used (no transaction begun, nothing loaded, added or noted in its
    ``info``: a sorting question from a known user, issue 16) is in the state of a new one: it is
    kept for a later update rather than made again (making one costs more than the rest of this
    middleware). Each is lent to one update at a time."""

    IDLE_MAX = 32

    def __init__(self, session_factory: async_sessionmaker) -> None:
        self.session_factory = session_factory
        self._idle: list[AsyncSession] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self._idle.pop() if self._idle else self.session_factory()
        try:
            data["session"] = session
            return await handler(event, data)
        finally:
            try:
                if _untouched(session):
                    if len(self._idle) < self.IDLE_MAX:
                        self._idle.append(session)
                else:
                    await session.close()
            except Exception as error:
                if dependencies.down(error) is None:
                    raise
                log.warning("could not close an update's database session: %s", dependencies.reason(error))


def _untouched(session: AsyncSession) -> bool:
    sync = session.sync_session
    return not (sync.in_transaction() or sync.identity_map or sync.new or sync.deleted or sync.info)
