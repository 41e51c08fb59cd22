"""Last router: whatever no feature claimed gets a friendly, useful answer."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.menu import main_menu

async def unknown_command(message: Message) -> None:
    command = message.text.split()[0]
    await message.answer(
        _("I don't know the command {command}. Send /help to see what I can do.").format(
            command=escape(command)
        ),
        reply_markup=main_menu(),
    )


async def other_content(message: Message) -> None:
    await message.answer(
        _(
            "I can't use this here. To report illegal dumping with a photo, tap "
            "“📸 Report dumping” first; to ask about an item, type its name."
        ),
        reply_markup=main_menu(),
    )


async def stale_button(query: CallbackQuery) -> None:
    """A button no handler claimed (an old message, or a feature since removed)."""
    await query.answer(_("This button has expired. Send /start to begin again."), show_alert=True)


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(other_content)
    router.callback_query.register(stale_button)
    return router
