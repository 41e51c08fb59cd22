"""What the campaigns feature owes its authors after the fact, as senders of the outbox's kinds:
a finished run's statistics (``campaigns.delivery.RUN_DONE``) and a run missed while the bot was
down (``campaigns.scheduler.RUN_MISSED``). Both rows are written with the run's change."""

from __future__ import annotations

from bot.outgoing.worker import Done, Worker
from bot.views import campaigns as views
from campaigns.service import get_run
from core import accounts
from core.notifications import Note, NoteStatus


async def _run_and_locale(w: Worker, note: Note):
    async with w.sessions() as session:
        run = await get_run(session, note.payload["run"])
        author = await accounts.get_user(session, note.chat_id)
    return run, (author.language if author else w["settings"].default_locale)


async def run_done(w: Worker, note: Note) -> Done:
    run, locale = await _run_and_locale(w, note)
    if run is None:
        return Done(NoteStatus.FAILED, "the run is gone")
    text = views.run_report(
        locale, campaign_id=run.campaign_id, scheduled_for=run.scheduled_for, tz=w["settings"].timezone,
        targeted=run.targeted, sent=run.sent, blocked=run.blocked, failed=run.failed,
        uncertain=run.uncertain, duration_s=run.duration_s,
    )  # fmt: skip
    await w["bot"].send_message(note.chat_id, text)
    return Done()


async def run_missed(w: Worker, note: Note) -> Done:
    run, locale = await _run_and_locale(w, note)
    if run is None:
        return Done(NoteStatus.FAILED, "the run is gone")
    settings = w["settings"]
    text = views.missed_report(
        locale,
        campaign_id=run.campaign_id,
        scheduled_for=run.scheduled_for,
        tz=settings.timezone,
        grace_min=settings.campaign_grace_min,
    )
    await w["bot"].send_message(note.chat_id, text)
    return Done()
