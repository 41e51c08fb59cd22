from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import dependencies

log = logging.getLogger("wufei.db")


class DbSessionMiddleware(BaseMiddleware):
    """One ``AsyncSession`` per update, as ``session``; services commit what they write.

    Closing it after the handler is done cannot fail the update: if the database went away in
    between, what the handler did stands (the inbox would otherwise run it, and answer, again)."""

    def __init__(self, session_factory: async_sessionmaker) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self.session_factory()
        try:
            data["session"] = session
            return await handler(event, data)
        finally:
            try:
                # A session that never began a transaction holds nothing (a sorting question from
                # a known user, issue 16): closing it would only cost a greenlet switch.
                if session.in_transaction() or session.sync_session.identity_map:
                    await session.close()
            except Exception as error:
                if dependencies.down(error) is None:
                    raise
                log.warning("could not close an update's database session: %s", dependencies.reason(error))
