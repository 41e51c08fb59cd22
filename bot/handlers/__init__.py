"""All routers, in the order updates should meet them.

Each module exposes ``build() -> Router`` so every application instance (tests build many) gets
fresh routers; handlers stay plain module-level functions.
"""

from __future__ import annotations

from aiogram import Router

from bot.handlers import admin, campaigns, common, curation, fallback, membership, reports, sorting


def build_router() -> Router:
    root = Router(name="wufei")
    root.include_routers(
        # Plain text outside any flow is a sorting question: met first, by async filters only (no
        # magic filter, which aiogram runs in a thread). Its filters match only /sort, its button,
        # its callbacks and plain text that is no command or button, so nothing below is shadowed.
        sorting.build(),
        campaigns.build_deep_links(),  # /start cell-<id> subscribes before the plain /start
        common.build(),  # /start, /help, /language, /cancel at any step
        membership.build(),
        admin.build(),
        curation.build(),
        reports.build(),
        campaigns.build(),
        fallback.build(),  # must stay last
    )
    return root
