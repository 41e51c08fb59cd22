"""Run a sandbox and a bot app together in-process (for pytest fixtures and scripts).

An *app* is any object with ``bot``, ``dp``, ``async prepare()`` (optional), ``async poll()``
and ``async stop()`` - the shape of ``bot.app.create_app(...)``. ``app_factory(api_base, token)``
builds one (it may be async).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from .driver import Sandbox
from .faults import Faults
from .limits import Limits
from .server import SandboxServer

AppFactory = Callable[[str, str], Any]


class _ErrorCollector(logging.Handler):
    """Collects aiogram's "Failed to process update"-style errors for test diagnostics."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {record.exc_info[1]!r}"
        self.sink.append(text)


async def close_quickly(bot: Any) -> None:
    """Close a Bot's HTTP session without aiogram's fixed 250 ms TLS grace sleep (plain HTTP here)."""
    http = getattr(bot.session, "_session", None)
    if http is not None and not http.closed:
        await http.close()


class SimpleApp:
    """A minimal app around an aiogram Dispatcher, same shape as Wufei's app (for sandbox tests)."""

    def __init__(self, api_base: str, token: str, dp: Any, polling_timeout: int = 10) -> None:
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        self.bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
        self.dp = dp
        self.polling_timeout = polling_timeout

    async def prepare(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def poll(self) -> None:
        await self.dp.start_polling(
            self.bot, handle_signals=False, close_bot_session=False, polling_timeout=self.polling_timeout
        )

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # not polling
            await self.dp.stop_polling()
        await close_quickly(self.bot)


async def wait_for_polling(server: SandboxServer, task: asyncio.Task | None, timeout: float = 10.0) -> None:
    """Wait until the bot's first getUpdates has reached the server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(m.lower() == "getupdates" for m in server.method_counts):
            return
        if task is not None and task.done():
            task.result()  # raise the app's error
            raise RuntimeError("the bot's poll() returned before polling")
        await asyncio.sleep(0.02)
    raise TimeoutError("the bot did not start polling the sandbox")


@contextlib.asynccontextmanager
async def running_sandbox(
    app_factory: AppFactory | None = None,
    *,
    limits: Limits | None = None,
    faults: Faults | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    server: SandboxServer | None = None,
) -> AsyncIterator[Sandbox]:
    """Start a sandbox server (free port) and, if given, the bot app polling it in the background."""
    server = server or SandboxServer(
        host=host, port=port, limits=limits or Limits.relaxed(), faults=faults, validate_responses=True
    )
    await server.start()
    errors: list[str] = []
    collector = _ErrorCollector(errors)
    aiogram_log = logging.getLogger("aiogram")
    aiogram_log.addHandler(collector)
    app = task = None
    driver: Sandbox | None = None
    try:
        if app_factory is not None:
            app = app_factory(server.base_url, server.token)
            if inspect.isawaitable(app):
                app = await app
            prepare = getattr(app, "prepare", None)
            if prepare is not None:
                await prepare()
            task = asyncio.create_task(app.poll(), name="sandbox-bot-polling")
            await wait_for_polling(server, task)
        driver = Sandbox(server, app, task)
        driver.bot_errors = errors
        yield driver
    finally:
        aiogram_log.removeHandler(collector)
        if driver is not None:
            driver.close()
        if app is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(app.stop(), 10)
        if task is not None:
            if not task.done():
                try:
                    await asyncio.wait_for(task, 5)
                except (TimeoutError, asyncio.CancelledError):
                    pass
                except Exception:  # the test outcome matters more
                    logging.getLogger("sandbox").exception("bot polling ended with an error")
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        await server.stop()
