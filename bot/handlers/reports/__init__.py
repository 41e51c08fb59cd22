"""Telegram handlers of the reports feature, one module per part of the conversation.

Residents (private chat): ``/report`` (or the menu button) walks through photos -> place ->
similar reports nearby -> type -> amount -> witnessed (plate) -> description -> anonymity ->
confirm (``start``, ``photos``, ``place``, ``details``, ``confirm``), one aiogram ``Scene`` per
step (``SCENES``, registered by ``bot/handlers/__init__.py``). The draft is saved in the database at
every step (``drafts``) and is the source of truth; the FSM state only says which scene we are in.
When the state is lost (a restart with in-memory storage), the next message or button press
resumes from the database draft (``resume``). ``mine``: /myreports and the follow-up question.

Staff: the buttons on a report card in the unit's chat (``staff``); /bindunit, /reports (any
report's card can be opened from it), /stats (``queue``).
What is sent outside the conversation at hand (staff cards, status messages, reminders) is in
``bot/notifications/reports.py``.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter

from bot.filters import MenuButton
from bot.handlers.reports import confirm, details, photos, place, queue, staff
from bot.handlers.reports.mine import followup_answer, group_report_hint, my_reports
from bot.handlers.reports.resume import LostDraft, resume_lost
from bot.handlers.reports.start import continue_or_restart, start_report
from bot.keyboards.menu import BTN_REPORT
from bot.keyboards.reports import FlowAction as A, FlowCb, FollowupCb

SCENES = (*photos.SCENES, *place.SCENES, *details.SCENES, *confirm.SCENES)


def build() -> Router:
    router = Router(name=__name__)

    private = Router(name=__name__ + ".private")
    private.message.filter(F.chat.type == "private")
    private.message.register(start_report, Command("report"))
    private.message.register(start_report, MenuButton(BTN_REPORT))
    private.message.register(my_reports, Command("myreports"))
    press = private.callback_query.register
    press(continue_or_restart, FlowCb.filter(F.a.in_({A.CONTINUE, A.START_OVER})))
    press(followup_answer, FollowupCb.filter())
    private.message.register(resume_lost, StateFilter(None), LostDraft())

    group = Router(name=__name__ + ".groups")
    group.message.register(group_report_hint, Command("report"), F.chat.type != "private")

    router.include_routers(staff.build(), queue.build(), private, group)
    return router
