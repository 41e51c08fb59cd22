"""Bot API: identity, receiving updates (long poll, webhook settings) and the command menu."""

from __future__ import annotations

import json
import time
from typing import Any

from .core import BotApi, method
from .params import ApiError, Params, bad


@method("getMe")
async def get_me(api: BotApi, p: Params) -> Any:
    return {
        **api.world.bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("getUpdates")
async def get_updates(api: BotApi, p: Params) -> Any:
    if api.world.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = p.int("offset")
    limit = max(1, min(100, p.int("limit", default=100) or 100))
    timeout = max(0, p.int("timeout", default=0) or 0)
    allowed = p.json("allowed_updates")
    deadline = time.monotonic() + timeout
    api.poll_generation += 1
    generation = api.poll_generation
    api.world._wake_pollers()
    while True:
        if generation != api.poll_generation:
            # Telegram ends the older of two concurrent long polls like this.
            raise ApiError(
                409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
            )
        updates = api.world.take_updates(offset, limit, allowed)
        allowed = None
        remaining = deadline - time.monotonic()
        if updates or remaining <= 0 or api.closing:
            return updates
        await api.world.wait_for_update(remaining)


@method("deleteWebhook")
async def delete_webhook(api: BotApi, p: Params) -> Any:
    api.world.webhook_url = ""
    if p.bool("drop_pending_updates"):
        api.world.updates.clear()
    return True


@method("setWebhook")
async def set_webhook(api: BotApi, p: Params) -> Any:
    api.world.webhook_url = p.str("url") or ""
    return True


@method("getWebhookInfo")
async def get_webhook_info(api: BotApi, p: Params) -> Any:
    return {
        "url": api.world.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(api.world.updates),
    }


def _scope_key(p: Params) -> str:
    scope = p.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (p.str("language_code") or "")


@method("setMyCommands")
async def set_my_commands(api: BotApi, p: Params) -> Any:
    commands = p.json("commands")
    if not isinstance(commands, list):
        raise bad("commands is empty" if commands is None else "can't parse commands JSON object")
    for c in commands:
        cmd = str(c.get("command", ""))
        if not cmd or len(cmd) > 32 or not all(ch.islower() or ch.isdigit() or ch == "_" for ch in cmd):
            raise bad("BOT_COMMAND_INVALID")
        if not (1 <= len(str(c.get("description", ""))) <= 256):
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    api.world.commands[_scope_key(p)] = commands
    api.world.emit({"event": "commands"})
    return True


@method("getMyCommands")
async def get_my_commands(api: BotApi, p: Params) -> Any:
    return api.world.commands.get(_scope_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(api: BotApi, p: Params) -> Any:
    api.world.commands.pop(_scope_key(p), None)
    return True
