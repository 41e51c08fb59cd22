"""All routers, in the order updates should meet them.

Each module exposes ``build() -> Router`` so every application instance (tests build many) gets
fresh routers; handlers stay plain module-level functions. The wizards are aiogram Scenes: each
feature package exposes a tuple ``SCENES``, added to the one ``SceneRegistry`` of the root router
(which gives every handler the ``scenes`` manager); their routers meet updates right after their
feature's own router.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.scene import SceneRegistry

from bot.handlers import (
    admin,
    campaigns,
    common,
    curation,
    fallback,
    membership,
    reports,
    sorting,
)


def build_router() -> Router:
    root = Router(name="wufei")
    scenes = Router(name="wufei.scenes")
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
        scenes,  # the wizards' steps (messages in their own state only)
        campaigns.build(),
        fallback.build(),  # must stay last
    )
    registry = SceneRegistry(root, register_on_add=False)  # gives every handler the ``scenes`` manager
    registry.add(*reports.SCENES, *campaigns.SCENES, router=scenes)
    return root
