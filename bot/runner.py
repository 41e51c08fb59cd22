"""Run modes: long polling (token), webhook (token + URL), local sandbox (no token).

Every mode serves ``GET /healthz`` and stops cleanly on SIGTERM/SIGINT. The sandbox mode lives in
``bot/sandbox_mode.py``; what the modes share in ``bot/serving.py``; how updates come in (through
the durable inbox) in ``bot/intake.py``. ``main.py`` checks the database and Redis before it
starts a mode (``bot/dependencies.py``).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.app import WufeiApp, create_app
from bot.config import RunMode, Settings
from bot.sandbox_mode import run_sandbox
from bot.serving import run_until_stopped, serve_web, stop_on_signals

log = logging.getLogger("wufei")


async def run_polling(settings: Settings) -> int:
    app = create_app(settings)
    await app.prepare()
    stop = asyncio.Event()
    with stop_on_signals(stop):
        runner = await serve_web(app.web_app(), settings.web_host, settings.web_port)
        log.info("long polling; health at http://%s:%s/healthz", settings.web_host, settings.web_port)
        try:
            await run_until_stopped(app, stop, app.poll)
        finally:
            await runner.cleanup()
    return 0


def build_webhook_app(app: WufeiApp) -> web.Application:
    """Health probe plus Telegram's webhook (``bot/intake.py``): 401 without the secret-token
    header, 400 for a body that is not an update, 200 once the update is stored in the inbox."""
    return app.web_app(webhook=True)


async def run_webhook(settings: Settings) -> int:
    app = create_app(settings)
    await app.prepare()
    stop = asyncio.Event()
    with stop_on_signals(stop):
        runner = await serve_web(build_webhook_app(app), settings.web_host, settings.web_port)
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


async def run(settings: Settings) -> int:
    modes = {RunMode.POLLING: run_polling, RunMode.WEBHOOK: run_webhook, RunMode.SANDBOX: run_sandbox}
    return await modes[settings.mode](settings)
