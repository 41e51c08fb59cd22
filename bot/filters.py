from __future__ import annotations

from typing import Any

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import Message

from bot.i18n import texts_for
from core.accounts import Roles
from core.models import Role


class HasRole(Filter):
    """Passes when the caller holds ``role`` (admins hold every role). Set it on routers."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, _event, roles: Roles) -> bool:
        return roles.has(self.role)


class MenuButton(Filter):
    """A reply-keyboard button press, in whichever language the keyboard was sent."""

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text in texts_for(self.msgid)


class PlainQuestion(Filter):
    """Plain text in a private chat outside any flow: a sorting question.

    Not a command, not a reply-keyboard button, not a card the person picked from this bot's inline
    mode, no conversation state, no report draft left by an earlier run (the reports router resumes
    it). Async and cheap, so plain text can meet the sorting router early without walking every
    staff and flow router (aiogram runs plain functions and magic filters in a thread).
    """

    def __init__(self, *buttons: str) -> None:
        self.buttons = buttons
        self._texts: frozenset[str] | None = None  # the buttons in every language, looked up once

    async def __call__(
        self, message: Message, raw_state: str | None = None, user: Any = None, reports: Any = None, bot: Any = None
    ) -> bool:
        text = message.text
        if not text or text.startswith("/") or raw_state is not None or message.chat.type != ChatType.PRIVATE:
            return False
        if message.via_bot is not None and bot is not None and message.via_bot.id == bot.id:
            return False
        if user is not None and reports is not None and user.id in reports.lost_draft_users:
            return False
        if self._texts is None:
            self._texts = frozenset().union(*(texts_for(button) for button in self.buttons))
        return text not in self._texts
