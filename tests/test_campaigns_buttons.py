"""The campaigns feature's buttons: the packed formats of the buttons already in chats keep
working, a press at a step that is over is told so, and data that does not parse (an old or
forged button) gets the fallback's "this button has expired" instead of an error."""

from __future__ import annotations

import pytest

from bot.keyboards.campaign_callbacks import (
    AudAction,
    AudCb,
    CampAction,
    CampCb,
    CellAction,
    CellCb,
    SubAction,
    SubCb,
    TimeAction,
    TimeCb,
)
from campaigns import cells as cells_service, subscriptions as subs
from campaigns.models import CellKind, Target
from tests.conftest import ADMIN_ID
from tests.support.fakebot import texts, toast

EXPIRED = "This button has expired. Send /start to begin again."
NANZHA = "320281004"  # 南闸街道


def test_packed_formats_are_those_of_the_buttons_in_chats():
    assert SubCb(action=SubAction.KIND, value="school").pack() == "sb:k:school"
    assert SubCb(action=SubAction.REMOVE, value=f"unit.{NANZHA}").pack() == f"sb:rm:unit.{NANZHA}"
    assert AudCb(action=AudAction.EVERYONE).pack() == "au:all:"
    assert CellCb(action=CellAction.SET_UNIT, id=7, value=NANZHA).pack() == f"ce:setunit:7:{NANZHA}"
    assert TimeCb(action=TimeAction.WEEKDAY, day=4).pack() == "tm:wd:4"
    assert TimeCb(action=TimeAction.NO_END).pack() == "tm:noend:"
    assert CampCb(action=CampAction.CANCEL_CONFIRMED, id=3).pack() == "cp:cancelok:3"
    assert len(CellCb(action=CellAction.SET_KIND, id=2**31 - 1, value="community").pack()) <= 64


async def test_old_buttons_still_subscribe(client, app):
    async with app.sessions() as session:
        cell = await cells_service.create_cell(session, name="南闸菜场", kind=CellKind.MARKET, unit_code=NANZHA)
    alice = client.person("Alice", "en")
    assert toast(await alice.press("sb:k:school")).startswith("✅ Subscribed")
    assert toast(await alice.press(f"sb:u:{NANZHA}")) == "✅ Subscribed: Nanzha Subdistrict"
    assert toast(await alice.press(f"sb:c:{cell.id}")) == "✅ Subscribed: 南闸菜场"
    assert toast(await alice.press(f"sb:rm:unit.{NANZHA}")) == "Removed."
    async with app.sessions() as session:
        mine = {(s.target, s.value) for s in await subs.list_subscriptions(session, alice.tg.id)}
    assert mine == {(Target.KIND, "school"), (Target.CELL, str(cell.id))}


@pytest.mark.parametrize("data", [
    "sb:k:nonsense", "sb:u:123", "sb:c:0", "sb:c:99999999999", "sb:c:x", "sb:zap:", "sb:rm:nonsense", "sb:k",
])  # fmt: skip
async def test_a_resident_pressing_malformed_data_is_told_it_expired(client, data):
    assert texts(await client.person("Bob", "en").press(data)) == [EXPIRED]


@pytest.mark.parametrize("data", [
    "ce:setkind:1:nonsense", "ce:setunit:1:123", "ce:qr:99999999999999999999:", "ce:zap:1:", "ce:qr:-1:",
    "tm:wd:9", "tm:wd:", "tm:now:3", "au:u:123", "au:c:abc", "cp:zap:1", "cp:pause:x",
])  # fmt: skip
async def test_staff_pressing_malformed_data_is_told_it_expired(client, data):
    assert texts(await client.person("Staff", "en", user_id=ADMIN_ID).press(data)) == [EXPIRED]


@pytest.mark.parametrize(("data", "answer"), [
    ("tm:now:", "This step is over."),
    ("tm:wd:2", "This step is over."),
    ("au:all:", "This step is over."),
    ("cp:skipen:0", "This step is over."),
    ("cp:pause:0", "This step is over."),
    ("ce:nk:0:school", "This step is over: start again with /newcell."),
    ("ce:skip:0:", "This step is over: start again with /newcell."),
    ("ce:qr:424242:", "That waste-free cell no longer exists. Send /cells."),
    ("cp:pause:424242", "No such campaign."),
])  # fmt: skip
async def test_staff_pressing_a_button_whose_step_is_over_are_told_so(client, data, answer):
    assert texts(await client.person("Staff", "en", user_id=ADMIN_ID).press(data)) == [answer]
