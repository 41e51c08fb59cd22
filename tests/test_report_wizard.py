"""The report wizard as aiogram scenes, at the dispatcher level (issue #14): an answered question
keeps the chosen option in the chat, and the summary lets the resident change any field and come
back, keeping everything else (photos, place)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types import Location, Message, Update

from bot.keyboards.reports import FlowCb
from reports import service as svc
from tests.support.fakebot import BOT_USER, inline_data, reply_buttons, texts
from tests.test_places import at_step
from tests.test_reports_bot import (
    CHENGJIANG,
    CHENGJIANG_CODE,
    QINGYANG_CODE,
    photo,
    with_media,
)

pytestmark = pytest.mark.dates

QINGYANG = (31.76525, 120.25188)


@pytest.fixture
def client(client):
    with_media(client.session)
    return client


def summary_data(**changes) -> dict:
    data = {
        "photos": [dataclasses.asdict(photo(1)), dataclasses.asdict(photo(2))],
        "lat": CHENGJIANG[0],
        "lon": CHENGJIANG[1],
        "location_source": "telegram",
        "address": "人民路 1 号",
        "route_unit": CHENGJIANG_CODE,
        "waste_type": "household",
        "amount": "car",
        "witnessed": False,
        "plate": None,
        "description": "在桥下",
        "anonymous": True,
    }
    return data | changes


def question(text: str) -> Message:
    """The bot's question message a button is pressed on."""
    return Message(
        message_id=77, date=datetime.now(UTC), chat={"id": 1, "type": "private"}, from_user=BOT_USER, text=text
    )


def sent(calls) -> list[SendMessage]:
    return [c for c in calls if isinstance(c, SendMessage)]


async def draft_of(app, user_id: int) -> svc.Draft | None:
    async with app.sessions() as session:
        return await svc.load_draft(session, user_id)


async def test_the_chosen_option_stays_visible_in_the_question(client, app):
    wang = client.person("王芳", "zh")
    await wang.send("/start")
    await at_step(app, wang.tg.id, "ReportFlow:waste_type", summary_data(waste_type=None, amount=None))
    calls = await wang.press(FlowCb(a="type", v="construction").pack(), question("🗑 是什么类型的垃圾？"))
    edit = next(c for c in calls if isinstance(c, EditMessageText))
    assert edit.text == "🗑 是什么类型的垃圾？\n» <b>🧱 建筑垃圾</b>" and edit.reply_markup is None
    assert edit.message_id == 77
    assert "⚖️" in sent(calls)[-1].text  # the next question: how much
    assert (await draft_of(app, wang.tg.id)).step == "ReportFlow:amount"


