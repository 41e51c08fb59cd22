"""`main.py run` in polling mode, as deployed: a real process talking HTTP to a Bot API server
(here the sandbox via WUFEI_API_BASE), serving /healthz, stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from sandbox import Limits
from sandbox.server import SandboxServer
from tests.e2e.processes import (
    bot_env as _env,
    free_port as _free_port,
    health as _health,
    kill_if_running as _kill_if_running,
    start_bot as _start,
    stop_cleanly as _stop_cleanly,
)

pytestmark = pytest.mark.e2e


async def _answered(http: aiohttp.ClientSession, server: SandboxServer, user_id: int) -> bool:
    """Whether the bot wrote to this user in the sandbox (waits up to about 10 s)."""
    for _ in range(200):
        async with http.get(server.webchat_url + f"api/chats/{user_id}/messages") as r:
            if any(m["from_bot"] for m in (await r.json())["messages"]):
                return True
        await asyncio.sleep(0.05)
    return False


async def test_polling_process_answers_serves_health_and_stops_on_sigterm(tmp_path):
    server = SandboxServer(host="127.0.0.1", port=0, limits=Limits.relaxed())
    await server.start()
    web_port = _free_port()
    env = _env(tmp_path, WUFEI_BOT_TOKEN=server.token, WUFEI_API_BASE=server.base_url, WUFEI_WEB_PORT=str(web_port))
    process = await _start(tmp_path, env)
    try:
        async with aiohttp.ClientSession() as http:
            assert await _health(http, web_port) == (200, {"status": "ok", "mode": "polling"})
            user = server.create_user("Pat", language_code="en")
            async with http.post(server.webchat_url + "api/send", json={"user_id": user.id, "text": "/help"}) as r:
                assert (await r.json())["ok"]
            assert await _answered(http, server, user.id), "the polling process did not answer"
        assert b"shutting down" in await _stop_cleanly(process)
    finally:
        await _kill_if_running(process)
        await server.stop()


async def test_run_without_token_starts_sandbox_with_health_and_stops(tmp_path):
    sandbox_port, web_port = _free_port(), _free_port()
    env = _env(tmp_path, WUFEI_SANDBOX_PORT=str(sandbox_port), WUFEI_WEB_PORT=str(web_port))
    process = await _start(tmp_path, env)
    try:
        async with aiohttp.ClientSession() as http:
            assert await _health(http, web_port) == (200, {"status": "ok", "mode": "sandbox"})
            async with http.get(f"http://127.0.0.1:{sandbox_port}/webchat/") as response:
                assert response.status == 200
        output = await _stop_cleanly(process)
        assert f"http://127.0.0.1:{sandbox_port}/webchat/".encode() in output
    finally:
        await _kill_if_running(process)


async def test_webhook_process_checks_the_secret_answers_and_stops_on_sigterm(tmp_path):
    server = SandboxServer(host="127.0.0.1", port=0, limits=Limits.relaxed())
    await server.start()
    web_port = _free_port()
    env = _env(
        tmp_path,
        WUFEI_BOT_TOKEN=server.token,
        WUFEI_API_BASE=server.base_url,
        WUFEI_WEB_PORT=str(web_port),
        WUFEI_WEBHOOK_BASE_URL="https://wufei.example.org",
        WUFEI_WEBHOOK_SECRET="s3cret-token",
    )
    process = await _start(tmp_path, env)
    user = server.create_user("Wen", language_code="en", started=True)
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "text": "/help",
            "chat": {"id": user.id, "type": "private"},
            "from": {"id": user.id, "is_bot": False, "first_name": "Wen", "language_code": "en"},
        },
    }
    hook = f"http://127.0.0.1:{web_port}/telegram/webhook"
    try:
        async with aiohttp.ClientSession() as http:
            assert await _health(http, web_port) == (200, {"status": "ok", "mode": "webhook"})
            async with http.post(hook, json=update) as response:
                assert response.status == 401  # no secret header: not Telegram
            async with http.post(
                hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            ) as response:
                assert response.status == 200
            assert await _answered(http, server, user.id), "the webhook process did not answer"
        await _stop_cleanly(process)
    finally:
        await _kill_if_running(process)
        await server.stop()
