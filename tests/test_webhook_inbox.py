"""The webhook through the inbox (issue 11, bot/intake.py): Telegram gets 200 only once the update is
stored (a database that is down means a non-200 answer, and Telegram sends it again), 400 and one log
line for a body that is not an update, 401 without the secret; a resent update is handled once."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiogram.methods import SendMessage
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import create_app
from bot.runner import build_webhook_app
from core.inbox import UpdateInbox
from tests.conftest import make_settings
from tests.support.fakebot import FakeSession
from tests.support.tcp_proxy import TcpProxy

TOKEN = "123456:ABCdefGhIJKlmNoPQRstuVWXyz0123456789"
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "right-secret"}
HOOK = "/telegram/webhook"


def _update(update_id: int, text: str = "/help") -> dict:
    user = {"id": 31337, "is_bot": False, "first_name": "Web", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": 31337, "type": "private"},
            "from": user,
            "text": text,
        },
    }


async def _webhook(tmp_path, database_url: str):
    settings = make_settings(
        tmp_path,
        database_url,
        bot_token=TOKEN,
        webhook_base_url="https://bot.example.org",
        webhook_secret="right-secret",
        default_locale="en",
        retry_max_s=1,
    )
    session = FakeSession()
    app = create_app(settings, bot_session=session)
    await app.prepare()
    client = TestClient(TestServer(build_webhook_app(app)))
    await client.start_server()
    return app, client, session


async def _answers(session: FakeSession, count: int) -> list[SendMessage]:
    for _ in range(200):
        sent = [c for c in session.calls if isinstance(c, SendMessage)]
        if len(sent) >= count:
            return sent
        await asyncio.sleep(0.02)
    return [c for c in session.calls if isinstance(c, SendMessage)]


async def _stored(app, update_id: int) -> bool:
    async with app.sessions() as session:
        return (
            await session.exec(select(UpdateInbox.update_id).where(UpdateInbox.update_id == update_id))
        ).first() is not None


async def test_200_once_stored_400_and_one_line_for_garbage_401_without_the_secret(tmp_path, sqlite_url, caplog):
    app, client, session = await _webhook(tmp_path, sqlite_url)
    try:
        assert (await client.post(HOOK, json=_update(1))).status == 401
        assert (
            await client.post(HOOK, json=_update(1), headers={**SECRET, "X-Telegram-Bot-Api-Secret-Token": "no"})
        ).status == 401
        with caplog.at_level(logging.INFO):
            garbage = await client.post(HOOK, data=b"{not json", headers={**SECRET, "Content-Type": "application/json"})
            assert garbage.status == 400
        assert [
            r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and "webhook" in r.getMessage()
        ] == [next(r.getMessage() for r in caplog.records if "not an update" in r.getMessage())]
        assert "Traceback" not in caplog.text
        assert (await client.post(HOOK, json={"no": "update_id"}, headers=SECRET)).status == 400
        assert not await _stored(app, 1)

        ok = await client.post(HOOK, json=_update(2), headers=SECRET)
        assert ok.status == 200
        assert await _stored(app, 2)  # stored by the time Telegram hears 200
        [answer] = await _answers(session, 1)
        assert "What I can do" in answer.text
        again = await client.post(HOOK, json=_update(2), headers=SECRET)  # Telegram did not get our 200
        assert again.status == 200
        await app.inbox.drained()
        assert len([c for c in session.calls if isinstance(c, SendMessage)]) == 1
    finally:
        await client.close()
        await app.stop()


async def test_not_200_while_the_database_is_down_and_handled_once_it_is_back(tmp_path, postgres_url):
    target = urlsplit(postgres_url)
    async with TcpProxy(target.hostname, target.port or 5432) as proxy:
        proxied = postgres_url.replace(target.netloc, f"{target.username}@127.0.0.1:{proxy.port}")
        app, client, session = await _webhook(tmp_path, proxied)
        try:
            await proxy.cut()
            down = await client.post(HOOK, json=_update(7), headers=SECRET)
            assert down.status != 200  # Telegram keeps the update and sends it again
            await proxy.restore()
            back = await client.post(HOOK, json=_update(7), headers=SECRET)
            assert back.status == 200
            [answer] = await _answers(session, 1)
            assert "What I can do" in answer.text
            await app.inbox.drained()
            assert len([c for c in session.calls if isinstance(c, SendMessage)]) == 1
        finally:
            await client.close()
            await app.stop()