async def test_yes_no_and_skip_answers_stay_visible_too(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:witnessed", summary_data())
    calls = await tom.press(FlowCb(a="wit", v="1").pack(), question("👀 Did you see it being dumped?"))
    assert "👀 Did you see it being dumped?\n» <b>👀 Yes, I saw it</b>" in texts(calls)
    calls = await tom.press(FlowCb(a="skip", v="plate").pack(), question("🚗 plate?"))
    assert "🚗 If you saw a vehicle" in texts(calls)[0] and "» <b>⏭ Skip</b>" in texts(calls)[0]
    assert "Anything the staff should know" in texts(calls)[-1]


async def test_change_a_field_from_the_summary_and_come_back(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:confirm", summary_data())
    summary = sent(await tom.send("hello"))[-1]  # a message at the summary: shown again
    assert "Please check your report" in summary.text
    assert "✏️ Change something" in reply_buttons(summary)

    calls = await tom.press(inline_data(summary)["✏️ Change something"], question(summary.text))
    menu = next(c for c in calls if isinstance(c, EditMessageReplyMarkup))
    fields = inline_data(menu)
    assert {"📷 Add photos", "📍 Place", "🗑 Type", "⚖️ Amount", "📝 Description", "🙈 Anonymity", "⬅️ Back"} <= set(
        fields
    )

    back = await tom.press(fields["⬅️ Back"], question(summary.text))
    assert "✅ Send the report" in inline_data(next(c for c in back if isinstance(c, EditMessageReplyMarkup)))

    calls = await tom.press(fields["⚖️ Amount"], question(summary.text))
    assert "How much is there?" in texts(calls)[-1]
    calls = await tom.press(FlowCb(a="amt", v="truck").pack(), question("⚖️ How much is there?"))
    again = sent(calls)[-1].text
    assert "Please check your report" in again and "🚛 A truckload or more" in again
    assert "📷 Photos: 2" in again and "人民路 1 号" in again and "📝 在桥下" in again
    draft = await draft_of(app, tom.tg.id)
    assert draft.step == "ReportFlow:confirm" and "editing" not in draft.data

    await tom.press(FlowCb(a="ok").pack())
    await app.outbox.drained()
    async with app.sessions() as session:
        mine = await svc.my_reports(session, tom.tg.id)
    assert [(r.amount, r.description) for r in mine] == [("truck", "在桥下")]
    assert await draft_of(app, tom.tg.id) is None


async def test_seeing_it_happen_asks_the_plate_then_returns_to_the_summary(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:confirm", summary_data())
    await tom.press(FlowCb(a="ed", v="witnessed").pack())
    await tom.press(FlowCb(a="wit", v="1").pack())
    calls = await tom.send("苏B12345")
    summary = sent(calls)[-1].text
    assert "Please check your report" in summary and "Plate: 苏B12345" in summary and "📝 在桥下" in summary


async def test_a_new_place_keeps_the_photos_and_answers(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:confirm", summary_data())
    calls = await tom.press(FlowCb(a="ed", v="location").pack())
    assert "Where is it?" in texts(calls)[-1]
    pin = Message(
        message_id=900,
        date=datetime.now(UTC),
        chat=tom.chat,
        from_user=tom.tg,
        location=Location(latitude=QINGYANG[0], longitude=QINGYANG[1]),
    )
    calls = await client.feed(Update(update_id=client.next_update_id(), message=pin))
    summary = sent(calls)[-1].text
    assert "Please check your report" in summary and "Qingyang Town" in summary
    assert "📷 Photos: 2" in summary and "👜" not in summary and "🗑 Household waste" in summary
    draft = await draft_of(app, tom.tg.id)
    assert draft.data["route_unit"] == QINGYANG_CODE and len(draft.data["photos"]) == 2


async def test_an_edit_button_of_a_spent_summary_is_out_of_date(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:amount", summary_data())
    calls = await tom.press(FlowCb(a="ed", v="amount").pack())
    assert any("out of date" in t for t in texts(calls))
    assert (await draft_of(app, tom.tg.id)).step == "ReportFlow:amount"


async def test_a_pin_sent_at_the_photos_step_is_taken_as_the_place(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:photos")
    pin = Message(
        message_id=901,
        date=datetime.now(UTC),
        chat=tom.chat,
        from_user=tom.tg,
        location=Location(latitude=CHENGJIANG[0], longitude=CHENGJIANG[1]),
    )
    calls = await client.feed(Update(update_id=client.next_update_id(), message=pin))
    assert "📍 Got it" in texts(calls)[0] and "What kind of waste" in texts(calls)[-1]
    assert (await draft_of(app, tom.tg.id)).step == "ReportFlow:waste_type"


async def test_continue_a_draft_keeps_the_choice_and_asks_the_saved_step(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:amount", summary_data())
    offer = sent(await tom.send("/report"))[-1]
    assert "unfinished report" in offer.text
    calls = await tom.press(inline_data(offer)["▶️ Continue my draft"], question(offer.text))
    edit = next(c for c in calls if isinstance(c, EditMessageText))
    assert edit.text.endswith("» <b>▶️ Continue my draft</b>") and "unfinished report" in edit.text
    assert "How much is there?" in texts(calls)[-1]


async def test_more_photos_from_the_summary_keep_the_ones_given(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_step(app, tom.tg.id, "ReportFlow:confirm", summary_data())
    calls = await tom.press(FlowCb(a="ed", v="photos").pack())
    assert "2 of 5 photos so far" in texts(calls)[-1]
    calls = await tom.press(FlowCb(a="done").pack())
    summary = sent(calls)[-1].text
    assert "Please check your report" in summary and "📷 Photos: 2" in summary and "人民路 1 号" in summary
