"""Start-up and shutdown of the campaigns feature's long-lived parts: the scheduler (jobs rebuilt
from our tables, runs a crash left behind resumed) and the delivery engine with its Telegram send
adapter. Handlers reach them as the ``campaign_runtime`` workflow data. What the authors are owed
(statistics of a run, a missed run) goes through the outbox (``bot/notifications/campaigns.py``).

Several instances (webhook mode on PostgreSQL): only the instance holding the jobs' PostgreSQL
advisory lock (``bot/jobs.py``) runs the scheduler and the delivery engine (one sender per run:
nobody gets a run twice). It picks up campaigns created or changed through the other instances by
re-reading the recently updated rows every few seconds; the others keep trying to take the lock, so
one of them takes over (resuming unfinished runs) when the leader stops or dies. SQLite means one
process: it always leads.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from bot.keyboards.campaigns import announcement_keyboard
from bot.notifications.campaigns import run_done, run_missed
from bot.outgoing.pacing import Priority, priority
from bot.views.announcements import announcement_text, in_locale, subscription_name
from campaigns import cells as cells_service
from campaigns.delivery import (
    RUN_DONE,
    BadRequest,
    Blocked,
    DeliveryConfig,
    DeliveryEngine,
    OutgoingMessage,
    RetryAfter,
    RunStats,
    Transient,
    Uncertain,
)
from campaigns.models import Campaign, Target
from campaigns.origin import Origin, campaign_origin, matched_subscription
from campaigns.schedule import parse_time
from campaigns.scheduler import RUN_MISSED, CampaignScheduler

if TYPE_CHECKING:
    from bot.app import WufeiApp

log = logging.getLogger(__name__)


# aiohttp errors raised before the request could reach Telegram: safe to send again.
_NOT_SENT = ("ClientConnectorError", "ClientConnectorDNSError", "ClientConnectorCertificateError",
             "ClientProxyConnectionError", "ClientSSLError", "InvalidURL")  # fmt: skip


def parse_quiet(text: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); ``""`` -> None (no quiet hours)."""
    text = (text or "").strip()
    if not text:
        return None
    start, _, end = text.partition("-")
    quiet = (parse_time(start), parse_time(end))
    return None if quiet[0] == quiet[1] else quiet


