"""Sorting questions: any plain text outside a flow, /sort, the menu button, inline mode."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import MenuButton, PlainQuestion
from bot.keyboards.menu import BTN_SORT, MENU_BUTTONS
from bot.views import sorting as view
from bot.views.sorting import SortCb
from core.accounts import UserInfo
from knowledge import KnowledgeBase, Verdict, curation

MAX_ITEMS_PER_MESSAGE = 5
MAX_QUERY_LENGTH = 200


async def _send_verdict(message: Message, kb: KnowledgeBase, verdict: Verdict, locale: str, log_id: int | None) -> None:
    if verdict.answered and verdict.item is None:
        await message.answer(
            view.close_category(kb, verdict, locale), reply_markup=view.card_keyboard(verdict, log_id, locale)
        )
    elif verdict.answered:
        await message.answer(view.card(kb, verdict, locale), reply_markup=view.card_keyboard(verdict, log_id, locale))
    elif verdict.confidence == "ambiguous" and verdict.alternatives:
        text, markup = view.did_you_mean(verdict, kb)
        await message.answer(text, reply_markup=markup)
    else:
        await message.answer(view.unknown(verdict.query))


async def answer_query(
    message: Message, text: str, kb: KnowledgeBase, query_log: curation.QueryLog, user: UserInfo, pseudonym
) -> None:
    text = text.strip()
    if len(text) > MAX_QUERY_LENGTH:
        await message.answer(
            _("That is a long message. Please send just the item's name (up to {n} characters).").format(
                n=MAX_QUERY_LENGTH
            )
        )
        return
    card_key = kb.card_for(text)
    if card_key is not None:  # "有害垃圾有哪些": the category itself, not an item
        await message.answer(view.stream_card(kb, card_key, user.language))
        return
    verdict = kb.classify(text)
    log_id = await query_log.add(pseudonym(user.id), text, verdict)
    for part in [verdict, *verdict.items][:MAX_ITEMS_PER_MESSAGE]:
        await _send_verdict(message, kb, part, user.language, log_id)


async def plain_text(
    message: Message, kb: KnowledgeBase, query_log: curation.QueryLog, user: UserInfo, pseudonym
) -> None:
    await answer_query(message, message.text, kb, query_log, user, pseudonym)


async def sort_command(
    message: Message,
    command: CommandObject,
    kb: KnowledgeBase,
    query_log: curation.QueryLog,
    user: UserInfo,
    pseudonym,
) -> None:
    if command.args:
        await answer_query(message, command.args, kb, query_log, user, pseudonym)
    else:
        await prompt(message)


async def prompt(message: Message) -> None:
    await message.answer(
        _(
            "🔍 Type the name of an item, e.g. <i>battery</i>, <i>外卖盒</i> or <i>pizza box</i>. "
            "Several items at once work too: <i>电池和塑料瓶</i>."
        )
    )


async def show_item(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: SortCb,
    kb: KnowledgeBase,
    user: UserInfo,
    item_refs,
    query_log: curation.QueryLog,
    pseudonym,
) -> None:
    name = item_refs.resolve(callback_data.ref)
    if name is None:
        callback_answer.text = _("This item is no longer in the list.")
        callback_answer.show_alert = True
        return
    verdict = kb.classify(name)
    if not verdict.answered or verdict.item != name:
        verdict = _verdict_for(kb, name)
    # logged like a question, so the card carries the same "wrong answer?" button as any card
    log_id = await query_log.add(pseudonym(user.id), name, verdict, source="choice")
    await query.message.answer(
        view.card(kb, verdict, user.language), reply_markup=view.card_keyboard(verdict, log_id, user.language)
    )


def _verdict_for(kb: KnowledgeBase, name: str) -> Verdict:
    item = kb.get(name)
    return Verdict(
        query=name,
        category=item.category.value,
        item=item.name,
        stream=item.stream.value if item.stream else None,
        confidence="sure",
        tip=item.tip.as_dict() if item.tip else None,
        note=item.note.as_dict() if item.note else None,
    )


async def wrong_answer(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: SortCb,
    session: AsyncSession,
    kb: KnowledgeBase,
    user: UserInfo,
    query_log: curation.QueryLog,
    pseudonym,
) -> None:
    row = await _own_question(session, query_log, callback_data.ref, user, pseudonym)
    if row is None:
        callback_answer.text = _("This button has expired. Send /start to begin again.")
        callback_answer.show_alert = True
        return
    await query.message.answer(
        _("Thanks for telling us. Which bin did you expect for “{item}”?").format(
            item=view.display_name(kb, row.item or row.query, user.language)
        ),
        reply_markup=view.feedback_keyboard(row.id, kb, user.language),
    )


async def _own_question(session: AsyncSession, query_log: curation.QueryLog, log_id: str, user: UserInfo, pseudonym):
    """The logged question behind a feedback button, if it is this user's own (data can be forged)."""
    await query_log.flush()  # the question may still be waiting to be written
    row = await curation.get_query(session, int(log_id)) if log_id.isdigit() else None
    return row if row is not None and row.user_hash == pseudonym(user.id) else None


