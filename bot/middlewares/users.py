from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User as TgUser

from core.accounts import Roles
from core.directory import UserDirectory


class UserMiddleware(BaseMiddleware):
    """Puts the sender as ``user`` (UserInfo) and their ``roles`` in the data, from the directory's
    cache when fresh; otherwise the row is inserted or refreshed (core/directory.py)."""

    def __init__(self, default_locale: str, directory: UserDirectory) -> None:
        self.default_locale = default_locale
        self.directory = directory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            data["user"] = None
            data["roles"] = Roles()
            return await handler(event, data)
        data["user"], data["roles"] = await self.directory.load(
            data["session"],
            tg_user.id,
            display_name=tg_user.full_name,
            username=tg_user.username,
            language_code=tg_user.language_code,
            default_locale=self.default_locale,
        )
        return await handler(event, data)
