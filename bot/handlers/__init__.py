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
        campaigns.build_deep_links(),  # /start cell-<id> subscribes before the plain /start
        common.build(),  # /start, /help, /language, /cancel at any step
        sorting.build(),  # plain text outside any flow is a sorting question: met early, cheaply
        membership.build(),
        admin.build(),
        curation.build(),
        reports.build(),
        campaigns.build(),
        fallback.build(),  # must stay last
    )
    return root
