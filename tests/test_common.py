"""Dispatcher-level tests of the common handlers, through the real Dispatcher and middlewares."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage
from aiogram.types import Message

from core import accounts
from tests.support.fakebot import add_router_before_fallback, inline_data, reply_buttons, texts


async def test_start_greets_in_chinese_with_the_main_menu(client):
    alice = client.person("Alice", "zh-hans")
    calls = await alice.send("/start")
    assert len(calls) == 1 and isinstance(calls[0], SendMessage)
    assert "无废" in calls[0].text and "Alice" in calls[0].text
    assert reply_buttons(calls[0]) == ["🔍 分类查询", "📸 举报乱倒", "🔔 活动订阅", "🌐 语言 Language", "❓ 帮助"]


async def test_english_telegram_client_gets_english(client):
    bob = client.person("Bob", "en-US")
    calls = await bob.send("/start")
    assert "I'm <b>Wufei</b>" in calls[0].text
    assert "🔍 Sort an item" in reply_buttons(calls[0])


async def test_unknown_language_code_falls_back_to_chinese(client):
    calls = await client.person("Pierre", "fr").send("/help")
    assert "我能做什么" in calls[0].text


async def test_user_is_stored_and_language_switch_persists(client, app):
    carol = client.person("Carol", "zh-hans")
    calls = await carol.send("/language")
    buttons = inline_data(calls[0])
    assert set(buttons) == {"✅ 简体中文", "English"}
    message = Message.model_validate({"message_id": 5, "date": 0, "chat": carol.chat.model_dump(), "text": "x"})
    calls = await carol.press(buttons["English"], message)
    assert any(isinstance(c, EditMessageReplyMarkup) for c in calls)
    assert "Language set to English." in texts(calls)
    # The next update is answered in English: the choice is stored on the user.
    calls = await carol.send("/help")
    assert "What I can do" in calls[0].text
    async with app.sessions() as session:
        stored = await accounts.get_user(session, carol.tg.id)
    assert stored.language == "en" and stored.language_chosen and stored.display_name == "Carol"


async def test_menu_buttons_work_in_the_language_of_the_keyboard(client):
    dave = client.person("Dave", "en")
    calls = await dave.send("❓ Help")
    assert "What I can do" in calls[0].text
    calls = await dave.send("❓ 帮助")  # an old Chinese keyboard still works
    assert "What I can do" in calls[0].text


async def test_cancel_with_and_without_a_flow(client, app):
    class Flow(StatesGroup):
        step = State()

    router = Router(name="test-flow")

    @router.message(Command("flow"))
    async def begin(message: Message, state: FSMContext) -> None:
        await state.set_state(Flow.step)
        await state.update_data(draft="half a report")
        await message.answer("step 1")

    add_router_before_fallback(app.dp, router)
    erin = client.person("Erin", "en")
    assert texts(await erin.send("/cancel")) == ["There is nothing to cancel."]
    await erin.send("/flow")
    state = app.dp.fsm.get_context(app.bot, erin.chat.id, erin.tg.id)
    assert await state.get_state() == Flow.step.state
    assert texts(await erin.send("/cancel")) == ["Cancelled. Nothing was sent."]
    assert await state.get_state() is None and await state.get_data() == {}


async def test_unknown_command_gets_a_friendly_answer(client):
    calls = await client.person("Fay", "en").send("/frobnicate now")
    assert texts(calls) == ["I don't know the command /frobnicate. Send /help to see what I can do."]
    calls = await client.person("Gao", "zh").send("/abc")
    assert "我不认识命令 /abc" in texts(calls)[0]


async def test_stale_inline_button_is_answered(client):
    calls = await client.person("Hu", "zh").press("nonsense:1")
    assert isinstance(calls[0], AnswerCallbackQuery) and "失效" in calls[0].text


async def test_flood_limit_slows_the_abuser_only(client):
    spammer = client.person("Spam", "en")
    answered = 0
    warnings = 0
    for _ in range(30):
        for text in texts(await spammer.send("/help")):
            if "very fast" in text:
                warnings += 1
            else:
                answered += 1
    assert answered == 20 and warnings == 1
    # Someone else at the same time is served normally.
    assert "我能做什么" in texts(await client.person("Calm", "zh").send("/help"))[0]


async def test_unhandled_error_is_logged_with_update_id_and_apologised_for(client, app, caplog):
    router = Router(name="boom")

    @router.message(Command("boom"))
    async def boom(message: Message) -> None:
        raise RuntimeError("kaput")

    add_router_before_fallback(app.dp, router)
    ivy = client.person("Ivy", "zh")
    with caplog.at_level(logging.ERROR, logger="wufei.errors"):
        calls = await ivy.send("/boom")
    assert texts(calls) == ["😥 抱歉，系统出了点问题，请稍后再试。"]
    record = next(r for r in caplog.records if r.name == "wufei.errors")
    assert "update" in record.getMessage() and record.exc_info[1].args == ("kaput",)
    update_id = client.next_update_id() - 1
    assert f"update {update_id}" in record.getMessage()


async def test_blocking_the_bot_is_recorded_and_writing_again_clears_it(client, app):
    from datetime import UTC, datetime

    from aiogram.types import ChatMemberBanned, ChatMemberMember, ChatMemberUpdated, Update

    from tests.support.fakebot import BOT_USER

    jo = client.person("Jo", "zh")
    await jo.send("/start")

    def change(old, new):
        return Update(
            update_id=client.next_update_id(),
            my_chat_member=ChatMemberUpdated(
                chat=jo.chat,
                from_user=jo.tg,
                date=datetime.now(UTC),
                old_chat_member=old,
                new_chat_member=new,
            ),
        )

    await client.feed(change(ChatMemberMember(user=BOT_USER), ChatMemberBanned(user=BOT_USER, until_date=0)))
    async with app.sessions() as session:
        assert (await accounts.get_user(session, jo.tg.id)).blocked_bot
    await client.feed(change(ChatMemberBanned(user=BOT_USER, until_date=0), ChatMemberMember(user=BOT_USER)))
    async with app.sessions() as session:
        assert not (await accounts.get_user(session, jo.tg.id)).blocked_bot


async def test_an_album_outside_a_flow_gets_one_hint(client):
    from datetime import UTC, datetime

    from aiogram.types import Message, PhotoSize, Update

    kim = client.person("Kim", "en")
    replies = []
    for index in range(3):
        message = Message(
            message_id=100 + index,
            date=datetime.now(UTC),
            chat=kim.chat,
            from_user=kim.tg,
            media_group_id="album-1",
            photo=[PhotoSize(file_id=f"p{index}", file_unique_id=f"u{index}", width=10, height=10)],
        )
        replies += texts(await client.feed(Update(update_id=client.next_update_id(), message=message)))
    assert len(replies) == 1 and "Report dumping" in replies[0]
