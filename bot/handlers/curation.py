"""Curators: unanswered questions, "wrong answer" reports, new aliases and items from the chat."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import HasRole
from bot.handlers.admin import not_allowed
from bot.views.sorting import CATEGORIES, category_name
from core import accounts
from core.accounts import UserInfo
from core.models import Role
from knowledge import KbError, KnowledgeBase, curation

CURATOR_COMMANDS = ("unanswered", "wrong", "alias")
MAX_FIELD = 200


class CurCb(CallbackData, prefix="cur"):
    action: str  # pick, alias, new, cat, done
    ref: str


class Curate(StatesGroup):
    alias_target = State()
    new_category = State()
    new_en = State()
    new_tip_zh = State()
    new_tip_en = State()


async def unanswered(message: Message, session: AsyncSession, state: FSMContext, query_log: curation.QueryLog) -> None:
    await query_log.flush()  # the latest questions too
    rows = await curation.top_unanswered(session)
    if not rows:
        await message.answer(_("No unanswered questions in the last 30 days. 🎉"))
        return
    await state.set_data({"unanswered": [r.example for r in rows]})
    lines = [_("<b>Most frequent unanswered questions</b> (30 days)")]
    builder = InlineKeyboardBuilder()
    for index, row in enumerate(rows):
        lines.append(
            _("{n}. “{query}” — asked {count} times by {people} people").format(
                n=index + 1, query=escape(row.example), count=row.count, people=row.people
            )
        )
        builder.button(text=f"➕ {row.example}"[:60], callback_data=CurCb(action="pick", ref=str(index)))
    builder.adjust(1)
    await message.answer("\n".join(lines), reply_markup=builder.as_markup())


async def pick(query: CallbackQuery, callback_answer: CallbackAnswer, callback_data: CurCb, state: FSMContext) -> None:
    data = await state.get_data()
    examples = data.get("unanswered", [])
    index = int(callback_data.ref) if callback_data.ref.isdigit() else -1
    if not 0 <= index < len(examples):
        callback_answer.text = _("This list is out of date: send /unanswered again.")
        callback_answer.show_alert = True
        return
    term = examples[index]
    await state.update_data(term=term)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Another name of an item"), callback_data=CurCb(action="alias", ref="-"))
    builder.button(text=_("A new item"), callback_data=CurCb(action="new", ref="-"))
    builder.adjust(1)
    await query.message.answer(_("What is “{term}”?").format(term=escape(term)), reply_markup=builder.as_markup())


async def choose_alias(query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext) -> None:
    if not (await state.get_data()).get("term"):
        callback_answer.text = _("This list is out of date: send /unanswered again.")
        callback_answer.show_alert = True
        return
    await state.set_state(Curate.alias_target)
    await query.message.answer(_("Type the name of the existing item it should find (e.g. 电池)."))


async def alias_target(
    message: Message, state: FSMContext, kb: KnowledgeBase, session: AsyncSession, user: UserInfo
) -> None:
    term = (await state.get_data()).get("term")
    await _add_alias(message, kb, session, user, (message.text or "").strip(), term)
    await state.clear()


async def alias_command(
    message: Message, command: CommandObject, kb: KnowledgeBase, session: AsyncSession, user: UserInfo
) -> None:
    target, sep, alias = (command.args or "").partition("=")
    if not sep or not target.strip() or not alias.strip():
        await message.answer(
            _("Usage: <code>/alias item = another name</code>, e.g. <code>/alias 电池 = 5号电池</code>")
        )
        return
    await _add_alias(message, kb, session, user, target.strip(), alias.strip())


async def _add_alias(message, kb, session, user, target: str, alias: str | None) -> None:
    if not alias or len(alias) > MAX_FIELD:
        await message.answer(_("That name is empty or too long."))
        return
    item = kb.get(target)
    if item is None:
        await message.answer(
            _("I can't find the item “{name}”. Type its exact name or an alias.").format(name=escape(target))
        )
        return
    try:
        name = await curation.add_alias(session, kb, user.id, item.name, alias)
    except KbError as error:
        await message.answer(_("Not added: {reason}").format(reason=escape(str(error))))
        return
    await accounts.audit(session, user.id, "kb.alias", name, {"alias": alias})
    await message.answer(_("✅ “{alias}” now finds {item}.").format(alias=escape(alias), item=escape(name)))


async def choose_new(
    query: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, kb: KnowledgeBase, user: UserInfo
) -> None:
    if not (await state.get_data()).get("term"):
        callback_answer.text = _("This list is out of date: send /unanswered again.")
        callback_answer.show_alert = True
        return
    await state.set_state(Curate.new_category)
    builder = InlineKeyboardBuilder()
    for index, category in enumerate(CATEGORIES):
        builder.button(
            text=category_name(kb, category, user.language), callback_data=CurCb(action="cat", ref=str(index))
        )
    builder.adjust(2)
    await query.message.answer(_("Which category under Wuxi's rules?"), reply_markup=builder.as_markup())


async def new_category(query: CallbackQuery, callback_data: CurCb, state: FSMContext) -> None:
    if not callback_data.ref.isdigit() or int(callback_data.ref) >= len(CATEGORIES):
        return
    await state.update_data(category=CATEGORIES[int(callback_data.ref)])
    await state.set_state(Curate.new_en)
    await query.message.answer(_("Its English name?"))


async def _field(message: Message) -> str | None:
    text = (message.text or "").strip()
    if not text or len(text) > MAX_FIELD:
        await message.answer(_("Please send a short text (up to {n} characters).").format(n=MAX_FIELD))
        return None
    return text


async def new_en(message: Message, state: FSMContext) -> None:
    if (text := await _field(message)) is None:
        return
    await state.update_data(en=text.lower())
    await state.set_state(Curate.new_tip_zh)
    await message.answer(_("A short disposal tip in Chinese?"))


async def new_tip_zh(message: Message, state: FSMContext) -> None:
    if (text := await _field(message)) is None:
        return
    await state.update_data(tip_zh=text)
    await state.set_state(Curate.new_tip_en)
    await message.answer(_("The same tip in English?"))


async def new_tip_en(
    message: Message, state: FSMContext, kb: KnowledgeBase, session: AsyncSession, user: UserInfo
) -> None:
    if (text := await _field(message)) is None:
        return
    data = await state.get_data()
    item = {
        "name": data["term"],
        "en": [data["en"]],
        "category": data["category"],
        "tip": {"zh": data["tip_zh"], "en": text},
    }
    try:
        name = await curation.add_item(session, kb, user.id, item)
    except (KbError, ValueError) as error:
        await message.answer(_("Not added: {reason}").format(reason=escape(str(error))))
        await state.clear()
        return
    await accounts.audit(session, user.id, "kb.item", name, {"category": data["category"]})
    await state.clear()
    await message.answer(_("✅ Added {item}. Residents get the answer from now on.").format(item=escape(name)))


async def wrong_reports(
    message: Message, session: AsyncSession, state: FSMContext, kb: KnowledgeBase, user: UserInfo
) -> None:
    rows = await curation.open_feedback(session)
    if not rows:
        await message.answer(_("No open “wrong answer” reports."))
        return
    await state.set_data({"feedback": [r.query for r in rows]})
    lines = [_("<b>“Wrong answer” reports</b>")]
    builder = InlineKeyboardBuilder()
    for index, row in enumerate(rows):
        given = category_name(kb, row.category, user.language) if row.category else "—"
        expected = category_name(kb, row.suggested, user.language) if row.suggested else "?"
        lines.append(
            _("{n}. “{query}” → {item} ({given}); residents expected {expected} ×{count}").format(
                n=index + 1,
                query=escape(row.query),
                item=escape(row.item or "—"),
                given=escape(given),
                expected=escape(expected),
                count=row.count,
            )
        )
        builder.button(
            text=_("✔ Handled: {query}").format(query=row.query)[:60],
            callback_data=CurCb(action="done", ref=str(index)),
        )
    builder.adjust(1)
    await message.answer("\n".join(lines), reply_markup=builder.as_markup())


async def feedback_done(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: CurCb,
    state: FSMContext,
    session: AsyncSession,
    user: UserInfo,
) -> None:
    queries = (await state.get_data()).get("feedback", [])
    index = int(callback_data.ref) if callback_data.ref.isdigit() else -1
    if not 0 <= index < len(queries):
        callback_answer.text = _("This list is out of date: send /wrong again.")
        callback_answer.show_alert = True
        return
    closed = await curation.close_feedback(session, queries[index], user.id)
    await accounts.audit(session, user.id, "kb.feedback_handled", queries[index], {"reports": closed})
    callback_answer.text = _("Marked as handled.")


def build() -> Router:
    router = Router(name=__name__)
    staff = Router(name=__name__ + ".curators")
    staff.message.filter(HasRole(Role.CURATOR))
    staff.callback_query.filter(HasRole(Role.CURATOR))
    staff.message.register(unanswered, Command("unanswered"))
    staff.message.register(wrong_reports, Command("wrong"))
    staff.message.register(alias_command, Command("alias"))
    staff.callback_query.register(pick, CurCb.filter(F.action == "pick"))
    staff.callback_query.register(choose_alias, CurCb.filter(F.action == "alias"))
    staff.callback_query.register(choose_new, CurCb.filter(F.action == "new"))
    staff.callback_query.register(new_category, CurCb.filter(F.action == "cat"), Curate.new_category)
    staff.callback_query.register(feedback_done, CurCb.filter(F.action == "done"))
    staff.message.register(alias_target, Curate.alias_target)
    staff.message.register(new_en, Curate.new_en)
    staff.message.register(new_tip_zh, Curate.new_tip_zh)
    staff.message.register(new_tip_en, Curate.new_tip_en)
    denied = Router(name=__name__ + ".denied")
    denied.message.register(not_allowed, Command(*CURATOR_COMMANDS))
    denied.callback_query.register(_denied_button, CurCb.filter())
    router.include_routers(staff, denied)
    return router


async def _denied_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("⛔ This command is for staff only.")
    callback_answer.show_alert = True
