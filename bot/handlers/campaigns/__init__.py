"""Telegram handlers of the campaigns feature, one router per file.

Residents (``subscriptions``): /subscribe (and the menu button) by kind, town/street, single cell
or everything; /subscriptions with remove buttons; ``/start cell-<id>`` (the QR code of a cell)
subscribes in one tap; the buttons under an announcement (``announcements``) unsubscribe at once.
Campaign staff: /cells and /newcell (``cells``, ``cell_card``), /newcampaign
(``audience`` → ``texts`` → ``timing`` → ``preview``, one aiogram Scene per step on the base in
``wizard``, listed in ``SCENES``; the draft is the FSM data), /campaigns (``manage``, which enters
the timing scenes to change a campaign's timing).

Rules: one handler per button action, registered by a filter on its factory's action (see
``bot/keyboards/campaign_callbacks.py``). The staff routers sit under one router that checks the role; a
well-formed staff button pressed by someone else gets "staff only", one pressed at a step that is
over gets "this step is over", and data that no longer parses falls through to the fallback
router's "this button has expired". The scenes' routers meet updates before this package's, outside
its staff router: their handlers check the role themselves, and a press they do not take (another
step's, or someone else's) falls through to the answers here.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.filters import HasRole
from bot.handlers.admin import not_allowed
from bot.handlers.campaigns import (
    announcements,
    audience,
    cell_card,
    cells,
    manage,
    preview,
    subscriptions,
    texts,
    timing,
)
from bot.keyboards.campaign_callbacks import AudCb, CampCb, CellCb, TimeCb
from core.models import Role

# /newcampaign's steps, aiogram Scenes (registered by bot/handlers)
SCENES = (*audience.SCENES, *texts.SCENES, *timing.SCENES, *preview.SCENES)

STAFF_COMMANDS = ("cells", "newcell", "newcampaign", "campaigns")
STAFF_BUTTONS = (CellCb, AudCb, TimeCb, CampCb)


async def _step_over(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This step is over.")
    callback_answer.show_alert = True


async def _denied_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("⛔ This command is for staff only.")
    callback_answer.show_alert = True


def build_deep_links() -> Router:
    """``/start cell-<id>``: must meet updates before ``common``'s plain /start."""
    return subscriptions.build_deep_links()


def build() -> Router:
    router = Router(name=__name__)

    staff = Router(name=__name__ + ".staff")
    staff.message.filter(HasRole(Role.CAMPAIGN_STAFF))
    staff.callback_query.filter(HasRole(Role.CAMPAIGN_STAFF))
    staff.include_routers(
        cells.build(),
        cell_card.build(),  # places
        audience.build(),
        timing.build(),
        preview.build(),  # a new campaign
        manage.build(),  # existing campaigns
    )
    stale = Router(name=__name__ + ".stale")  # a draft's button (skip, confirm…) once the draft moved on
    stale.callback_query.register(_step_over, CampCb.filter())
    staff.include_router(stale)

    denied = Router(name=__name__ + ".denied")
    denied.message.register(not_allowed, Command(*STAFF_COMMANDS))
    for factory in STAFF_BUTTONS:
        denied.callback_query.register(_denied_button, factory.filter())

    router.include_routers(subscriptions.build(), announcements.build(), staff, denied)
    return router
