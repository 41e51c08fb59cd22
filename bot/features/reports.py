"""Start-up and shutdown of the reports feature's long-lived parts.

``ReportsRuntime`` (``app.services["reports"]``, and ``reports`` in handler data) holds the media
store, the geocoder, the unit router, per-user locks and the album collector. The reminders are a
job on the app's scheduler (``bot/jobs.py``: on the app's clock, on the leading instance only) that
puts what is due in the outbox; the outbox's senders of the feature are in
``bot/notifications/reports.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from aiogram.fsm.storage.memory import MemoryStorage

from bot.notifications.reports import SENDERS
from reports import geo, open311, service as svc
from reports.geocode import Geocoder
from reports.media import MediaStore

if TYPE_CHECKING:
    from bot.app import WufeiApp
    from bot.config import Settings

log = logging.getLogger(__name__)

REMINDER_INTERVAL = timedelta(minutes=1)
REMINDER_JOB = "reports:reminders"
ALBUM_WAIT_S = 1.0  # album items arrive as separate updates: answer once, after the last one


def media_store(settings: Settings, tz: tzinfo) -> MediaStore:
    """Photos in the object store when ``WUFEI_MEDIA_S3_BUCKET`` is set (several instances), else in
    ``WUFEI_MEDIA_DIR``."""
    if not settings.media_s3_bucket:
        return MediaStore(settings.media_dir, local_tz=tz)
    # Imported here: boto3 costs a fifth of a second at start-up, for deployments that use it only.
    from reports.media_s3 import S3Storage

    secret = settings.media_s3_secret_access_key
    storage = S3Storage(
        settings.media_s3_bucket, region=settings.media_s3_region, prefix=settings.media_s3_prefix,
        endpoint_url=str(settings.media_s3_endpoint_url).rstrip("/") if settings.media_s3_endpoint_url else None,
        access_key_id=settings.media_s3_access_key_id, secret_access_key=secret.get_secret_value() if secret else None,
        addressing_style=settings.media_s3_addressing_style)
    return MediaStore(storage, local_tz=tz)


class ReportsRuntime:
    def __init__(self, app: WufeiApp) -> None:
        settings = app.settings
        self.app = app
        self.settings = settings
        self.sessions = app.sessions
        self.bot = app.bot
        self.clock = app.clock
        self.media = media_store(settings, app.clock.tz)
        self.geocoder = Geocoder(settings.geocoder_url, user_agent=settings.geocoder_user_agent,
                                 enabled=settings.geocoder_enabled, timeout=3.0, retries=1)
        self.router = geo.Router(settings.boundaries_file)
        # Drafts saved by another process (before a restart) are resumed; ours are not hijacked.
        # Only with in-memory conversation state: Redis keeps the state across restarts, and with
        # several instances a draft written by another one is no sign of a lost state.
        self.instance = uuid.uuid4().hex[:12]
        self.resume_lost_drafts = isinstance(app.dp.storage, MemoryStorage)
        # Users whose draft was left by an earlier run: only they cost a lookup per message.
        self.lost_draft_users: set[int] = set()
        self.album_wait_s = ALBUM_WAIT_S
        self._locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[Any, asyncio.Task] = {}
        self.album_notes: dict[Any, list[str]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._reminder_runs: set[asyncio.Task | None] = set()  # a run under way finishes before close

    def lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    def spawn(self, coro: Awaitable) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def debounce(self, key: Any, factory: Callable[[], Awaitable]) -> None:
        """Run ``factory()`` once, ``album_wait_s`` after the last call with this key."""
        old = self._pending.pop(key, None)
        if old is not None:
            old.cancel()

        async def later() -> None:
            await asyncio.sleep(self.album_wait_s)
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]
            try:
                await factory()
            except Exception:
                log.exception("album answer failed")

        self._pending[key] = self.spawn(later())

    async def reminders(self) -> None:
        """The reminder job's body: reminders, escalations and follow-up questions that are due."""
        task = asyncio.current_task()
        self._reminder_runs.add(task)
        settings = self.settings
        try:
            async with self.sessions() as session:
                await svc.claim_due_reminders(
                    session, now=self.clock(), remind_after=timedelta(hours=settings.remind_after_h),
                    escalate_after=timedelta(days=settings.escalate_after_d),
                    followup_after=timedelta(days=settings.followup_after_d))
        except Exception:
            log.exception("report reminders failed")
        finally:
            self._reminder_runs.discard(task)

    async def start_reminders(self) -> None:
        """Called when this instance starts leading: every minute on the app's clock."""
        self.app.jobs.scheduler.add_job(
            self.reminders, trigger="interval", seconds=REMINDER_INTERVAL.total_seconds(),
            start_date=self.clock() + REMINDER_INTERVAL, id=REMINDER_JOB, replace_existing=True,
            coalesce=True, max_instances=1, misfire_grace_time=None,
        )

    async def close(self) -> None:
        runs = [t for t in self._reminder_runs if t is not None]
        if runs:
            await asyncio.gather(*runs, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task


async def _discard_draft(session, user, chat) -> bool:
    """/cancel hook: a report draft in the database is discarded with the conversation state.

    Drafts belong to the private chat: /cancel in a staff group leaves them alone."""
    if user is None or chat is None or chat.type != "private":
        return False
    return await svc.clear_draft(session, user.id)


async def start(app: WufeiApp) -> None:
    """Called once the database is migrated and before updates are processed."""
    runtime = ReportsRuntime(app)
    app.services["reports"] = runtime
    app.dp["reports"] = runtime
    hooks = app.dp.workflow_data.setdefault("cancel_hooks", [])
    if _discard_draft not in hooks:
        hooks.append(_discard_draft)
    if runtime.resume_lost_drafts:
        from sqlmodel import select

        from reports.models import ReportDraft

        async with app.sessions() as session:
            runtime.lost_draft_users = set((await session.exec(select(ReportDraft.user_id))).all())
    app.jobs.on_lead(runtime.start_reminders)
    app.outbox.context["media"] = runtime.media
    for kind, sender in SENDERS.items():
        app.outbox.register(kind, sender)


async def stop(app: WufeiApp) -> None:
    """Called on shutdown, before the database engine is disposed."""
    runtime = app.services.pop("reports", None)
    if runtime is not None:
        await runtime.close()


def web_routes(app: WufeiApp) -> list:
    """(prefix, aiohttp.web.Application) pairs mounted on the bot's web server: Open311 GeoReport v2
    at ``/open311/v2/...`` and the public (EXIF-free) photos at ``/open311/media/public/...``."""
    settings = app.settings
    runtime = app.services.get("reports")
    media = runtime.media if runtime is not None else media_store(settings, app.clock.tz)
    router = runtime.router if runtime is not None else geo.Router(settings.boundaries_file)
    # Reports filed by the city's systems reach the unit's staff chat through the outbox, like the
    # residents' ones (create_report writes the post).
    sub = open311.make_app(app.sessions, settings.open311_api_keys, settings.public_url, media,
                           router=router, mount="/open311", clock=app.clock)
    return [("/open311", sub)]
