"""Start-up and shutdown of the campaigns feature's long-lived parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import WufeiApp


async def start(app: WufeiApp) -> None:
    """Called once the database is migrated and before updates are processed."""


async def stop(app: WufeiApp) -> None:
    """Called on shutdown, before the database engine is disposed."""


def web_routes(app: WufeiApp) -> list:
    """(prefix, aiohttp.web.Application) pairs mounted on the bot's web server."""
    return []
