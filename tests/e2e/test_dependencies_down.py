"""Dependencies down (issue 11): the bot process keeps going while Redis or the database is away,
/healthz names what is down, and a resident who wrote meanwhile is answered, once, when it is back.
Unreachable at start: one line naming the setting, exit code 2.

Redis and PostgreSQL are the real servers behind a TCP proxy the test cuts and restores.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from core import db, inbox as inbox_table
from sandbox import Limits
from sandbox.driver import Sandbox
from sandbox.server import SandboxServer
from tests.conftest import REDIS_URL, service_missing
from tests.e2e.processes import ROOT, bot_env, free_port, health, kill_if_running, start_bot, wait_until
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e


async def _redis_reachable() -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as error:  # noqa: BLE001
        service_missing("Redis on 127.0.0.1:6379", error)
    finally:
        await client.aclose()


async def _forget_redis_keys(bot_id: int) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = [key async for key in client.scan_iter(f"wufei:{bot_id}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


class Running:
    """The sandbox in this process and the bot as a process polling it."""

    def __init__(self, tmp_path: Path, database_url: str, **settings: str) -> None:
        self.bot_id = 7_200_000_000 + secrets.randbelow(1_000_000)
        self.server = SandboxServer(
            host="127.0.0.1",
            port=0,
            limits=Limits.relaxed(),
            token=f"{self.bot_id}:SANDBOX-{secrets.token_urlsafe(24)}",
        )
        self.web_port = free_port()
        self.log = tmp_path / "bot.log"
        self.settings = dict(
            WUFEI_BOT_TOKEN=self.server.token,
            WUFEI_WEB_PORT=str(self.web_port),
            WUFEI_DATABASE_URL=database_url,
            WUFEI_DEFAULT_LOCALE="en",
            WUFEI_RETRY_MAX_S="1",
            **settings,
        )
        self.tmp_path = tmp_path
        self.process: asyncio.subprocess.Process | None = None
        self.sandbox: Sandbox | None = None

    async def __aenter__(self) -> Running:
        await self.server.start()
        self.sandbox = Sandbox(self.server)
        env = bot_env(self.tmp_path, WUFEI_API_BASE=self.server.base_url, **self.settings)
        self.process = await start_bot(self.tmp_path, env, self.log)
        self.http = aiohttp.ClientSession()
        assert await health(self.http, self.web_port) == (200, {"status": "ok", "mode": "polling"}), self.output()
        return self

    async def __aexit__(self, exc_type, *_exc) -> None:
        if exc_type is not None:
            print(self.output())  # shown by pytest with the failure
        await self.http.close()
        if self.process is not None:
            await kill_if_running(self.process)
        self.sandbox.close()
        await self.server.stop()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:] if self.log.exists() else ""

    async def healthz(self) -> tuple[int, dict]:
        async with self.http.get(f"http://127.0.0.1:{self.web_port}/healthz") as response:
            return response.status, await response.json()

    async def handled(self, inbox_url: str) -> None:
        """Wait until the sandbox has handed every update over and the inbox has handled them."""
        engine = db.make_engine(inbox_url)
        try:

            async def all_handled() -> bool:
                async with db.make_session_factory(engine)() as session:
                    counts = await inbox_table.counts(session, self.bot_id)
                return not self.server.world.updates and counts.get("pending", 0) == 0

            await wait_until(all_handled, "every update handled")
        finally:
            await engine.dispose()

    async def answered_once_when_back(self, resident, proxy: TcpProxy, waiting_line: str, inbox_url: str) -> None:
        """The resident asks while the service is down: no answer until it is back, then exactly one."""
        before = len(resident.messages())
        await resident.send("battery")
        await wait_until(lambda: waiting_line in self.output(), f"the bot to log {waiting_line!r}", timeout=20)
        assert len(resident.messages()) == before, "answered (or apologised) while the service was down"
        await proxy.restore()
        answer = await resident.expect_message(timeout=20)
        assert "battery" in answer.content.lower() or "电池" in answer.content, answer
        await self.handled(inbox_url)
        assert len(resident.messages()) == before + 1, resident.messages()[before:]
        assert await self.healthz() == (200, {"status": "ok", "mode": "polling"})


async def test_redis_down_while_running_is_reported_and_the_resident_answered_once_back(tmp_path):
    await _redis_reachable()
    target = urlsplit(REDIS_URL)
    async with TcpProxy(target.hostname, target.port or 6379) as proxy:
        sqlite = f"sqlite+aiosqlite:///{tmp_path}/wufei.db"
        running = Running(tmp_path, sqlite, WUFEI_REDIS_URL=f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}")
        try:
            async with running:
                rita = running.sandbox.user("Rita", lang="en")
                await rita.send("/start")
                await rita.expect_message(timeout=20)
                await running.handled(sqlite)
                await proxy.cut()
                status, body = await running.healthz()
                assert status == 503 and body["status"] == "error" and "redis" in body, body
                assert "database" not in body, body
                await running.answered_once_when_back(rita, proxy, "waits: the redis is unreachable", sqlite)
        finally:
            await _forget_redis_keys(running.bot_id)


async def test_database_down_while_running_is_reported_and_the_resident_answered_once_back(tmp_path, postgres_url):
    target = urlsplit(postgres_url)
    async with TcpProxy(target.hostname, target.port or 5432) as proxy:
        proxied = postgres_url.replace(target.netloc, f"{target.username}@127.0.0.1:{proxy.port}")
        async with Running(tmp_path, proxied) as running:
            rita = running.sandbox.user("Rita", lang="en")
            await rita.send("/start")
            await rita.expect_message(timeout=20)
            await running.handled(postgres_url)
            await proxy.cut()
            status, body = await running.healthz()
            assert status == 503 and body["status"] == "error" and "database" in body, body
            assert "redis" not in body, body
            # Not stored, so not acknowledged: the sandbox hands it over again until it is stored.
            await running.answered_once_when_back(rita, proxy, "could not store 1 updates", postgres_url)


@pytest.mark.parametrize("setting", ["WUFEI_DATABASE_URL", "WUFEI_REDIS_URL"])
async def test_unreachable_at_start_is_one_line_naming_the_setting_and_exit_2(tmp_path, setting):
    closed = free_port()  # nothing listens there
    url = {
        "WUFEI_DATABASE_URL": f"postgresql+asyncpg://wufei:s3cret@127.0.0.1:{closed}/wufei",
        "WUFEI_REDIS_URL": f"redis://:s3cret@127.0.0.1:{closed}/0",
    }[setting]
    env = bot_env(tmp_path, **{setting: url})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "main.py"),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)  # a hang is a failure
    finally:
        await kill_if_running(process)
    lines = [line for line in (stdout + stderr).decode().splitlines() if line.strip()]
    assert process.returncode == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"Start-up error: {setting}=") and "unreachable" in lines[0], lines
    assert f"127.0.0.1:{closed}" in lines[0] and "s3cret" not in lines[0], lines
