"""Telegram handlers of the reports feature."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.filters import MenuButton
from bot.keyboards.menu import BTN_REPORT, main_menu


async def report_soon(message: Message) -> None:
    await message.answer(
        _("📸 Reporting illegal dumping through Wufei opens soon. Thank you for caring!"),
        reply_markup=main_menu(),
    )


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(report_soon, Command("report"))
    router.message.register(report_soon, MenuButton(BTN_REPORT))
    return router
