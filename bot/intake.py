"""How updates come in: long polling and the webhook, both through the durable inbox.

- Polling (``poll_into``): getUpdates, store the batch (``Inbox.accept``: one transaction), and
  only then advance the offset. Telegram forgets updates when the next getUpdates confirms them,
  so an update that could not be stored (the database is down) is fetched again after a backoff;
  one stored but not yet confirmed when the process died comes again and is stored once.
  The first getUpdates after a start has no offset: every unconfirmed update comes again.
- Webhook (``webhook_handler``): 401 without Telegram's secret-token header, 400 (and one log
  line) for a body that is not an update, 503 when it could not be stored (Telegram sends it again
  later), 200 once it is stored. Handling happens after the answer, in the inbox's worker.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff
from aiohttp import web
from pydantic import ValidationError

from bot import dependencies
from bot.inbox import Inbox

log = logging.getLogger("wufei.intake")

POLLING_TIMEOUT_S = 10
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def poll_into(inbox: Inbox, bot: Bot, dp: Dispatcher, *, polling_timeout: int = POLLING_TIMEOUT_S) -> None:
    """Long polling into ``inbox`` until cancelled."""
    get_updates = GetUpdates(timeout=polling_timeout, allowed_updates=dp.resolve_used_update_types())
    request_timeout = int((bot.session.timeout or 0) + polling_timeout)
    backoff = Backoff(inbox.backoff)
    failing = False
    while True:
        try:
            updates = await bot(get_updates, request_timeout=request_timeout)
        except Exception as error:  # noqa: BLE001 - Telegram unreachable: never stop polling
            failing = await _wait(backoff, "could not fetch updates", error)
            continue
        try:
            await inbox.accept(updates)
        except Exception as error:  # noqa: BLE001 - not stored: not confirmed, fetched again
            failing = await _wait(backoff, f"could not store {len(updates)} updates (Telegram keeps them)", error)
            continue
        if failing:
            log.info("polling works again after %d failed attempts", backoff.counter)
            backoff.reset()
            failing = False
        if updates:
            get_updates.offset = updates[-1].update_id + 1


async def _wait(backoff: Backoff, what: str, error: Exception) -> bool:
    delay = max(0.0, next(backoff))
    which = dependencies.down(error)
    cause = f"the {which} is unreachable: " if which else ""
    log.warning("%s: %s%s; retry in %.1f s", what, cause, dependencies.reason(error), delay)
    await asyncio.sleep(delay)
    return True


def webhook_handler(inbox: Inbox, bot: Bot, secret: str):
    """The aiohttp handler of Telegram's webhook requests (see the module's rules)."""
    expected = secret.encode()

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401, text="unauthorized")
        body = await request.text()
        try:
            update = Update.model_validate(json.loads(body), context={"bot": bot})
        except (ValueError, ValidationError) as error:
            first = " ".join(str(error).split())[:120]
            log.warning("webhook: not an update (%d bytes from %s): %s", len(body), request.remote, first)
            return web.Response(status=400, text="not an update")
        try:
            await inbox.accept([update], [body])
        except Exception as error:  # noqa: BLE001 - Telegram retries a non-200 answer
            log.warning(
                "webhook: update %s not stored, answered 503 (Telegram sends it again): %s",
                update.update_id,
                dependencies.reason(error),
            )
            return web.Response(status=503, text="try again")
        return web.Response(status=200)

    return handle
