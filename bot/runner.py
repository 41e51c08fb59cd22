"""Run modes: long polling (token), webhook (token + URL), local sandbox (no token).

Every mode serves ``GET /healthz`` and stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text

from bot.app import WufeiApp, create_app
from bot.config import RunMode, Settings

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
    await web.TCPSite(runner, host, port).start()
    return runner


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def run_until_stopped(app: WufeiApp, stop: asyncio.Event, main: Callable[[], Awaitable[None]]) -> None:
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


async def run_polling(settings: Settings) -> int:
    app = create_app(settings)
    await app.prepare()
    stop = asyncio.Event()
    install_signal_handlers(stop)
    runner = await serve_web(app.web_app(), settings.web_host, settings.web_port)
    log.info("long polling; health at http://%s:%s/healthz", settings.web_host, settings.web_port)
    try:
        await run_until_stopped(app, stop, app.poll)
    finally:
        await runner.cleanup()
    return 0


def build_webhook_app(app: WufeiApp) -> web.Application:
    """Health probe plus Telegram's webhook; requests without the secret-token header get 401."""
    return app.web_app(webhook=True)


async def run_webhook(settings: Settings) -> int:
    app = create_app(settings)
    await app.prepare()
    stop = asyncio.Event()
    install_signal_handlers(stop)
    web_app = build_webhook_app(app)
    runner = await serve_web(web_app, settings.web_host, settings.web_port)
    await app.bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=app.dp.resolve_used_update_types(),
    )
    log.info("webhook at %s; listening on %s:%s", settings.webhook_url, settings.web_host, settings.web_port)
    try:
        await app.dp.emit_startup(bot=app.bot)
        await stop.wait()
        await app.dp.emit_shutdown(bot=app.bot)
    finally:
        await runner.cleanup()
        await app.stop()
    return 0


async def run_sandbox(settings: Settings) -> int:
    try:
        from sandbox.launcher import serve
    except ImportError:
        log.error(
            "No bot token is configured (WUFEI_BOT_TOKEN) and the local Telegram sandbox is not "
            "available in this version. Set WUFEI_BOT_TOKEN to run against Telegram."
        )
        return 3
    return await serve(settings)


async def run(settings: Settings) -> int:
    modes = {RunMode.POLLING: run_polling, RunMode.WEBHOOK: run_webhook, RunMode.SANDBOX: run_sandbox}
    return await modes[settings.mode](settings)
