"""All routers, in the order updates should meet them.

Each module exposes ``build() -> Router`` (sorting: ``register(router)``) so every application
instance (tests build many) gets fresh routers; handlers stay plain module-level functions. The
wizards are aiogram Scenes: each feature package exposes a tuple ``SCENES``, added to the one
``SceneRegistry`` of the features' router (which gives every handler behind it the ``scenes``
manager); their routers meet updates right after their feature's own router.

Plain text outside any flow is a sorting question and most updates are one: the sorting handlers
are the dispatcher's own, met before its one router (which carries the scenes' middleware), so a
question meets no router level below the dispatcher and one filter before its handler (issue 16,
bench/updates.py).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.scene import SceneRegistry

from bot.handlers import (
    admin,
    campaigns,
    common,
    curation,
    dashboard,
    fallback,
    membership,
    reports,
    sorting,
)


def attach(dp: Router) -> None:
    """The sorting handlers on the dispatcher itself, then one router with every other feature."""
    flows = Router(name="wufei")
    scenes = Router(name="wufei.scenes")
    flows.include_routers(
        campaigns.build_deep_links(),  # /start cell-<id> subscribes before the plain /start
        common.build(),  # /start, /help, /language, /cancel at any step
        membership.build(),
        admin.build(),
        curation.build(),
        reports.build(),
        dashboard.build(),  # /dashboard: a staff member's sign-in link
        scenes,  # the wizards' steps (messages in their own state only)
        campaigns.build(),
        fallback.build(),  # must stay last
    )
    registry = SceneRegistry(flows, register_on_add=False)  # gives every handler the ``scenes`` manager
    registry.add(*reports.SCENES, *campaigns.SCENES, router=scenes)
    # Plain text outside any flow is a sorting question: met first, by async filters only (no
    # magic filter, which aiogram runs in a thread). Its filters match only /sort, its button,
    # its callbacks and plain text that is no command or button, so nothing after it is shadowed.
    sorting.register(dp)
    dp.include_router(flows)