async def expected_category(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: SortCb,
    session: AsyncSession,
    user: UserInfo,
    pseudonym,
    query_log: curation.QueryLog,
    kb: KnowledgeBase,
) -> None:
    log_id, _sep, choice = callback_data.ref.partition(".")
    row = await _own_question(session, query_log, log_id, user, pseudonym)
    if row is None:
        callback_answer.text = _("This button has expired. Send /start to begin again.")
        callback_answer.show_alert = True
        return
    suggested = view.CATEGORIES[int(choice)] if choice.isdigit() and int(choice) < 4 else None
    await curation.add_feedback(session, row.user_hash, row.query, row.item, row.category, suggested)
    if query.message is not None:
        await query.message.edit_text(
            _("🙏 Thank you! A curator will check the answer for “{query}”.").format(
                query=view.display_name(kb, row.item, user.language) if row.item else escape(row.query)
            )
        )


async def inline_search(inline_query: InlineQuery, kb: KnowledgeBase, user: UserInfo) -> None:
    text = inline_query.query.strip()[:MAX_QUERY_LENGTH]
    results = []
    if text:
        seen = set()
        verdict = kb.classify(text)
        names = [verdict.item] if verdict.answered and verdict.item else []
        names += [hit.item.name for hit in kb.search(text, 10)]
        for name in names:
            if name in seen or len(results) >= 10:
                continue
            seen.add(name)
            item_verdict = verdict if name == verdict.item else _verdict_for(kb, name)
            category = view.category_name(kb, item_verdict.category, user.language)
            results.append(
                InlineQueryResultArticle(
                    id=view.item_ref(name),
                    title=f"{view.plain_name(kb, name, user.language)} → {category}",
                    description=(item_verdict.tip or {}).get(user.language) or "",
                    input_message_content=InputTextMessageContent(
                        message_text=view.card(kb, item_verdict, user.language)
                    ),
                )
            )
    await inline_query.answer(results, cache_time=60, is_personal=False)


async def _via_this_bot(message: Message, bot: Bot) -> bool:
    return message.via_bot is not None and message.via_bot.id == bot.id


async def own_inline_result(message: Message) -> None:
    """A card the person picked in inline mode and sent here: already an answer, not a question."""


def register(router: Router) -> None:
    """The sorting handlers on ``router`` (the dispatcher itself in the app: one router level less for
    most updates, issue 16)."""
    # Plain text first: the one filter most updates meet (it leaves out commands, buttons, flows and
    # the bot's own inline results).
    router.message.register(plain_text, PlainQuestion(*MENU_BUTTONS))
    router.message.register(own_inline_result, _via_this_bot)
    router.message.register(sort_command, Command("sort"), F.chat.type == ChatType.PRIVATE)
    router.message.register(prompt, MenuButton(BTN_SORT))
    router.callback_query.register(show_item, SortCb.filter(F.action == "i"))
    router.callback_query.register(wrong_answer, SortCb.filter(F.action == "w"))
    router.callback_query.register(expected_category, SortCb.filter(F.action == "c"))
    router.inline_query.register(inline_search)
