"""All routers, in the order updates should meet them.

Each module exposes ``build() -> Router`` so every application instance (tests build many) gets
fresh routers; handlers stay plain module-level functions.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.scene import SceneRegistry

from bot.handlers import admin, campaigns, common, curation, fallback, membership, reports, sorting


def build_router() -> Router:
    root = Router(name="wufei")
    scenes = Router(name="wufei.scenes")
    root.include_routers(
        campaigns.build_deep_links(),  # /start cell-<id> subscribes before the plain /start
        common.build(),  # /start, /help, /language, /cancel at any step
        sorting.build(),  # plain text outside any flow is a sorting question: met early, cheaply
        membership.build(),
        admin.build(),
        curation.build(),
        reports.build(),
        scenes,  # the wizards' steps (in their own state only)
        campaigns.build(),
        fallback.build(),  # must stay last
    )
    registry = SceneRegistry(root, register_on_add=False)  # gives every handler the ``scenes`` manager
    registry.add(*campaigns.SCENES, router=scenes)
    return root
