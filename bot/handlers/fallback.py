"""Last router: whatever no feature claimed gets a friendly, useful answer."""

from __future__ import annotations

from collections import OrderedDict
from html import escape

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.keyboards.menu import main_menu


class _AlbumsSeen:
    """Media group ids already answered: an album arrives as one update per photo."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first(self, media_group_id: str | None) -> bool:
        if media_group_id is None:
            return True
        if media_group_id in self._ids:
            return False
        self._ids[media_group_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


async def unknown_command(message: Message) -> None:
    command = message.text.split()[0]
    await message.answer(
        _("I don't know the command {command}. Send /help to see what I can do.").format(command=escape(command)),
        reply_markup=main_menu(),
    )


async def other_content(message: Message, albums_seen: _AlbumsSeen) -> None:
    if not albums_seen.first(message.media_group_id):
        return  # one answer per album
    await message.answer(
        _(
            "I can't use this here. To report illegal dumping with a photo, tap "
            "“📸 Report dumping” first; to ask about an item, type its name."
        ),
        reply_markup=main_menu(),
    )


async def stale_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """A button no handler claimed (an old message, or a feature since removed)."""
    callback_answer.text = _("This button has expired. Send /start to begin again.")
    callback_answer.show_alert = True


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(unknown_command, F.text.startswith("/"))
    albums = _AlbumsSeen()

    async def other(message: Message) -> None:
        await other_content(message, albums)

    router.message.register(other)
    router.callback_query.register(stale_button)
    return router
