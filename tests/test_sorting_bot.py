"""Sorting answers in the chat: cards, did-you-mean, unknown, feedback, inline mode, logging."""

from __future__ import annotations

from aiogram.methods import AnswerInlineQuery, SendMessage
from aiogram.types import InlineQuery, Message, Update
from sqlmodel import select

from knowledge.models import SortFeedback, SortQuery
from tests.support.fakebot import inline_data, last_message, texts


async def test_battery_question_gets_a_card_with_the_wuxi_rule(client):
    calls = await client.person("Li", "zh").send("电池是什么垃圾？")
    assert len(calls) == 1
    card = calls[0].text
    assert "<b>电池</b>" in card and "其他垃圾" in card and "灰色桶" in card
    assert "无锡" in card  # alkaline cells: Wuxi says residual, and says so
    assert "充电电池" in card  # "it depends" line for the hazardous kinds
    assert "→ 其他垃圾" not in card  # states that do not change the bin are not listed
    assert "❓ 答案不对？" in inline_data(calls[0])


async def test_english_question_answered_in_english(client):
    calls = await client.person("Ann", "en").send("is a pizza box recyclable?")
    card = calls[0].text
    assert "pizza box (披萨盒)" in card and "Residual waste" in card and "grey bin" in card
    assert "It depends" in card and "clean, no grease → Recyclables" in card


async def test_state_words_change_the_answer(client):
    card = (await client.person("Wu", "zh").send("干净没沾油的披萨盒"))[0].text
    assert "干净没沾油" in card and "可回收物" in card.split("\n")[1]
    card = (await client.person("Wu", "zh").send("沾了油的披萨盒"))[0].text
    assert "其他垃圾" in card.split("\n")[1]


async def test_several_items_get_one_card_each(client):
    calls = await client.person("Zhao", "zh").send("电池和塑料瓶")
    assert [c.text.split("\n")[0] for c in calls] == ["<b>电池</b>", "<b>塑料瓶</b>"]


async def test_unknown_is_honest_and_logged_for_curators(client, app):
    calls = await client.person("Qian", "zh").send("火星土壤样本")
    assert len(calls) == 1
    text = calls[0].text
    assert "不会乱猜" in text or "不乱猜" in text
    for category in ("可回收物", "有害垃圾", "厨余垃圾", "其他垃圾"):
        assert category not in text
    await app.query_log.flush()  # the log is written in the background
    async with app.sessions() as session:
        row = (await session.exec(select(SortQuery))).one()
    assert row.query == "火星土壤样本" and row.answered is False and row.category is None
    assert str(client.session.calls[-1].chat_id) not in row.user_hash  # pseudonymised


async def test_greetings_and_nonsense_get_no_category(client):
    for text in ("你好", "hello", "asdfghjkl", "https://example.com/x"):
        reply = texts(await client.person("Sun", "zh").send(text))[0]
        for category in ("可回收物", "有害垃圾", "厨余垃圾", "其他垃圾"):
            assert category not in reply, (text, reply)


async def test_wrong_answer_feedback_reaches_the_log(client, app):
    li = client.person("Li", "zh")
    calls = await li.send("电池")
    wrong = inline_data(calls[0])["❓ 答案不对？"]
    calls = await li.press(wrong)
    choices = inline_data([c for c in calls if isinstance(c, SendMessage)][0])
    bot_message = Message.model_validate({"message_id": 9, "date": 0, "chat": li.chat.model_dump(), "text": "x"})
    calls = await li.press(choices["☣️ 有害垃圾"], bot_message)
    assert any("感谢" in t or "谢谢" in t for t in texts(calls))
    async with app.sessions() as session:
        feedback = (await session.exec(select(SortFeedback))).one()
    assert (feedback.query, feedback.item, feedback.category, feedback.suggested) == (
        "电池",
        "电池",
        "residual",
        "hazardous",
    )


async def test_forged_feedback_button_is_refused(client, app):
    li = client.person("Li", "zh")
    calls = await li.send("电池")
    wrong = inline_data(calls[0])["❓ 答案不对？"]
    log_id = wrong.split(":")[-1]
    mallory = client.person("Mallory", "zh")
    calls = await mallory.press(f"srt:c:{log_id}.1")
    assert "失效" in texts(calls)[0]
    async with app.sessions() as session:
        assert not (await session.exec(select(SortFeedback))).all()


async def test_did_you_mean_buttons_open_the_item(client):
    zhou = client.person("Zhou", "zh")
    calls = await zhou.send("盘子")
    assert "🤔" in calls[0].text
    options = inline_data(calls[0])
    assert 2 <= len(options) <= 3
    name, data = next(iter(options.items()))
    calls = await zhou.press(data)
    card = [c for c in calls if isinstance(c, SendMessage)][0].text
    assert card.startswith(f"<b>{name}</b>")


async def test_sort_command_and_menu_button(client):
    chen = client.person("Chen", "zh")
    assert "输入物品名称" in texts(await chen.send("/sort"))[0] or "物品" in texts(await chen.send("/sort"))[0]
    assert "<b>塑料瓶</b>" in texts(await chen.send("/sort 塑料瓶"))[0]
    assert texts(await chen.send("🔍 分类查询"))


async def test_overlong_message_is_refused_kindly(client):
    reply = texts(await client.person("Lu", "en").send("battery " * 60))[0]
    assert "just the item's name" in reply


async def test_inline_mode_lists_matching_items(client):
    user = client.person("Inl", "en")
    query = InlineQuery(id="q1", from_user=user.tg, query="battery", offset="")
    calls = await client.feed(Update(update_id=client.next_update_id(), inline_query=query))
    answer = calls[-1]
    assert isinstance(answer, AnswerInlineQuery)
    titles = [r.title for r in answer.results]
    assert titles and titles[0].startswith("battery (电池)")
    assert "Residual" in answer.results[0].input_message_content.message_text


