from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder

from bot.i18n import N_, gettext_for

BTN_SORT = N_("🔍 Sort an item")
BTN_REPORT = N_("📸 Report dumping")
BTN_SUBSCRIPTIONS = N_("🔔 Subscriptions")
BTN_LANGUAGE = N_("🌐 Language")
BTN_HELP = N_("❓ Help")
MENU_BUTTONS = (BTN_SORT, BTN_REPORT, BTN_SUBSCRIPTIONS, BTN_LANGUAGE, BTN_HELP)

LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}


class LanguageCb(CallbackData, prefix="lang"):
    code: str


def main_menu(locale: str | None = None) -> ReplyKeyboardMarkup:
    """The menu, in the current update's language (or ``locale``'s, outside an update)."""
    t = _ if locale is None else (lambda text: gettext_for(locale, text))
    builder = ReplyKeyboardBuilder()
    for label in MENU_BUTTONS:
        builder.button(text=t(label))
    builder.adjust(2, 3)
    return builder.as_markup(
        resize_keyboard=True, is_persistent=True, input_field_placeholder=t("Type an item, e.g. battery")
    )


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        builder.button(text=("✅ " if code == current else "") + name, callback_data=LanguageCb(code=code))
    return builder.as_markup()
