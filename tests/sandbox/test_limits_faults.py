"""Flood limits (429 + retry_after -> TelegramRetryAfter) and fault injection."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from sandbox import Faults, Limits, SandboxServer
from sandbox.faults import Fault
from sandbox.limits import FloodControl
from sandbox.testing import close_quickly


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_chat_burst_then_one_per_second():
    clock = FakeClock()
    fc = FloodControl(Limits(per_chat_burst=3), clock)
    assert [fc.check(1, False) for _ in range(3)] == [0, 0, 0]
    assert fc.check(1, False) == 1
    assert fc.check(2, False) == 0  # other chats are unaffected
    clock.now += 1.0
    assert fc.check(1, False) == 0
    assert fc.check(1, False) == 1


def test_group_twenty_per_minute():
    clock = FakeClock()
    fc = FloodControl(Limits(per_chat_per_second=100, per_chat_burst=100), clock)
    for _ in range(20):
        assert fc.check(-100, True) == 0
        clock.now += 0.5
    wait = fc.check(-100, True)
    assert 45 <= wait <= 60
    clock.now += wait
    assert fc.check(-100, True) == 0


def test_global_thirty_per_second():
    clock = FakeClock()
    fc = FloodControl(Limits(), clock)
    assert all(fc.check(chat, False) == 0 for chat in range(30))
    assert fc.check(31, False) == 1
    clock.now += 0.1
    assert fc.check(31, False) == 0  # 3 tokens refilled


def test_limits_off_and_parse():
    fc = FloodControl(Limits.off())
    assert all(fc.check(1, False) == 0 for _ in range(500))
    lim = Limits.parse("bot=100,chat=5,burst=10,group=60")
    assert (lim.per_bot_per_second, lim.per_chat_per_second, lim.per_chat_burst, lim.per_group_per_minute) == (
        100,
        5,
        10,
        60,
    )
    assert Limits.parse("off").enabled is False
    with pytest.raises(ValueError):
        Limits.parse("nope=1")


@pytest.fixture
async def strict():
    srv = SandboxServer(limits=Limits(per_chat_burst=2), validate_responses=True)
    await srv.start()
    bot = Bot(srv.token, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
    try:
        yield srv, bot
    finally:
        await close_quickly(bot)
        await srv.stop()


async def test_flood_gives_429_and_telegram_retry_after(strict):
    srv, bot = strict
    alice = srv.create_user("Alice", started=True)
    await bot.send_message(alice.id, "1")
    await bot.send_message(alice.id, "2")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(alice.id, "3")
    assert exc.value.retry_after >= 1
    assert ("sendMessage", 429) in srv.request_log
    # chat actions are not counted as messages
    assert await bot.send_chat_action(alice.id, "typing") is True
    srv.set_limits(Limits.off())  # a benchmark raises the limits at run time
    for i in range(50):
        await bot.send_message(alice.id, str(i))


async def test_the_server_remembers_until_when_429s_told_the_bot_to_wait(strict):
    """A benchmark must not call a paced bot idle while it waits out a retry_after."""
    srv, bot = strict
    alice = srv.create_user("Alice", started=True)
    assert srv.retry_after_until == 0.0 and srv.answers(429) == 0
    srv.faults.script("429:9", methods=["sendMessage"])
    before = time.monotonic()
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(alice.id, "a")
    assert before + 9 <= srv.retry_after_until <= time.monotonic() + 9
    told = srv.retry_after_until
    await bot.send_message(alice.id, "b")
    await bot.send_message(alice.id, "c")
    with pytest.raises(TelegramRetryAfter) as flood:  # the flood limit's 429 (a shorter wait)
        await bot.send_message(alice.id, "d")
    assert flood.value.retry_after < 9 and srv.retry_after_until == told
    assert srv.answers(429) == 2


async def test_scripted_faults(strict):
    srv, bot = strict
    srv.set_limits(Limits.off())
    alice = srv.create_user("Alice", started=True)
    srv.faults.script("500", "502", "429:7", "drop", "slow:0.3", "ok", methods=["sendMessage"])
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(alice.id, "a")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(alice.id, "b")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(alice.id, "c")
    assert exc.value.retry_after == 7
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice.id, "d")
    assert await bot.get_me()  # other methods unaffected
    t0 = time.monotonic()
    assert (await bot.send_message(alice.id, "e")).text == "e"
    assert time.monotonic() - t0 >= 0.3
    assert (await bot.send_message(alice.id, "f")).text == "f"
    assert srv.faults.pending == 0
    assert [k for _, k in srv.faults.injected] == ["500", "502", "429", "drop", "slow"]
    # none of the failed sends reached the chat
    assert [m.data["text"] for m in srv.world.history(alice.id)] == ["e", "f"]


async def test_drop_after_processing_loses_only_the_answer(strict):
    srv, bot = strict
    alice = srv.create_user("Alice", started=True)
    srv.faults.script("drop_after")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice.id, "sent but unanswered")
    assert [m.data["text"] for m in srv.world.history(alice.id)] == ["sent but unanswered"]


async def test_random_fault_rate_is_seeded():
    f1 = Faults(rate=0.5, kinds=["500", "502"], seed=3)
    f2 = Faults.parse("rate=0.5,kinds=500+502,seed=3")
    seq1 = [f1.next_fault("sendMessage") for _ in range(50)]
    seq2 = [f2.next_fault("sendMessage") for _ in range(50)]
    assert seq1 == seq2
    assert 10 < sum(1 for f in seq1 if f) < 40
    only = Faults.parse("rate=1,methods=sendPhoto")
    assert only.next_fault("sendMessage") is None and only.next_fault("sendPhoto")
    scripted = Faults.parse("script=500,slow:2,ok,429")
    assert [scripted.next_fault("x") for _ in range(5)] == [
        Fault("500"),
        Fault("slow", 2.0),
        None,
        Fault("429", 3.0),
        None,
    ]
    with pytest.raises(ValueError):
        Fault.parse("teapot")


async def test_control_endpoint_switches_faults_and_limits(strict):
    srv, bot = strict
    alice = srv.create_user("Alice", started=True)
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{srv.base_url}/sandbox/api/control", json={"faults": "script=502", "limits": "off"}
        ) as resp:
            state = await resp.json()
    assert state["faults"]["script"] == ["502:0"] and state["limits"]["enabled"] is False
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice.id, "x")
    for _ in range(5):
        await bot.send_message(alice.id, "ok")


async def test_polling_survives_faults(sandbox):
    """aiogram's polling loop backs off and recovers from a 502 and a dropped getUpdates."""
    sandbox.server.faults.script("502", "drop", methods=["getUpdates"])
    alice = sandbox.user("Alice")
    await alice.send("still there?")
    assert (await alice.expect_message(timeout=8)).text == "still there?"
    await alice.send("and now?")  # the long poll in flight may have answered the first one
    assert (await alice.expect_message(timeout=8)).text == "and now?"
    assert sandbox.server.faults.pending == 0
    assert [k for m, k in sandbox.server.faults.injected] == ["502", "drop"]
