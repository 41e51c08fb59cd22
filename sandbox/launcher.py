"""Run the sandbox and the Wufei bot together (the run command when no token is configured)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from .faults import Faults
from .limits import Limits
from .server import SandboxServer

log = logging.getLogger("sandbox")


def _demo_people(server: SandboxServer, settings: Any) -> None:
    """A few people to start with, so the web chat is not empty; more can be added in the page.

    Two residents (Chinese, English) and a staff member in a staff group. When admins are
    configured (``settings.admin_ids``), the staff member is the first admin, so the page can
    play an administrator too."""
    server.create_user("王芳", language_code="zh")
    server.create_user("Tom", "Baker", language_code="en")
    admins = [a for a in (getattr(settings, "admin_ids", None) or []) if a not in server.world.users]
    if admins:
        staff = server.create_user("李工", "(管理员 admin)", language_code="zh", user_id=admins[0])
    else:
        staff = server.create_user("李工", "(工作人员 staff)", language_code="zh")
    server.create_group("江阴无废 工作群 Staff", [staff])


def _from_env(name: str, parse: Any) -> Any:
    value = os.environ.get(name, "").strip()
    return parse(value) if value else None


async def serve(settings: Any, *, app_factory: Any = None, ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> int:
    """Start the sandbox server and the bot app connected to it; poll until SIGINT/SIGTERM.

    Host/port come from ``settings.sandbox_host``/``settings.sandbox_port`` (127.0.0.1:8081).
    ``WUFEI_SANDBOX_LIMITS`` (e.g. ``off`` or ``chat=5,burst=10``) and ``WUFEI_SANDBOX_FAULTS``
    (e.g. ``rate=0.05,kinds=500+502`` or ``script=500,slow:2``) configure limits and faults.
    """
    host = getattr(settings, "sandbox_host", None) or "127.0.0.1"
    port = getattr(settings, "sandbox_port", None)
    port = 8081 if port is None else int(port)
    try:
        limits = _from_env("WUFEI_SANDBOX_LIMITS", Limits.parse) or Limits()
        faults = _from_env("WUFEI_SANDBOX_FAULTS", Faults.parse) or Faults()
    except ValueError as exc:
        print(f"Configuration error: sandbox limits/faults: {exc}", file=sys.stderr)
        return 2
    server = SandboxServer(host=host, port=port, limits=limits, faults=faults)
    try:
        await server.start()
    except OSError as exc:
        print(f"Cannot start the sandbox on {host}:{port}: {exc.strerror or exc}. "
              "Set WUFEI_SANDBOX_PORT to a free port.", file=sys.stderr)
        return 2

    if app_factory is None:
        from bot.app import create_app

        def app_factory(api_base: str, token: str) -> Any:
            return create_app(settings, api_base=api_base, token=token)

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)

    app = None
    poll_task: asyncio.Task | None = None
    web_runner = None
    code = 0
    try:
        app = app_factory(server.base_url, server.token)
        await app.prepare()
        if hasattr(app, "web_app"):  # /healthz and the features' HTTP APIs, as in every run mode
            from bot.runner import serve_web

            web_host = getattr(settings, "web_host", "127.0.0.1")
            web_port = getattr(settings, "web_port", 8080)
            try:
                web_runner = await serve_web(app.web_app(), web_host, web_port)
            except OSError as exc:
                print(f"Cannot start the web server on {web_host}:{web_port}: {exc.strerror or exc}. "
                      "Set WUFEI_WEB_PORT to a free port.", file=sys.stderr)
                code = 2
                raise _Abort from None
        _demo_people(server, settings)
        poll_task = asyncio.create_task(app.poll(), name="wufei-polling")
        print(f"\n  Wufei sandbox (no Telegram token): open the web chat at {server.webchat_url}\n"
              f"  无废 沙盒：在浏览器打开 {server.webchat_url}\n  Press Ctrl+C to stop.\n", flush=True)
        if ready is not None:
            ready.set()
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({poll_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if poll_task in done:
            exc = poll_task.exception()
            if exc is not None:
                log.error("bot polling failed: %r", exc)
                code = 1
    except _Abort:
        pass
    except Exception as exc:  # noqa: BLE001 - report start-up errors as an exit code
        log.exception("sandbox launcher failed: %s", exc)
        code = 1
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if app is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(app.stop(), 10)
        if poll_task is not None and not poll_task.done():
            try:
                await asyncio.wait_for(poll_task, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001
                poll_task.cancel()
        if web_runner is not None:
            await web_runner.cleanup()
        await server.stop()
    return code


class _Abort(Exception):
    """Start-up stopped with a message already printed."""
