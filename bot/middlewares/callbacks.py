"""Every button press is answered (the spinner stops) by aiogram's ``CallbackAnswerMiddleware``.

A handler that has something to say sets ``callback_answer.text`` (a toast) and
``callback_answer.show_alert`` (an alert the person must dismiss); the answer goes once, after the
handler. Handlers never call ``query.answer()`` themselves: that would answer twice. When the
handler fails, the press is left to the error middleware, whose answer is the apology.

The answer is cosmetic. Telegram refuses it for a press older than about 15 minutes (a press
handled again after a restart, from the inbox): that is logged, not an error for the person.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer, CallbackAnswerMiddleware

log = logging.getLogger(__name__)


class CallbackAnswers(CallbackAnswerMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async def guarded(event: TelegramObject, data: dict[str, Any]) -> Any:
            try:
                return await handler(event, data)
            except Exception:
                data["callback_answer"].disable()  # the error middleware answers: the apology
                raise

        return await super().__call__(guarded, event, data)

    async def answer(self, event: CallbackQuery, callback_answer: CallbackAnswer) -> None:  # type: ignore[override]
        try:
            await super().answer(event, callback_answer)
        except TelegramBadRequest as error:
            log.info("button press %s not answered: %s", event.id, error.message)
