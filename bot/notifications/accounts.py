"""The message to someone an admin granted a role (``core.accounts.WELCOME`` rows of the outbox):
what they can do now, in their language. Someone who never wrote to the bot cannot be reached
(Telegram forbids it): the row fails with that reason and the admin's /staff still shows the role."""

from __future__ import annotations

from html import escape

from bot.i18n import N_, gettext_for
from bot.outgoing.worker import Done, Worker
from core import accounts
from core.models import Role
from core.notifications import Note
from core.units import unit_name
from reports import service as reports

WHAT_NOW = {
    Role.ADMIN: N_(
        "👋 You are now an admin of Wufei: /grant and /staff manage the team, /stats and "
        "/reports show the reports, /audit what was done."
    ),
    Role.UNIT_HANDLER: N_(
        "👋 You now handle the dumping reports of {unit}. Add me to your unit's staff "
        "group and send /bindunit there; /reports lists your queue."
    ),
    Role.CAMPAIGN_STAFF: N_(
        "👋 You can now schedule announcements: /cells lists the waste-free cells, "
        "/newcampaign starts one, /campaigns shows them."
    ),
    Role.CURATOR: N_("👋 You can now curate the sorting answers: /unanswered, /wrong and /alias."),
}
# A handler of a unit whose staff group is already bound has nothing to set up.
HANDLER_OF_A_BOUND_UNIT = N_(
    "👋 You now handle the dumping reports of {unit}. They arrive in the unit's "
    "staff group with their buttons; /reports lists your queue."
)


async def welcome(w: Worker, note: Note) -> Done:
    role = Role(note.payload["role"])
    async with w.sessions() as session:
        person = await accounts.get_user(session, note.chat_id)
        bound = role == Role.UNIT_HANDLER and await reports.unit_chat(session, note.unit_code) is not None
    lang = person.language if person else w["settings"].default_locale
    text = gettext_for(
        lang,
        HANDLER_OF_A_BOUND_UNIT if bound else WHAT_NOW[role],
        unit=escape(unit_name(note.unit_code, lang) or "") if note.unit_code else "",
    )
    await w["bot"].send_message(note.chat_id, text)
    return Done()
