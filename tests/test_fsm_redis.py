"""Production runs several instances: conversation state lives in Redis and is shared."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.app import create_app, make_storage
from core import accounts
from core.models import Role
from tests.conftest import ADMIN_ID, REDIS_URL, make_settings
from tests.support.fakebot import FakeSession, texts


@pytest.fixture
async def redis_prefix(redis_client):
    prefix = f"wufei-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(f"{prefix}:*")]
    if keys:
        await redis_client.delete(*keys)


async def test_state_set_by_one_instance_is_seen_by_another(tmp_path, sqlite_url, redis_prefix):
    from aiogram.fsm.storage.redis import RedisStorage

    settings = make_settings(tmp_path, sqlite_url, redis_url=REDIS_URL)
    first = create_app(settings, bot_session=FakeSession(), storage=make_storage(settings, redis_prefix))
    second = create_app(settings, bot_session=FakeSession(), storage=make_storage(settings, redis_prefix))
    assert isinstance(first.dp.storage, RedisStorage)
    try:
        state = first.dp.fsm.get_context(first.bot, chat_id=77, user_id=77)
        await state.set_state("Report:photos")
        await state.update_data(photos=["abc"])
        seen = second.dp.fsm.get_context(second.bot, chat_id=77, user_id=77)
        assert await seen.get_state() == "Report:photos"
        assert await seen.get_data() == {"photos": ["abc"]}
    finally:
        await first.stop()
        await second.stop()


async def test_the_report_wizard_goes_from_step_to_step_with_state_in_redis(tmp_path, sqlite_url, redis_prefix, kb):
    """The wizard's scenes keep a history beside the state: with Redis (production) that needs a key
    builder with destinies, or every step change fails (found by the two-instance test)."""
    from bot.keyboards.reports import FlowCb
    from bot.outgoing.pacing import PaceLimits
    from tests.support.fakebot import Client
    from tests.test_places import at_step
    from tests.test_report_wizard import draft_of, question, summary_data

    settings = make_settings(tmp_path, sqlite_url, redis_url=REDIS_URL)
    app = create_app(
        settings,
        bot_session=FakeSession(),
        storage=make_storage(settings, redis_prefix),
        kb=kb,
        pace=PaceLimits.relaxed(),
    )
    await app.prepare()
    try:
        wang = Client(app.dp, app.bot, app.bot.session, settle=app.outbox.drained).person("王芳", "zh")
        await wang.send("/start")
        await at_step(app, wang.tg.id, "ReportFlow:waste_type", summary_data(waste_type=None, amount=None))
        calls = await wang.press(FlowCb(a="type", v="construction").pack(), question("🗑 是什么类型的垃圾？"))
        assert any("⚖️" in text for text in texts(calls))  # the next question: how much
        assert (await draft_of(app, wang.tg.id)).step == "ReportFlow:amount"
    finally:
        await app.stop()


def test_without_redis_state_is_in_memory(tmp_path, sqlite_url):
    from aiogram.fsm.storage.memory import MemoryStorage

    assert isinstance(make_storage(make_settings(tmp_path, sqlite_url)), MemoryStorage)


async def test_a_role_granted_through_one_instance_applies_at_once_on_the_other(tmp_path, sqlite_url, redis_client):
    """Both instances cache users and roles for 30 s; a grant made through one is relayed through
    Redis, so the other does not keep refusing the new handler until its cache runs out."""
    settings = make_settings(tmp_path, sqlite_url, redis_url=REDIS_URL, user_cache_ttl_s=3600)
    first = create_app(settings, bot_session=FakeSession(), token="1001:RELAY-A")
    second = create_app(settings, bot_session=FakeSession(), token="1001:RELAY-A")
    await first.prepare()
    await second.prepare()
    try:
        await asyncio.wait_for(second.cache_relay.listening.wait(), 5)
        directory = second.dp["directory"]
        accounts._listeners.discard(directory)  # as in another process: only the relay can tell it
        async with second.sessions() as session:
            _info, roles = await directory.load(
                session, 4242, display_name="Hank", username="hank", language_code="en", default_locale="zh"
            )
        assert not roles.units() and directory.cached(4242, "Hank", "hank") is not None
        async with first.sessions() as session:
            await accounts.grant(session, ADMIN_ID, 4242, Role.UNIT_HANDLER, "320281001")
        for _ in range(250):  # waits on the relay, not on the hour-long TTL
            if directory.cached(4242, "Hank", "hank") is None:
                break
            await asyncio.sleep(0.02)
        async with second.sessions() as session:
            _info, roles = await directory.load(
                session, 4242, display_name="Hank", username="hank", language_code="en", default_locale="zh"
            )
        assert roles.units() == {"320281001"}
    finally:
        await first.stop()
        await second.stop()
