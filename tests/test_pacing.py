"""One way out (bot/outgoing/pacing.py): Telegram's limits kept, a 429 waited out and never a
failure, 5xx retried, a person's answers before broadcasts, and the limits shared by instances
through Redis. Against the sandbox, which enforces Telegram's limits, over real HTTP."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMediaGroup, SendMessage
from aiogram.types import BufferedInputFile, InputMediaPhoto
from PIL import Image

from bot.outgoing.pacing import LocalBuckets, PaceLimits, Pacer, Priority, RedisBuckets, message_count, priority
from sandbox import Limits, SandboxServer
from tests.support.fakebot import FakeSession


def paced_bot(pacer: Pacer, session=None, server: SandboxServer | None = None) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(server.token if server else "42:TEST", session=session)
    bot.session.middleware(pacer)
    return bot


@pytest.fixture
async def server():
    async with SandboxServer(limits=Limits()) as sandbox:  # Telegram's limits
        yield sandbox


async def test_a_burst_to_one_chat_and_a_group_keeps_telegrams_limits(server):
    """Without pacing, the 5th message to a chat and the 21st to a group within a minute get 429."""
    alice = server.create_user("Alice", started=True)
    group = server.create_group("staff", [alice])
    pacer = Pacer(LocalBuckets(PaceLimits(group_per_minute=6)))  # 6: the group part in seconds
    bot = paced_bot(pacer, server=server)
    try:
        await asyncio.gather(
            *(bot.send_message(alice.id, f"m{i}") for i in range(7)),
            *(bot.send_message(group.id, f"g{i}") for i in range(4)),
        )
        image = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(image, "JPEG")
        photo = InputMediaPhoto(media=BufferedInputFile(image.getvalue(), "a.jpg"))
        await bot.send_media_group(group.id, [photo, photo])
    finally:
        await bot.session.close()
    assert server.answers(429) == 0
    assert len([m for m in server.world.chats[alice.id].messages.values() if m.from_bot]) == 7
    assert pacer.stats["waited_s"] > 0


async def test_a_429_is_waited_out_and_a_5xx_retried_never_a_failure():
    session = FakeSession()
    calls = []

    def flaky(method):
        calls.append(method.text)
        if len(calls) == 1:
            raise TelegramRetryAfter(method, "Too Many Requests", retry_after=1)
        if len(calls) == 2:
            raise TelegramServerError(method, "Bad Gateway")
        return session._message(method)

    original = session.make_request

    async def make_request(bot, method, timeout=None):
        if isinstance(method, SendMessage):
            session.calls.append(method)
            return flaky(method)
        return await original(bot, method, timeout)

    session.make_request = make_request
    pacer = Pacer(LocalBuckets(PaceLimits(server_backoff_s=0.01)))
    bot = paced_bot(pacer, session=session)
    sent = await bot.send_message(7, "hello")
    assert sent.text == "hello" and calls == ["hello"] * 3
    assert pacer.stats["http_429"] == 1 and pacer.stats["server_retries"] == 1


def recording_session() -> tuple[list[str], FakeSession]:
    """A fake Bot API session that notes the text of each message in the order they went out."""
    order: list[str] = []
    session = FakeSession()

    def record(method):
        order.append(method.text)
        return session._message(method)

    session.responders[SendMessage] = record
    return order, session


async def test_a_persons_answer_goes_before_a_broadcast():
    order, session = recording_session()
    pacer = Pacer(LocalBuckets(PaceLimits(per_second=20, burst=1)))
    bot = paced_bot(pacer, session=session)

    async def broadcast(i: int) -> None:
        with priority(Priority.BULK):
            await bot.send_message(1000 + i, f"bulk{i}")

    bulk = [asyncio.create_task(broadcast(i)) for i in range(12)]
    while len(order) < 2:  # the broadcast is under way, the others wait for the bot-wide bucket
        await asyncio.sleep(0.01)
    await bot.send_message(1, "answer")
    await asyncio.gather(*bulk)
    assert order.index("answer") <= 4, order  # not behind the ten broadcasts still waiting


async def test_a_prompt_in_a_busy_group_goes_before_the_cards_waiting_for_it():
    """A handler pressed "Resolved" in a staff group whose minute is used up by cards: the prompt
    takes the group's next free slot, not the one after every card still queued."""
    order, session = recording_session()
    pacer = Pacer(
        LocalBuckets(PaceLimits(per_chat_per_second=1000, chat_burst=100, group_per_minute=2, group_window_s=0.5))
    )
    bot = paced_bot(pacer, session=session)

    async def card(i: int) -> None:
        with priority(Priority.NOTIFY):
            await bot.send_message(-100, f"card{i}")

    cards = [asyncio.create_task(card(i)) for i in range(6)]
    while len(order) < 2:  # the group's budget is spent; four cards wait
        await asyncio.sleep(0.01)
    await bot.send_message(-100, "prompt")
    await asyncio.gather(*cards)
    assert order.index("prompt") == 2, order  # the first slot the group has again


def test_an_album_counts_one_message_per_photo():
    photo = InputMediaPhoto(media="x")
    assert message_count(SendMediaGroup(chat_id=1, media=[photo] * 5)) == 5
    assert message_count(SendMessage(chat_id=1, text="x")) == 1


async def test_two_instances_share_the_limits_through_redis(server, redis_client):
    """Each instance alone would send 4 at once to the same chat; together they keep its limit."""
    prefix = f"wufei-test-pace-{uuid.uuid4().hex[:8]}"
    alice = server.create_user("Alice", started=True)
    bots = [paced_bot(Pacer(RedisBuckets(redis_client, PaceLimits(), prefix)), server=server) for _ in range(2)]
    try:
        await asyncio.gather(*(bot.send_message(alice.id, f"{n}.{i}") for n, bot in enumerate(bots) for i in range(4)))
    finally:
        for bot in bots:
            await bot.session.close()
        keys = [key async for key in redis_client.scan_iter(f"{prefix}:*")]
        if keys:
            await redis_client.delete(*keys)
    assert server.answers(429) == 0
    assert len([m for m in server.world.chats[alice.id].messages.values() if m.from_bot]) == 8
