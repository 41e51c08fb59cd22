"""The base of /newcampaign's steps 2–4, each an aiogram Scene (like the report wizard's).

Entering a step asks its question (``ask``), whether the step before ended with a message or a
button press; a step hands over with ``scenes.enter(NewCampaign.<next>)``, the FSM data (the draft)
staying as it is. The scenes' routers meet updates before the campaigns router, outside its staff
filter: so every handler checks the role itself (``STAFF``) and typed-text handlers leave commands
(``not_command``) to the routers after them (/cells, /subscribe…; /cancel is met before).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.fsm.scene import Scene, on
from aiogram.types import CallbackQuery, Message

from bot.filters import HasRole
from core.models import Role

STAFF = HasRole(Role.CAMPAIGN_STAFF)


async def not_command(message: Message) -> bool:
    """A message that is no command (async: aiogram would run a plain or magic filter in a thread)."""
    return not (message.text or message.caption or "").startswith("/")


class CampaignStep(Scene):
    """One step of a new campaign. Subclasses write ``ask(message, **what_it_needs)``, given the
    handler's data (session, user, state, campaign_runtime… and what the step before passed to
    ``scenes.enter``); their handlers carry ``STAFF``."""

    ask: Callable[..., Awaitable[None]]

    @on.message.enter()
    async def asked_by_message(self, message: Message, **kw: Any) -> None:
        await self.ask(message, **kw)

    @on.callback_query.enter()
    async def asked_by_press(self, query: CallbackQuery, **kw: Any) -> None:
        if isinstance(query.message, Message):  # else too old to answer under: the press did nothing visible
            await self.ask(query.message, **kw)
