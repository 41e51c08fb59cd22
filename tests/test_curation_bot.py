"""Curators grow the knowledge base from the chat; changes apply at once and survive restarts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from aiogram.types import Message

from bot.app import create_app
from knowledge import load_kb
from tests.conftest import ADMIN_ID
from tests.support.fakebot import Client, FakeSession, inline_data, last_message, texts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kb():
    return load_kb()  # these tests change the knowledge base


def _msg(person) -> Message:
    return Message.model_validate({"message_id": 3, "date": 0, "chat": person.chat.model_dump(), "text": "x"})


async def test_unanswered_question_becomes_an_alias(client, app):
    resident = client.person("Res", "zh")
    curator = client.person("Cur", "zh", user_id=ADMIN_ID)  # admins hold every staff role
    for _ in range(2):
        await resident.send("火星土壤样本")
    await client.person("Other", "zh").send("火星土壤样本")

    calls = await curator.send("/unanswered")
    assert "火星土壤样本" in calls[0].text and "3" in calls[0].text
    calls = await curator.press(inline_data(calls[0])["➕ 火星土壤样本"])
    calls = await curator.press(inline_data(last_message(calls))["已有物品的另一个叫法"])
    assert "已有物品名称" in texts(calls)[0]
    reply = texts(await curator.send("灰尘"))
    assert reply == ["✅ 现在搜“火星土壤样本”会找到“灰尘”。"]
    # Effective at once for residents.
    card = texts(await resident.send("火星土壤样本"))[0]
    assert card.startswith("<b>灰尘</b>") and "其他垃圾" in card


async def test_new_item_flow_and_restart(client, app, settings, kb):
    curator = client.person("Cur", "en", user_id=ADMIN_ID)
    await client.person("Res", "zh").send("竹制牙刷架子")
    calls = await curator.send("/unanswered")
    calls = await curator.press(inline_data(calls[0])["➕ 竹制牙刷架子"])
    calls = await curator.press(inline_data(last_message(calls))["A new item"])
    calls = await curator.press(inline_data(last_message(calls))["Residual waste"], _msg(curator))
    assert texts(calls) == ["Its English name?"]
    await curator.send("Bamboo toothbrush holder")
    await curator.send("竹木制品投放其他垃圾。")
    reply = texts(await curator.send("Wooden and bamboo items go in the residual bin."))
    assert reply == ["✅ Added 竹制牙刷架子. Residents get the answer from now on."]
    assert "其他垃圾" in texts(await client.person("Res2", "zh").send("竹制牙刷架子"))[0]

    # A restart: a new application on the same database and fresh data files replays the change.
    fresh = create_app(settings, bot_session=FakeSession(), kb=load_kb())
    await fresh.prepare()
    try:
        restarted = Client(fresh.dp, fresh.bot, fresh.bot.session)
        card = texts(await restarted.person("Res3", "en", user_id=55_555).send("bamboo toothbrush holder"))[0]
        assert "Residual" in card and "竹制牙刷架子" in card
    finally:
        await fresh.stop()


async def test_alias_command_clash_is_explained(client):
    curator = client.person("Cur", "zh", user_id=ADMIN_ID)
    reply = texts(await curator.send("/alias 电池 = 塑料瓶"))[0]
    assert reply.startswith("未添加")
    assert "用法" in texts(await curator.send("/alias 电池"))[0]
    assert "找不到物品" in texts(await curator.send("/alias 不存在的东西 = 某某"))[0]


async def test_wrong_answer_reports_listed_and_closed(client, app):
    li = client.person("Li", "zh")
    calls = await li.send("电池")
    calls = await li.press(inline_data(calls[0])["❓ 答案不对？"])
    await li.press(inline_data(last_message(calls))["☣️ 有害垃圾"], _msg(li))
    curator = client.person("Cur", "zh", user_id=ADMIN_ID)
    calls = await curator.send("/wrong")
    assert "电池" in calls[0].text and "有害垃圾" in calls[0].text
    calls = await curator.press(inline_data(calls[0])["✔ 已处理：电池"])
    assert texts(calls) == ["已标记为处理完毕。"]
    assert "没有待处理" in texts(await curator.send("/wrong"))[0]


async def test_non_curator_cannot_curate(client, app, kb):
    mallory = client.person("Mallory", "zh")
    for command in ("/unanswered", "/wrong", "/alias 电池 = 我的电池"):
        assert texts(await mallory.send(command)) == ["⛔ 该命令仅限工作人员使用。"]
    assert "⛔" in texts(await mallory.press("cur:pick:0"))[0]
    assert kb.get("我的电池") is None


async def test_export_writes_curated_files(tmp_path, client, app, settings):
    curator = client.person("Cur", "zh", user_id=ADMIN_ID)
    await curator.send("/alias 电池 = 五号电池芯")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_")}
    env["WUFEI_DATABASE_URL"] = settings.database_url
    data_dir = tmp_path / "kbdata"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "kb", "export", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((data_dir / "curated" / "aliases.yaml").read_text())
    assert written == {"电池": ["五号电池芯"]}
    again = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "kb", "export", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "no curated changes" in again.stdout


async def test_small_talk_and_emoji_stay_out_of_the_unanswered_list(client, app):
    resident = client.person("Res", "zh")
    for text in ("你好", "😀", "👍👍", "谢谢", "hello", "火星土壤样本"):
        await resident.send(text)
    calls = await client.person("Cur", "zh", user_id=ADMIN_ID).send("/unanswered")
    listed = list(inline_data(calls[0]))
    assert listed == ["➕ 火星土壤样本"], listed
