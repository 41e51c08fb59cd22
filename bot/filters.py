from __future__ import annotations

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
