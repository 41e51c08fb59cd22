"""Start-up and shutdown of the reports feature's long-lived parts.

``ReportsRuntime`` (``app.reports``, and ``reports`` in handler data) holds the media
store, the geocoder, the unit router and the parts in ``bot/features/report_parts.py`` (per-user
locks, the album collector, lost drafts), each built with what it needs. The reminders are a
job on the app's scheduler (``bot/jobs.py``: on the app's clock, on the leading instance only) that
puts what is due in the outbox; the outbox's senders of the feature are in
``bot/notifications/reports.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from aiogram.fsm.storage.memory import MemoryStorage

from bot.features.report_parts import AlbumCollector, LostDrafts, UserLocks
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
        settings.media_s3_bucket,
        region=settings.media_s3_region,
        prefix=settings.media_s3_prefix,
        endpoint_url=str(settings.media_s3_endpoint_url).rstrip("/") if settings.media_s3_endpoint_url else None,
        access_key_id=settings.media_s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        addressing_style=settings.media_s3_addressing_style,
    )
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
        self.geocoder = Geocoder(
            settings.geocoder_url,
            user_agent=settings.geocoder_user_agent,
            enabled=settings.geocoder_enabled,
            timeout=3.0,
            retries=1,
        )
        self.router = geo.Router(settings.boundaries_file)
        self.lost_drafts = LostDrafts(enabled=isinstance(app.dp.storage, MemoryStorage))
        self.locks = UserLocks()
        self.albums = AlbumCollector(ALBUM_WAIT_S)
        self._reminder_runs: set[asyncio.Task | None] = set()  # a run under way finishes before close

    # The handlers' names for the parts (kept while the report wizard moves to scenes).
    @property
    def instance(self) -> str:
        return self.lost_drafts.instance

    @property
    def resume_lost_drafts(self) -> bool:
        return self.lost_drafts.enabled

    @property
    def lost_draft_users(self) -> set[int]:
        return self.lost_drafts.users

    @property
    def album_notes(self) -> dict[Any, list[str]]:
        return self.albums.notes

    def lock(self, user_id: int) -> asyncio.Lock:
        return self.locks.of(user_id)

    def debounce(self, key: Any, factory: Callable[[], Awaitable]) -> None:
        self.albums.debounce(key, factory)

    async def reminders(self) -> None:
        """The reminder job's body: reminders, escalations and follow-up questions that are due."""
        task = asyncio.current_task()
        self._reminder_runs.add(task)
        settings = self.settings
        try:
            async with self.sessions() as session:
                await svc.claim_due_reminders(
                    session,
                    now=self.clock(),
                    remind_after=timedelta(hours=settings.remind_after_h),
                    escalate_after=timedelta(days=settings.escalate_after_d),
                    followup_after=timedelta(days=settings.followup_after_d),
                )
        except Exception:
            log.exception("report reminders failed")
        finally:
            self._reminder_runs.discard(task)

    async def start_reminders(self) -> None:
        """Called when this instance starts leading: every minute on the app's clock."""
        self.app.jobs.scheduler.add_job(
            self.reminders,
            trigger="interval",
            seconds=REMINDER_INTERVAL.total_seconds(),
            start_date=self.clock() + REMINDER_INTERVAL,
            id=REMINDER_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    async def close(self) -> None:
        runs = [t for t in self._reminder_runs if t is not None]
        if runs:
            await asyncio.gather(*runs, return_exceptions=True)
        await self.albums.close()


async def _discard_draft(session, user, chat) -> bool:
    """/cancel hook: a report draft in the database is discarded with the conversation state.

    Drafts belong to the private chat: /cancel in a staff group leaves them alone."""
    if user is None or chat is None or chat.type != "private":
        return False
    return await svc.clear_draft(session, user.id)


async def start(app: WufeiApp) -> None:
    """Called once the database is migrated and before updates are processed."""
    runtime = ReportsRuntime(app)
    app.reports = runtime
    app.dp["reports"] = runtime
    hooks = app.dp.workflow_data.setdefault("cancel_hooks", [])
    if _discard_draft not in hooks:
        hooks.append(_discard_draft)
    if runtime.resume_lost_drafts:
        from sqlmodel import select

        from reports.models import ReportDraft

        async with app.sessions() as session:
            runtime.lost_drafts.users = set((await session.exec(select(ReportDraft.user_id))).all())
    app.jobs.on_lead(runtime.start_reminders)
    app.outbox.context["media"] = runtime.media
    for kind, sender in SENDERS.items():
        app.outbox.register(kind, sender)


async def stop(app: WufeiApp) -> None:
    """Called on shutdown, before the database engine is disposed."""
    runtime, app.reports = app.reports, None
    if runtime is not None:
        await runtime.close()


def web_routes(app: WufeiApp) -> list:
    """(prefix, aiohttp.web.Application) pairs mounted on the bot's web server: Open311 GeoReport v2
    at ``/open311/v2/...`` and the public (EXIF-free) photos at ``/open311/media/public/...``."""
    settings = app.settings
    runtime = app.reports
    media = runtime.media if runtime is not None else media_store(settings, app.clock.tz)
    router = runtime.router if runtime is not None else geo.Router(settings.boundaries_file)
    # Reports filed by the city's systems reach the unit's staff chat through the outbox, like the
    # residents' ones (create_report writes the post).
    sub = open311.make_app(
        app.sessions,
        settings.open311_api_keys,
        settings.public_url,
        media,
        router=router,
        mount="/open311",
        clock=app.clock,
    )
    return [("/open311", sub)]
