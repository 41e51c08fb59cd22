from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot import dependencies
from bot.i18n import N_, gettext_for

log = logging.getLogger("wufei.errors")

APOLOGY = N_("😥 Sorry, something went wrong on our side. Please try again in a moment.")
MEDIA_DOWN = N_(
    "😥 Sorry, photos cannot be stored right now. Please send it again in a few minutes; "
    "everything you gave before is kept."
)


class ErrorMiddleware(BaseMiddleware):
    """Logs every unhandled exception with the update id and apologises to the user.

    Except when the database or Redis is unreachable (``bot/dependencies.py``): that error goes on
    to the inbox, which keeps the update and handles it again once the service is back, so the
    user gets their answer rather than an apology. When the photos' storage is down, the user is
    told so (send it again later), with a warning in the log rather than a traceback."""

    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Exception as error:
            which = dependencies.down(error)
            if which in dependencies.RETRIED:
                raise
            update_id = event.update_id if isinstance(event, Update) else None
            if which == dependencies.MEDIA:
                log.warning("update %s: the media storage is down (%s)", update_id, dependencies.reason(error))
                await self._apologise(event, data, MEDIA_DOWN)
                return None
            log.exception("unhandled error in update %s", update_id)
            await self._apologise(event, data)
            return None

    async def _apologise(self, event: TelegramObject, data: dict[str, Any], msgid: str = APOLOGY) -> None:
        bot: Bot | None = data.get("bot")
        user = data.get("user")
        locale = user.language if user is not None else self.default_locale
        text = gettext_for(locale, msgid)
        try:
            if isinstance(event, Update) and event.callback_query is not None:
                await bot.answer_callback_query(event.callback_query.id, text, show_alert=True)
                return
            chat = data.get("event_chat")
            if bot is not None and chat is not None:
                await bot.send_message(chat.id, text)
        except Exception:  # noqa: BLE001 - the apology itself must never raise
            log.warning("could not send the apology for update %s", getattr(event, "update_id", None))
