"""What every run mode shares: the health probe, the web server, stopping on SIGINT/SIGTERM.

A leaf of ``bot/`` (it imports only ``bot/dependencies.py`` at run time), so the run modes
(``bot/runner.py``, ``bot/sandbox_mode.py``) and ``bot/app.py`` can all use it without a cycle.

``GET /healthz``: 200 ``{"status": "ok", "mode": ...}``, or 503 ``{"status": "error", "database":
reason, "redis": reason, "media": reason}`` naming what is unreachable (Redis only when
configured; media is the photos' folder or object store); each probe gives up after two seconds,
so the probe never hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.dependencies import DATABASE, MEDIA, REDIS, probe_database, probe_media, probe_redis

if TYPE_CHECKING:
    from bot.app import WufeiApp

log = logging.getLogger("wufei")


def health_routes(app: WufeiApp) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/healthz")
    async def healthz(_request: web.Request) -> web.Response:
        probes = {DATABASE: probe_database(app.engine)}
        redis = getattr(app.dp.storage, "redis", None)  # RedisStorage's client, when configured
        if redis is not None:
            probes[REDIS] = probe_redis(redis)
        if app.reports is not None:  # the reports feature's photos
            probes[MEDIA] = probe_media(app.reports.media.storage)
        answers = dict(zip(probes, await asyncio.gather(*probes.values())))
        problems = {name: problem for name, problem in answers.items() if problem}
        if problems:
            return web.json_response({"status": "error", **problems}, status=503)
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


async def run_until_stopped(app: WufeiApp, stop: asyncio.Event, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main`` until it ends or ``stop`` is set, then stop the app; re-raise what ``main`` raised."""
    task = asyncio.create_task(main())
    stopper = asyncio.create_task(stop.wait())
    done, _pending = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    log.info("shutting down")
    await app.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
    if task in done and (error := task.exception()) is not None:
        raise error
