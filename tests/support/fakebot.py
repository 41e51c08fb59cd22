"""A fake Bot API session and a client that feeds real ``Update`` objects through the Dispatcher.

In the style of aiogram's own ``MockedSession``: every API call is recorded; a call for which no
responder exists is an error the test sees (it is raised inside the handler *and* recorded, since
our error middleware would otherwise swallow it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    DeleteMessage,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendChatAction,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User as TgUser,
)

BOT_USER = TgUser(id=123456789, is_bot=True, first_name="Wufei", username="wufei_bot")


def _inline_only(markup):
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


class UnexpectedCall(AssertionError):
    pass


class FakeSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod] = []
        self.unexpected: list[str] = []
        self._ids = itertools.count(1000)
        self.responders: dict[type, Callable[[TelegramMethod], Any]] = {
            GetMe: lambda m: BOT_USER,
            DeleteWebhook: lambda m: True,
            SetMyCommands: lambda m: True,
            SendChatAction: lambda m: True,
            AnswerCallbackQuery: lambda m: True,
            AnswerInlineQuery: lambda m: True,
            DeleteMessage: lambda m: True,
            SendMessage: self._message,
            EditMessageText: self._edited,
            EditMessageReplyMarkup: self._edited,
        }
        self.failures: dict[type, Exception] = {}

    def _message(self, method: SendMessage) -> Message:
        return Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=int(method.chat_id), type="private"),
            from_user=BOT_USER,
            text=method.text,
            reply_markup=_inline_only(method.reply_markup),
        )

    def _edited(self, method) -> Message | bool:
        return Message(
            message_id=method.message_id or 0,
            date=datetime.now(UTC),
            chat=Chat(id=int(method.chat_id or 0), type="private"),
            from_user=BOT_USER,
            text=getattr(method, "text", None) or "",
            reply_markup=_inline_only(method.reply_markup),
        )

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        self.calls.append(method)
        if type(method) in self.failures:
            raise self.failures[type(method)]
        responder = self.responders.get(type(method))
        if responder is None:
            self.unexpected.append(type(method).__name__)
            raise UnexpectedCall(f"unexpected Bot API call {type(method).__name__}")
        return responder(method)

    async def stream_content(self, *args, **kwargs):  # pragma: no cover - not used
        raise UnexpectedCall("stream_content")
        yield b""

    async def close(self) -> None:
        pass


class Person:
    """A Telegram user talking to the bot in a private chat."""

    _ids = itertools.count(1)

    def __init__(self, client: Client, user_id: int, name: str, language_code: str | None) -> None:
        self.client = client
        self.tg = TgUser(id=user_id, is_bot=False, first_name=name, language_code=language_code)
        self.chat = Chat(id=user_id, type="private", first_name=name)

    def _message(self, text: str) -> Message:
        return Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.tg,
            text=text,
        )

    async def send(self, text: str) -> list[TelegramMethod]:
        """Send ``text``; returns the API calls the bot made while handling it."""
        return await self.client.feed(Update(update_id=self.client.next_update_id(), message=self._message(text)))

    async def press(self, data: str, message: Message | None = None) -> list[TelegramMethod]:
        query = CallbackQuery(
            id=str(next(self._ids)),
            from_user=self.tg,
            chat_instance="ci",
            data=data,
            message=message or self._message("(bot message)"),
        )
        return await self.client.feed(Update(update_id=self.client.next_update_id(), callback_query=query))


class Client:
    def __init__(self, dp: Dispatcher, bot: Bot, session: FakeSession, settle=None) -> None:
        """``settle``: awaited after each update, e.g. until the outbox has sent what it owes."""
        self.settle = settle
        self.dp = dp
        self.bot = bot
        self.session = session
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(10_001)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def person(self, name: str = "Alice", language_code: str | None = "zh-hans", user_id: int | None = None) -> Person:
        return Person(self, user_id or next(self._user_ids), name, language_code)

    async def feed(self, update: Update) -> list[TelegramMethod]:
        before = len(self.session.calls)
        await self.dp.feed_update(self.bot, update)
        if self.settle is not None:
            await self.settle()
        return self.session.calls[before:]


def last_message(calls: list[TelegramMethod]) -> TelegramMethod:
    """The bot's last message or edit in ``calls``; the press's own answer (CallbackAnswerMiddleware
    sends it after the handler) is not a message."""
    return [c for c in calls if not isinstance(c, AnswerCallbackQuery)][-1]


def toast(calls: list[TelegramMethod]) -> str | None:
    """The text of the press's answer (a toast or an alert), if it said anything."""
    return next((c.text for c in calls if isinstance(c, AnswerCallbackQuery) and c.text), None)


def texts(calls: list[TelegramMethod]) -> list[str]:
    """What the user saw: message texts and callback answers, in order."""
    out = []
    for call in calls:
        if isinstance(call, (SendMessage, EditMessageText)):
            out.append(call.text)
        elif isinstance(call, AnswerCallbackQuery) and call.text:
            out.append(call.text)
    return out


def reply_buttons(call: SendMessage) -> list[str]:
    markup = call.reply_markup
    if isinstance(markup, ReplyKeyboardMarkup):
        return [b.text for row in markup.keyboard for b in row]
    if isinstance(markup, InlineKeyboardMarkup):
        return [b.text for row in markup.inline_keyboard for b in row]
    return []


def inline_data(call: SendMessage) -> dict[str, str]:
    markup = call.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup), "expected an inline keyboard"
    return {b.text: b.callback_data for row in markup.inline_keyboard for b in row}


def add_router_before_fallback(dp: Dispatcher, router) -> None:
    """Test-only handlers go just before the fallback router (which would take everything)."""
    root = next(r for r in dp.sub_routers if r.name == "wufei")
    root.include_router(router)
    root.sub_routers.insert(len(root.sub_routers) - 2, root.sub_routers.pop())