async def send_campaign_message(
    bot: Bot, chat_id: int, text: str, photo: str | None, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """What a recipient gets (also the staff's preview): the HTML text, or a photo with it as caption."""
    if photo:
        return await bot.send_photo(chat_id, photo, caption=text, reply_markup=markup)
    return await bot.send_message(chat_id, text, reply_markup=markup)


def map_send_error(error: TelegramAPIError) -> Exception:
    """aiogram's exception -> the delivery engine's typed error."""
    if isinstance(error, TelegramRetryAfter):
        return RetryAfter(error.retry_after)
    if isinstance(error, TelegramForbiddenError):
        return Blocked(error.message)
    if isinstance(error, TelegramBadRequest):
        return BadRequest(error.message)
    if isinstance(error, TelegramEntityTooLarge):
        return BadRequest(error.message)
    if isinstance(error, TelegramServerError):
        return Transient(error.message)
    if isinstance(error, TelegramNetworkError):
        # Connecting failed: nothing left. A timeout or a dropped answer: it may have been sent.
        if error.message.split(":", 1)[0] in _NOT_SENT:
            return Transient(error.message)
        return Uncertain(error.message)
    return BadRequest(error.message)


class CampaignRuntime:
    """The campaigns feature of one app: scheduler + delivery engine + reports to authors."""

    def __init__(self, app: WufeiApp):
        settings = app.settings
        self.app = app
        self.bot = app.bot
        self.sessions = app.sessions
        self.clock = clock = app.clock
        self.tz = settings.timezone
        self.quiet = parse_quiet(settings.quiet_hours)
        self.grace_min = settings.campaign_grace_min
        self.engine = DeliveryEngine(
            app.sessions,
            self.send,
            DeliveryConfig(rate=settings.campaign_rate_per_s, window=settings.campaign_inflight),
            clock=clock,
        )
        self.scheduler = CampaignScheduler(
            app.sessions,
            self.deliver,
            clock=clock,
            grace=timedelta(minutes=settings.campaign_grace_min),
            aps=app.jobs.scheduler,
        )
        self.stopping = False
        self.leader = False
        self._username: str | None = None
        self._synced_at: datetime | None = None
        self._origins: dict[int, Origin | None] = {}  # run id -> who sent it

    async def start(self) -> None:
        """Jobs run on the leader only (``bot/jobs.py``): there the scheduler starts and follows
        campaigns created or changed through the other instances."""
        self.app.jobs.on_lead(self._lead)
        self.app.jobs.while_leading(self.resync)

    async def _lead(self) -> None:
        self._synced_at = self.clock()
        report = await self.scheduler.start()
        self.leader = True  # once its jobs are registered: leading means the campaigns will run
        if report.late or report.resumed or report.missed:
            log.info(
                "campaigns: %d late run(s), %d resumed, %d missed, %d job(s)",
                len(report.late),
                len(report.resumed),
                len(report.missed),
                report.jobs,
            )

    async def resync(self) -> None:
        """Jobs of the campaigns changed (by any instance) since the last look follow their rows."""
        now = self.clock()
        window = timedelta(seconds=max(60.0, 3 * self.app.jobs.retry_s))
        since = (self._synced_at or now) - window
        async with self.sessions() as session:
            changed = (await session.exec(select(Campaign.id).where(Campaign.updated_at >= since))).all()
        for campaign_id in changed:
            await self.scheduler.sync(campaign_id)
        self._synced_at = now

    async def stop(self, timeout: float = 10.0) -> None:
        """No new runs; sends in flight finish and are recorded; the rest waits for the next start."""
        self.stopping = True
        await self.scheduler.shutdown(wait=False)
        await self.engine.stop(timeout=timeout)
        try:
            await asyncio.wait_for(self.scheduler.wait_deliveries(), timeout)
        except TimeoutError:
            log.warning("campaign deliveries did not stop within %s s", timeout)

    async def bot_username(self) -> str:
        if self._username is None:
            self._username = (await self.bot.me()).username or ""
        return self._username

    # -- the send adapter ---------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> int | None:
        text, markup = await self.render(message)
        try:
            with priority(Priority.BULK):  # people's own answers and report messages go first
                sent = await send_campaign_message(self.bot, message.chat_id, text, message.photo, markup)
        except TelegramAPIError as error:
            raise map_send_error(error) from error
        return sent.message_id

    async def render(self, message: OutgoingMessage) -> tuple[str, InlineKeyboardMarkup]:
        """The reader's announcement: the sender's line above the text, and the buttons to stop
        what brought it, in the reader's language. Nothing has been sent yet, so a database error
        here leaves the row to be tried again."""
        try:
            async with self.sessions() as session:
                origin = await self._origin(session, message.run_id, message.campaign_id)
                sub = await matched_subscription(session, message.chat_id, origin) if origin else None
                cells = {c.id: c for c in origin.cells} if origin else {}
                if sub is not None and sub.target is Target.CELL and int(sub.value) not in cells:
                    cell = await cells_service.get_cell(session, int(sub.value))  # everyone: any cell
                    cells.update({cell.id: cell} if cell else {})
        except SQLAlchemyError as error:
            raise Transient(f"reading the announcement's origin: {error}") from error
        with in_locale(message.language):
            text = announcement_text(message.text, origin, photo=bool(message.photo))
            name = subscription_name(sub, cells) if sub is not None else ""
            return text, announcement_keyboard(sub, name)

    async def _origin(self, session, run_id: int, campaign_id: int) -> Origin | None:
        """A run's origin, read once per run (an audience edited during a run reaches the outbox
        chunks written after the edit, not this origin)."""
        if run_id not in self._origins:
            if len(self._origins) > 64:
                self._origins.clear()
            self._origins[run_id] = await campaign_origin(session, campaign_id)
        return self._origins[run_id]

    # -- runs -----------------------------------------------------------------------------------

    async def deliver(self, run_id: int) -> RunStats:
        """Deliver a run; its author's statistics are in the outbox once it is done."""
        return await self.engine.deliver_run(run_id)


async def start(app: WufeiApp) -> None:
    """Called once the database is migrated and before updates are processed."""
    runtime = CampaignRuntime(app)
    app.outbox.register(RUN_DONE, run_done)  # the authors' statistics and missed runs
    app.outbox.register(RUN_MISSED, run_missed)
    app.campaigns = runtime
    app.dp["campaign_runtime"] = runtime
    await runtime.start()


async def stop(app: WufeiApp) -> None:
    """Called on shutdown, before the database engine is disposed."""
    runtime, app.campaigns = app.campaigns, None
    if runtime is not None:
        await runtime.stop()


def web_routes(app: WufeiApp) -> list:
    """(prefix, aiohttp.web.Application) pairs mounted on the bot's web server."""
    return []
