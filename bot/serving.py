"""What every run mode shares: the health probe, the web server, stopping on SIGINT/SIGTERM.

A leaf of ``bot/``: it imports no other module of the package at run time, so the run modes
(``bot/runner.py``, ``bot/sandbox_mode.py``) and ``bot/app.py`` can all use it without a cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

if TYPE_CHECKING:
    from bot.app import WufeiApp

log = logging.getLogger("wufei")


def health_routes(app: WufeiApp) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/healthz")
    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with app.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # report, do not crash the probe
            return web.json_response({"status": "error", "database": str(error)}, status=503)
        return web.json_response({"status": "ok", "mode": app.settings.mode.value})

    return routes


async def serve_web(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` while the block runs; the handlers are removed after it."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def run_until_stopped(app: WufeiApp, stop: asyncio.Event, main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main`` until it ends or ``stop`` is set, then stop the app; re-raise what ``main`` raised."""
    task = asyncio.create_task(main())
    stopper = asyncio.create_task(stop.wait())
    done, _pending = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    log.info("shutting down")
    await app.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
    if task in done and task.exception() is not None:
        raise task.exception()