async def test_close_items_in_one_bin_give_the_bin_and_stay_a_gap_for_curators(client, app):
    zhou = client.person("Zhou", "zh")
    calls = await zhou.send("木家具")  # no such item; 红木家具, 实木家具, 钢木家具 are all recyclable
    text = calls[0].text
    assert "我还不认识“木家具”本身" in text and "可回收物" in text
    buttons = inline_data(calls[0])
    assert "实木家具" in buttons and "❓ 答案不对？" in buttons
    calls = await zhou.press(buttons["实木家具"])
    assert any(getattr(c, "text", "") and c.text.startswith("<b>实木家具</b>") for c in calls)
    await app.query_log.flush()  # the log is written in the background
    async with app.sessions() as session:
        row = (await session.exec(select(SortQuery).where(SortQuery.query == "木家具"))).one()
    assert row.category == "recyclable" and row.item is None and row.answered is False


async def test_asking_about_a_category_or_stream_shows_its_card(client):
    text = (await client.person("Feng", "zh").send("有害垃圾有哪些？"))[0].text
    assert "有害垃圾" in text and "红色桶" in text and "📦" in text and "充电电池" in text
    text = (await client.person("Feng", "zh").send("大件垃圾怎么处理"))[0].text
    assert "大件垃圾" in text and "📍" in text and "大件垃圾投放点" in text
    text = (await client.person("Ann", "en").send("what goes in the food waste bin?"))[0].text
    assert "Food waste" in text and "green bin" in text
    card = (await client.person("Feng", "zh").send("电池是有害垃圾吗"))[0].text  # an item question
    assert card.startswith("<b>电池</b>")


async def test_a_suggestion_made_through_an_alias_shows_the_alias(client):
    person = client.person("Hua", "zh")
    calls = await person.send("鸡粪")  # sounds like 鸡精, an alias of 味精
    options = inline_data(calls[0])
    assert "鸡精（味精）" in options, options
    calls = await person.press(options["鸡精（味精）"])
    assert [c for c in calls if isinstance(c, SendMessage)][0].text.startswith("<b>味精</b>")


async def test_small_talk_gets_a_hint_not_an_unknown_item(client):
    for text in ("你是机器人吗", "谢啦", "🙂"):
        reply = texts(await client.person("Sun", "zh").send(text))[0]
        assert reply.startswith("👋"), (text, reply)


async def test_a_typo_is_answered_as_the_word_and_says_so(client):
    card = (await client.person("Zhou", "zh").send("玻离瓶怎么扔"))[0].text
    assert "<b>玻璃瓶</b>" in card and "可回收物" in card and "按“玻璃瓶”回答" in card
    card = (await client.person("Ann", "en").send("玻离瓶"))[0].text
    assert "Answered as “玻璃瓶”" in card


async def test_an_either_or_question_is_told_which_of_the_two(client):
    card = (await client.person("Qian", "zh").send("废电池属于可回收还是其他垃圾"))[0].text
    assert "您问的两类里，是其他垃圾" in card
    card = (await client.person("Qian", "zh").send("电池是蓝桶吗"))[0].text
    assert "不是，它属于其他垃圾" in card


async def test_a_card_reached_through_did_you_mean_takes_feedback_about_the_item(client, app):
    zhou = client.person("Zhou", "zh")
    options = inline_data((await zhou.send("盘子"))[0])
    name, data = next(iter(options.items()))
    card = last_message(await zhou.press(data))
    assert card.text.startswith(f"<b>{name}</b>")
    calls = await zhou.press(inline_data(card)["❓ 答案不对？"])
    question = last_message(calls)
    assert f"“{name}”" in question.text  # the question names the item
    bot_message = Message.model_validate({"message_id": 9, "date": 0, "chat": zhou.chat.model_dump(), "text": "x"})
    thanks = last_message(await zhou.press(inline_data(question)["☣️ 有害垃圾"], bot_message)).text
    assert f"“{name}”" in thanks and "盘子" not in thanks
    async with app.sessions() as session:
        feedback = (await session.exec(select(SortFeedback))).one()
    assert (feedback.item, feedback.suggested) == (name, "hazardous")


async def test_the_thank_you_quotes_the_item_not_the_typing(client):
    li = client.person("Li", "zh")
    card = (await li.send("电池是什么垃圾呀"))[0]
    question = last_message(await li.press(inline_data(card)["❓ 答案不对？"]))
    assert "“电池”" in question.text
    bot_message = Message.model_validate({"message_id": 9, "date": 0, "chat": li.chat.model_dump(), "text": "x"})
    thanks = last_message(await li.press(inline_data(question)["不确定"], bot_message)).text
    assert "“电池”" in thanks and "什么垃圾" not in thanks


async def test_only_a_correction_is_called_the_closest_match(client):
    person = client.person("Pin", "zh")
    for query in ("dianchi", "塑料矿泉水瓶子"):  # pinyin, a name inside the question: what was asked
        card = (await person.send(query))[0].text
        assert "最接近" not in card, (query, card)
    card = (await client.person("Ann", "en").send("batery"))[0].text  # a spelling guess
    assert "<b>battery (电池)</b>" in card and "Closest match for “batery”" in card


async def test_an_inline_result_sent_into_the_bots_own_chat_gets_no_reply(client):
    user = client.person("Inl", "zh")
    me = await client.bot.me()
    message = user._message("<b>电池</b>\n🗑️ 其他垃圾 · 灰色桶\n" + "💡 说明很长。" * 60)
    message = message.model_copy(update={"via_bot": me})
    assert await client.feed(Update(update_id=client.next_update_id(), message=message)) == []
