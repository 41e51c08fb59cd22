"""Sandbox mode: the run command with no Telegram token (``make run``, ``python main.py run``).

Starts the local sandbox (``sandbox/``: a fake Telegram Bot API and its web chat) and the Wufei bot
polling it, in one process, until SIGINT/SIGTERM. The sandbox knows nothing of the bot; this module,
on the bot's side beside the polling and webhook modes, connects the two.

Host/port come from ``settings.sandbox_host``/``settings.sandbox_port`` (127.0.0.1:8081).
``WUFEI_SANDBOX_LIMITS`` (e.g. ``off`` or ``chat=5,burst=10``) and ``WUFEI_SANDBOX_FAULTS``
(e.g. ``rate=0.05,kinds=500+502`` or ``script=500,slow:2``) configure limits and faults.
Exit codes: 0 stopped, 1 the bot failed, 2 a configuration or port problem (one line on stderr).

The web chat starts with a ready cast (``bot/sandbox_cast.py``): residents, an admin, a handler
with a bound staff group, campaign staff. With no ``WUFEI_ADMIN_IDS``, the cast's admin is the
configured admin. Typed addresses go to the offline gazetteer at once: the sandbox is for playing
the service, and an online geocoder there only makes every address wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.app import WufeiApp, create_app
from bot.config import Settings
from bot.sandbox_cast import CAST_ADMIN_ID, create_cast
from bot.serving import run_until_stopped, serve_web, stop_on_signals
from core import inbox as inbox_table
from sandbox import Faults, Limits, SandboxServer

log = logging.getLogger("wufei")

AppFactory = Callable[[Settings, str, str], WufeiApp]


class _Abort(Exception):
    """Start-up stopped with its reason already on stderr."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


async def run_sandbox(
    settings: Settings,
    *,
    app_factory: AppFactory | None = None,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve the sandbox and the bot connected to it until ``stop`` is set or a signal arrives.

    ``ready`` is set once the web chat is open and the bot polls. ``app_factory(settings, api_base,
    token)`` builds the app from the settings as sandbox mode changed them (default: ``create_app``)."""
    settings = sandbox_settings(settings)
    if app_factory is None:

        def app_factory(settings: Settings, api_base: str, token: str) -> WufeiApp:
            return create_app(settings, api_base=api_base, token=token)

    try:
        server = _sandbox_server(settings)
        await _start(server, settings)
    except _Abort as abort:
        return abort.code
    stop = stop or asyncio.Event()
    try:
        with stop_on_signals(stop):
            return await _run_bot(server, settings, app_factory, ready, stop)
    finally:
        await server.stop()


def sandbox_settings(settings: Settings) -> Settings:
    """The settings as sandbox mode uses them: offline geocoding; the cast's admin when none is set."""
    update: dict[str, Any] = {"geocoder_enabled": False}
    if not settings.admin_ids:
        update["admin_ids"] = [CAST_ADMIN_ID]
    return settings.model_copy(update=update)


def _sandbox_server(settings: Settings) -> SandboxServer:
    try:
        limits = _from_env("WUFEI_SANDBOX_LIMITS", Limits.parse) or Limits()
        faults = _from_env("WUFEI_SANDBOX_FAULTS", Faults.parse) or Faults()
    except ValueError as exc:
        print(f"Configuration error: sandbox limits/faults: {exc}", file=sys.stderr)
        raise _Abort(2) from None
    return SandboxServer(host=settings.sandbox_host, port=settings.sandbox_port, limits=limits, faults=faults)


def _from_env(name: str, parse: Callable[[str], Any]) -> Any:
    value = os.environ.get(name, "").strip()
    return parse(value) if value else None


async def _start(server: SandboxServer, settings: Settings) -> None:
    try:
        await server.start()
    except OSError as exc:
        print(
            f"Cannot start the sandbox on {settings.sandbox_host}:{settings.sandbox_port}: "
            f"{exc.strerror or exc}. Set WUFEI_SANDBOX_PORT to a free port.",
            file=sys.stderr,
        )
        raise _Abort(2) from None


async def _run_bot(
    server: SandboxServer, settings: Settings, app_factory: AppFactory, ready: asyncio.Event | None, stop: asyncio.Event
) -> int:
    app: WufeiApp | None = None
    web_runner: web.AppRunner | None = None
    try:
        app = app_factory(settings, server.base_url, server.token)
        await app.prepare()
        await _forget_earlier_sandboxes(app)
        web_runner = await _serve_health(app, settings)
        await create_cast(server, app.sessions, settings.admin_ids[0], settings.default_locale)
        print(
            f"\n  Wufei sandbox (no Telegram token): open the web chat at {server.webchat_url}\n"
            f"  无废 沙盒：在浏览器打开 {server.webchat_url}\n  Press Ctrl+C to stop.\n",
            flush=True,
        )
        if ready is not None:
            ready.set()
        await run_until_stopped(app, stop, app.poll)
        return 0
    except _Abort as abort:
        return abort.code
    except Exception as exc:  # report start-up and polling errors as an exit code
        log.exception("the bot failed in sandbox mode: %s", exc)
        return 1
    finally:
        if app is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(app.stop(), 10)
        if web_runner is not None:
            await web_runner.cleanup()


async def _forget_earlier_sandboxes(app: WufeiApp) -> None:
    """The inbox's rows of an earlier run: that sandbox, its chats and its update ids (this one
    counts from 1 again) are gone; left there, they would shadow this run's updates."""
    async with app.sessions() as session:
        forgotten = await inbox_table.forget(session, app.bot.id)
    if forgotten:
        log.info("forgot %d updates of an earlier sandbox run", forgotten)


async def _serve_health(app: WufeiApp, settings: Settings) -> web.AppRunner:
    """/healthz and the features' HTTP APIs, as in every run mode."""
    try:
        return await serve_web(app.web_app(), settings.web_host, settings.web_port)
    except OSError as exc:
        print(
            f"Cannot start the web server on {settings.web_host}:{settings.web_port}: "
            f"{exc.strerror or exc}. Set WUFEI_WEB_PORT to a free port.",
            file=sys.stderr,
        )
        raise _Abort(2) from None
