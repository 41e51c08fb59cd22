"""The run command's sandbox mode (bot/sandbox_mode.py): sandbox + Wufei started together, stopped cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import aiohttp
import pytest

from bot.sandbox_mode import run_sandbox
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e


async def _run_and_say_start(settings, capsys) -> None:
    """Sandbox mode until a demo resident's /start is answered, then a clean stop."""
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_sandbox(settings, ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), 20)
    url = re.search(r"http://127\.0\.0\.1:\d+/webchat/", capsys.readouterr().out).group(0)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200 and "无废" in await resp.text()
        async with http.get(url + "api/state") as resp:
            state = await resp.json()
        user = state["users"][0]
        async with http.post(url + "api/send", json={"user_id": user["id"], "text": "/start"}) as resp:
            assert (await resp.json())["ok"]
        for _ in range(100):
            async with http.get(url + f"api/chats/{user['id']}/messages") as resp:
                history = (await resp.json())["messages"]
            if any(m["from_bot"] for m in history):
                break
            await asyncio.sleep(0.05)
        assert any(m["from_bot"] for m in history), "the bot did not answer /start"
    stop.set()
    assert await asyncio.wait_for(task, 20) == 0


async def test_sandbox_mode_starts_bot_and_webchat_then_stops(tmp_path, capsys):
    settings = make_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", sandbox_host="127.0.0.1", sandbox_port=0
    )
    await _run_and_say_start(settings, capsys)


async def test_a_second_run_on_the_same_database_answers_too(tmp_path, capsys):
    """Each run's sandbox counts update ids from 1 again: the inbox rows of the last run (same ids,
    already handled) must not swallow this run's updates."""
    settings = make_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", sandbox_host="127.0.0.1", sandbox_port=0
    )
    await _run_and_say_start(settings, capsys)
    await _run_and_say_start(settings, capsys)


async def test_sandbox_mode_stops_on_sigterm(tmp_path, capsys):
    settings = make_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", sandbox_host="127.0.0.1", sandbox_port=0
    )
    ready = asyncio.Event()
    task = asyncio.create_task(run_sandbox(settings, ready=ready))
    await asyncio.wait_for(ready.wait(), 20)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 20) == 0


async def test_sandbox_mode_reports_busy_port(tmp_path, capsys):
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        settings = make_settings(
            tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", sandbox_host="127.0.0.1", sandbox_port=port
        )
        assert await run_sandbox(settings) == 2
        assert "WUFEI_SANDBOX_PORT" in capsys.readouterr().err
    finally:
        blocker.close()
        await blocker.wait_closed()
