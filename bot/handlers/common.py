"""/start, /help, /language, /cancel and the main menu."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n, gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import MenuButton
from bot.keyboards.menu import (
    BTN_HELP,
    BTN_LANGUAGE,
    LANGUAGE_NAMES,
    LanguageCb,
    language_keyboard,
    main_menu,
)
from core import accounts
from core.accounts import Roles, UserInfo
from core.models import Role


def help_text() -> str:
    return _(
        "<b>What I can do</b>\n"
        "🔍 Send the name of any item (电池, 外卖盒, pizza box…) and I tell you which bin it goes in.\n"
        "📸 /report — report illegal dumping with a photo and a location; /myreports — follow your reports.\n"
        "🔔 /subscribe — get news of waste-free schools, communities, markets and factories.\n"
        "🌐 /language — 中文 / English.\n"
        "✖️ /cancel — stop what you are doing at any step."
    )


async def start(message: Message, state: FSMContext, user: UserInfo) -> None:
    await state.clear()
    await message.answer(
        _(
            "👋 Hi {name}! I'm <b>Wufei</b> (无废), the assistant of Jiangyin's waste-free city.\n\n"
            "Ask me which bin an item goes in, report illegal dumping, or follow waste-free "
            "activities near you. Type an item, e.g. <i>battery</i>, or choose below."
        ).format(name=_html(user.display_name) or _("there")),
        reply_markup=main_menu(),
    )


def staff_help(roles: Roles) -> str:
    """The commands of the roles the reader holds (staff only)."""
    lines = []
    if roles.has(Role.UNIT_HANDLER):
        lines.append(_("🏛 Unit handlers: /bindunit in your group, /reports"))
    if roles.has(Role.CAMPAIGN_STAFF):
        lines.append(_("📣 Campaign staff: /cells, /newcell, /newcampaign, /campaigns"))
    if roles.has(Role.CURATOR):
        lines.append(_("📚 Curators: /unanswered, /wrong, /alias"))
    if roles.has(Role.ADMIN):
        lines.append(_("🔑 Admins: /grant, /revoke, /staff, /audit, /stats"))
    return ("\n\n<b>" + _("Staff") + "</b>\n" + "\n".join(lines)) if lines else ""


async def show_help(message: Message, roles: Roles) -> None:
    await message.answer(help_text() + staff_help(roles), reply_markup=main_menu())


async def choose_language(message: Message, user: UserInfo) -> None:
    await message.answer(_("Choose your language / 选择语言:"), reply_markup=language_keyboard(user.language))


async def set_language(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: LanguageCb,
    session: AsyncSession,
    user: UserInfo,
    i18n: I18n,
) -> None:
    if callback_data.code not in LANGUAGE_NAMES:
        callback_answer.text = _("That language is not available.")
        callback_answer.show_alert = True
        return
    await accounts.set_language(session, user.id, callback_data.code)
    with i18n.use_locale(callback_data.code):
        if query.message is not None:
            await query.message.edit_reply_markup(reply_markup=language_keyboard(callback_data.code))
            await query.message.answer(
                _("Language set to {language}.").format(language=LANGUAGE_NAMES[callback_data.code]),
                reply_markup=main_menu(),
            )


async def cancel(
    message: Message, state: FSMContext, session: AsyncSession, user: UserInfo, cancel_hooks: list
) -> None:
    """Leaves any flow at any step. Features whose drafts live elsewhere (the database) register a
    hook in ``dp["cancel_hooks"]``: ``async (session, user, chat) -> bool`` (True if it discarded
    something)."""
    had_state = await state.get_state() is not None
    await state.clear()
    discarded = [await hook(session, user, message.chat) for hook in cancel_hooks]
    if not had_state and not any(discarded):
        await message.answer(_("There is nothing to cancel."), reply_markup=main_menu())
        return
    await message.answer(_("Cancelled. Nothing was sent."), reply_markup=main_menu())


def _html(text: str) -> str:
    return escape(text or "")


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(cancel, Command("cancel"), StateFilter("*"))
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, MenuButton(BTN_HELP))
    router.message.register(choose_language, Command("language"))
    router.message.register(choose_language, MenuButton(BTN_LANGUAGE))
    router.callback_query.register(set_language, LanguageCb.filter())
    return router
