"""Telegram handlers of the campaigns feature."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.filters import MenuButton
from bot.keyboards.menu import BTN_SUBSCRIPTIONS, main_menu


async def subscriptions_soon(message: Message) -> None:
    await message.answer(
        _("🔔 Subscriptions to waste-free schools, communities, markets and factories open soon."),
        reply_markup=main_menu(),
    )


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(subscriptions_soon, Command("subscribe", "subscriptions"))
    router.message.register(subscriptions_soon, MenuButton(BTN_SUBSCRIPTIONS))
    return router
