"""The staff card's history: every change of a report, oldest first, in the reader's language and
local time; the latest ``HISTORY_LINES`` shown and the older ones counted, long comments cut."""

from __future__ import annotations

from html import escape

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import gettext_for
from bot.views import reports as view
from core import accounts
from core.units import unit_name
from reports import service as svc
from reports.models import EventKind, FollowupAnswer

HISTORY_LINES = 12  # the card's history shows the latest changes; older ones are counted
HISTORY_COMMENT = 120  # a comment in the history is cut to this many characters


def event_note(locale: str, event: svc.EventInfo | None, actor: accounts.UserInfo | None, tz: str) -> str | None:
    """One change of a report, as a line of the staff card's history (None for its creation)."""
    if event is None or event.kind == EventKind.CREATED:
        return None
    details = event.details or {}
    who = escape(actor.display_name) if actor else gettext_for(locale, "system")
    when = view.short_time(event.at, tz)
    if event.kind == EventKind.REASSIGN:
        line = gettext_for(
            locale,
            "🕒 {when} · {who}: ↪️ {old} → {new}",
            when=when,
            who=who,
            old=escape(unit_name(details.get("old_unit"), locale) or ""),
            new=escape(unit_name(details.get("new_unit"), locale) or ""),
        )
    elif details.get("reopened"):
        line = gettext_for(
            locale,
            "🕒 {when} · {who}: 🔁 reopened, {status}",
            when=when,
            who=who,
            status=view.status_label(locale, event.new_status or ""),
        )
    else:
        line = gettext_for(
            locale,
            "🕒 {when} · {who}: {status}",
            when=when,
            who=who,
            status=view.status_label(locale, event.new_status or ""),
        )
    if event.comment:
        comment = event.comment if len(event.comment) <= HISTORY_COMMENT else event.comment[:HISTORY_COMMENT] + "…"
        line += "\n" + gettext_for(locale, "💬 “{comment}”", comment=escape(comment))
    if event.kind == EventKind.FOLLOW and details.get("answer") == FollowupAnswer.NOT_CLEAN:
        line = gettext_for(locale, "🔁 The reporter says it is not clean yet: reopened.") + "\n" + line
    return line


async def history(session: AsyncSession, report_id: int, locale: str, tz: str) -> str | None:
    """The staff card's history: every change of the report, oldest first, in local time."""
    events = [e for e in await svc.events(session, report_id) if e.kind != EventKind.CREATED]
    if not events:
        return None
    shown = events[-HISTORY_LINES:]
    actors = {i: await accounts.get_user(session, i) for i in {e.actor_id for e in shown if e.actor_id}}
    lines = [event_note(locale, e, actors.get(e.actor_id) if e.actor_id else None, tz) for e in shown]
    if len(events) > len(shown):
        lines.insert(0, gettext_for(locale, "… {n} earlier changes", n=len(events) - len(shown)))
    return "\n".join(line for line in lines if line)
