"""Run modes: webhook requests need Telegram's secret header; /healthz answers in every mode."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram.methods import SendMessage
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.runner import build_webhook_app
from bot.serving import health_routes
from tests.conftest import make_settings
from tests.support.fakebot import FakeSession

TOKEN = "123456:ABCdefGhIJKlmNoPQRstuVWXyz0123456789"


def _update(update_id: int, text: str) -> dict:
    user = {"id": 31337, "is_bot": False, "first_name": "Web", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": 31337, "type": "private"},
            "from": user,
            "text": text,
        },
    }


async def test_webhook_checks_the_secret_and_serves_health(tmp_path, sqlite_url):
    settings = make_settings(
        tmp_path,
        sqlite_url,
        bot_token=TOKEN,
        webhook_base_url="https://bot.example.org",
        webhook_secret="right-secret",
    )
    session = FakeSession()
    app = create_app(settings, bot_session=session)
    await app.prepare()
    client = TestClient(TestServer(build_webhook_app(app)))
    await client.start_server()
    try:
        health = await client.get("/healthz")
        assert health.status == 200 and (await health.json()) == {"status": "ok", "mode": "webhook"}

        wrong = await client.post(
            "/telegram/webhook",
            json=_update(1, "/help"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        )
        missing = await client.post("/telegram/webhook", json=_update(2, "/help"))
        assert wrong.status == 401 and missing.status == 401

        ok = await client.post(
            "/telegram/webhook",
            json=_update(3, "/help"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "right-secret"},
        )
        assert ok.status == 200
        for _ in range(100):
            sent = [c for c in session.calls if isinstance(c, SendMessage)]
            if sent:
                break
            await asyncio.sleep(0.02)
        assert len(sent) == 1 and "What I can do" in sent[0].text
    finally:
        await client.close()
        await app.stop()


async def test_health_reports_a_broken_database(tmp_path):
    settings = make_settings(tmp_path, "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    app = create_app(settings, bot_session=FakeSession())
    web_app = web.Application()
    web_app.add_routes(health_routes(app))
    client = TestClient(TestServer(web_app))
    await client.start_server()
    try:
        response = await client.get("/healthz")
        assert response.status == 503 and (await response.json())["status"] == "error"
    finally:
        await client.close()
        await app.engine.dispose()
