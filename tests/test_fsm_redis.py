"""Production runs several instances: conversation state lives in Redis and is shared."""

from __future__ import annotations

import uuid

import pytest

from bot.app import create_app, make_storage
from tests.conftest import REDIS_URL, make_settings
from tests.support.fakebot import FakeSession


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


def test_without_redis_state_is_in_memory(tmp_path, sqlite_url):
    from aiogram.fsm.storage.memory import MemoryStorage

    assert isinstance(make_storage(make_settings(tmp_path, sqlite_url)), MemoryStorage)
