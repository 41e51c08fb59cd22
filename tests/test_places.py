"""Places in the reader's language: English screens name units in English (Qingyang Town), a typed
place is found in Chinese, pinyin or English; dispatcher level."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from aiogram.types import Chat, Message, Update

from campaigns import subscriptions as subs
from campaigns.models import Target
from core.units import all_units, find_unit, unit_name
from reports import service as svc
from reports.geocode import GeocodeStatus, gazetteer
from tests.support.fakebot import inline_data, texts
from tests.test_reports_bot import CHENGJIANG_CODE, QINGYANG_CODE, _ids, photo, seed, staff, with_media

pytestmark = pytest.mark.dates


@pytest.fixture
def client(client):
    with_media(client.session)
    return client


def test_every_unit_has_an_english_name():
    names = {u.name_en for u in all_units()}
    assert len(names) == 18 and "" not in names
    assert unit_name(QINGYANG_CODE, "en") == "Qingyang Town"
    assert unit_name(CHENGJIANG_CODE, "en") == "Chengjiang Subdistrict"
    assert unit_name("320281400", "en") == "Jiangyin Hi-tech Industrial Development Zone"
    assert unit_name(QINGYANG_CODE, "zh") == unit_name(QINGYANG_CODE) == "青阳镇"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Qingyang", QINGYANG_CODE),
        ("qingyang zhen", QINGYANG_CODE),
        ("QingyangZhen 南街", QINGYANG_CODE),
        ("Qingyang Town, Main Street", QINGYANG_CODE),
        ("Chengjiang Renmin Road", CHENGJIANG_CODE),
        ("chengjiang jiedao", CHENGJIANG_CODE),
        ("江阴市青阳", QINGYANG_CODE),
        ("Xuxiake", "320281104"),
        ("Ligang Subdistrict", "320281008"),
        ("Lingang", "320281404"),
        ("hi-tech zone", "320281400"),
    ],
)
def test_a_typed_place_is_found_in_chinese_pinyin_or_english(typed, code):
    assert gazetteer(typed).unit_code == code


@pytest.mark.parametrize("typed", ["hello", "Shanghai Nanjing Road", "Jiangyin", "xqingyang"])
def test_latin_words_that_name_no_unit_find_nothing(typed):
    assert gazetteer(typed).status == GeocodeStatus.NOT_FOUND


def test_find_unit_takes_english_and_pinyin_names():
    assert find_unit("Qingyang Town").code == QINGYANG_CODE
    assert find_unit("qingyang").code == QINGYANG_CODE
    assert find_unit("chengjiang jiedao").code == CHENGJIANG_CODE
    assert find_unit("Jiangyin") is None  # both zones start so: ambiguous


async def at_step(app, user_id: int, step: str, data: dict | None = None) -> None:
    """The user's draft and conversation at ``step`` ("ReportFlow:location")."""
    data = data or {"photos": [dataclasses.asdict(photo(1))]}
    async with app.sessions() as session:
        await svc.save_draft(session, user_id, data, step)
    await app.dp.fsm.get_context(app.bot, chat_id=user_id, user_id=user_id).set_state(step)


async def at_location_step(app, user_id: int) -> None:
    await at_step(app, user_id, "ReportFlow:location")


async def test_an_english_reporter_types_a_pinyin_place_and_sees_english_names(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_location_step(app, tom.tg.id)
    calls = await tom.send("Qingyang zhen, South Street")
    assert "📍 Got it: Qingyang zhen, South Street (Qingyang Town)." in texts(calls)
    async with app.sessions() as session:
        draft = await svc.load_draft(session, tom.tg.id)
    assert draft.data["route_unit"] == QINGYANG_CODE
    data = draft.data | {"waste_type": "household", "amount": "car", "anonymous": True}
    await at_step(app, tom.tg.id, "ReportFlow:confirm", data)
    summary = "\n".join(texts(await tom.send("hello")))
    assert "🏢 It will go to: Qingyang Town" in summary and "青阳镇" not in summary


async def test_a_chinese_reporter_still_sees_chinese_names(client, app):
    wang = client.person("王芳", "zh")
    await wang.send("/start")
    await at_location_step(app, wang.tg.id)
    calls = await wang.send("Chengjiang Renmin Road")
    assert "📍 收到：Chengjiang Renmin Road（澄江街道）。" in texts(calls)


async def test_a_place_that_is_its_unit_is_not_named_twice(client, app):
    wang = client.person("王芳", "zh")
    await wang.send("/start")
    await at_location_step(app, wang.tg.id)
    assert "📍 收到：青阳镇。" in texts(await wang.send("青阳镇"))
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_location_step(app, tom.tg.id)
    assert "📍 Got it: 青阳镇 (Qingyang Town)." in texts(await tom.send("青阳镇"))  # another name, helpful


async def test_a_zone_without_a_seat_asks_for_a_pin_in_english(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    await at_location_step(app, tom.tg.id)
    calls = await tom.send("Lingang")
    assert "Jiangyin Lingang Economic Development Zone is a large area" in texts(calls)[0]


async def test_myreports_stats_and_bindunit_name_units_in_the_readers_language(client, app):
    tom = client.person("Tom", "en")
    await tom.send("/start")
    mine = await seed(app, tom.tg.id, lat=31.76525, lon=120.25188)
    line = texts(await tom.send("/myreports"))[0]
    assert mine.ticket in line and "Qingyang Town" in line and "青阳镇" not in line
    hank = await staff(client, app, unit=QINGYANG_CODE)  # English
    group = Chat(id=-100_999, type="supergroup", title="Qingyang staff")
    update = Update(
        update_id=client.next_update_id(),
        message=Message(
            message_id=next(_ids), date=datetime.now(UTC), chat=group, from_user=hank.tg, text="/bindunit qingyang"
        ),
    )
    answers = texts(await client.feed(update))
    assert "✅ This chat now receives the reports of Qingyang Town." in answers


async def test_the_subscribe_town_list_is_in_english_for_english_readers(client, app):
    tom = client.person("Tom", "en")
    menu = (await tom.send("/subscribe"))[0]
    by_town = next(label for label in inline_data(menu) if label.startswith("📍"))
    towns = inline_data(
        next(
            c
            for c in reversed(await tom.press(inline_data(menu)[by_town]))
            if getattr(c, "reply_markup", None) is not None
        )
    )
    assert "Qingyang Town" in towns and "青阳镇" not in towns
    await tom.press(towns["Nanzha Subdistrict"])
    async with app.sessions() as session:
        assert [(s.target, s.value) for s in await subs.list_subscriptions(session, tom.tg.id)] == [
            (Target.UNIT, "320281004")
        ]
    listing = (await tom.send("/subscriptions"))[0]
    assert "Nanzha Subdistrict" in listing.text and "南闸街道" not in listing.text
