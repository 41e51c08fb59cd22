from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from core import accounts
from core.accounts import Roles


class UserMiddleware(BaseMiddleware):
    """Upserts the sender on every update and puts ``user`` (UserInfo) and ``roles`` in the data."""

    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

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
        session = data["session"]
        data["user"] = await accounts.touch_user(
            session,
            tg_user.id,
            display_name=tg_user.full_name,
            username=tg_user.username,
            language_code=tg_user.language_code,
            default_locale=self.default_locale,
        )
        data["roles"] = await accounts.roles_of(session, tg_user.id)
        return await handler(event, data)
