"""Builds the Bot, the Dispatcher and everything long-lived; start-up and shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, TelegramObject
from aiogram.utils.i18n import I18n
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot import dashboard
from bot.cache_relay import CacheRelay
from bot.config import Settings
from bot.features import campaigns as campaigns_feature, reports as reports_feature
from bot.handlers import attach as attach_handlers
from bot.i18n import N_, UserI18nMiddleware, gettext_for, make_i18n
from bot.inbox import Inbox, schedule_purge
from bot.intake import poll_into, webhook_handler
from bot.jobs import Jobs
from bot.middlewares import CallbackAnswers, DbSessionMiddleware, ErrorMiddleware, FloodLimitMiddleware, UserMiddleware
from bot.notifications.accounts import welcome
from bot.outgoing.pacing import LocalBuckets, PaceLimits, Pacer, RedisBuckets
from bot.outgoing.worker import Worker
from bot.serving import health_routes
from bot.views.sorting import ItemRefs
from core import accounts, db, heap
from core.clock import Clock
from core.directory import UserDirectory
from knowledge import KnowledgeBase, curation, load_kb

log = logging.getLogger("wufei")

FEATURES = (reports_feature, campaigns_feature)
OUTBOX_PURGE_JOB = "outbox:purge"

# Used when no token is configured and the bot talks to the local sandbox.
SANDBOX_TOKEN = "123456789:SANDBOX-wufei-local-development"

SLOW_DOWN = N_("🐢 You are sending messages very fast. Please wait a few seconds.")

COMMANDS = {
    "start": N_("Main menu"),
    "sort": N_("Which bin does an item go in?"),
    "report": N_("Report illegal dumping"),
    "myreports": N_("My reports"),
    "subscribe": N_("Waste-free activities near you"),
    "subscriptions": N_("My subscriptions"),
    "language": N_("中文 / English"),
    "help": N_("What I can do"),
    "cancel": N_("Stop the current step"),
}


def make_storage(settings: Settings, prefix: str = "wufei") -> BaseStorage:
    """Conversation state: in memory by default, in Redis (shared by instances) when configured."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff

        # Fail fast when Redis is down (one quick retry for a dropped idle connection): the inbox
        # keeps the update and tries again later, with its own backoff.
        connection = {
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
        }
        return RedisStorage.from_url(
            settings.redis_url,
            connection_kwargs=connection,
            # with_destiny: aiogram's scenes keep their history under a second key (destiny "scenes_history")
            key_builder=DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True),
        )
    return MemoryStorage()


@dataclass
class WufeiApp:
    settings: Settings
    bot: Bot
    dp: Dispatcher
    engine: AsyncEngine
    sessions: async_sessionmaker
    i18n: I18n
    kb: KnowledgeBase
    # The one clock of this app (now, and WUFEI_TIMEZONE's calendar): tests pass their own.
    clock: Clock
    # The one scheduler, on ``clock``, run by the leading instance (bot/jobs.py).
    jobs: Jobs
    # Sorting questions, written in batches in the background; flushed by ``stop()``.
    query_log: curation.QueryLog
    # Every Bot API request passes it: Telegram's limits, 429 waited out (bot/outgoing/pacing.py).
    pacer: Pacer
    # Sends what the outbox holds (bot/outgoing/worker.py); features register their kinds.
    outbox: Worker
    # Updates stored before they are acknowledged, handled by its worker (bot/inbox.py).
    inbox: Inbox
    # With Redis: other instances' user caches forget a changed user at once (bot/cache_relay.py).
    cache_relay: CacheRelay | None = None
    # The features' long-lived parts, set by their start() and cleared by their stop().
    reports: reports_feature.ReportsRuntime | None = None
    campaigns: campaigns_feature.CampaignRuntime | None = None
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)
    _polling: asyncio.Task | None = None

    async def prepare(self) -> None:
        """Migrations, configured admins, media directory, command menu; then the start-up's
        objects leave the garbage collector's walks."""
        started = time.monotonic()
        await db.upgrade(self.engine)
        log.info("database schema up to date in %.2f s", time.monotonic() - started)
        if self.cache_relay is not None:
            await self.cache_relay.start()
        async with self.sessions() as session:
            await accounts.sync_config_admins(session, self.settings.admin_ids)
            self.dp["pseudonym"] = await curation.Pseudonymizer.load(session)
            for problem in await curation.replay(session, self.kb):
                log.warning("curated change not applied: %s", problem)
        self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        try:
            for locale in ("zh", "en"):
                await self.bot.set_my_commands(
                    [BotCommand(command=c, description=gettext_for(locale, d)) for c, d in COMMANDS.items()],
                    language_code=None if locale == self.settings.default_locale else locale,
                )
        except Exception as error:  # noqa: BLE001 - the menu is cosmetic: never block start-up on it
            log.warning("could not set the command menu: %s", error)

        for feature in FEATURES:
            await feature.start(self)
        self.jobs.on_lead(self._schedule_outbox_purge)
        schedule_purge(self.jobs, self.sessions, self.clock, self.settings.inbox_keep_days)
        await self.jobs.start()
        await self.outbox.start()
        heap.freeze_once()  # what start-up built stays out of the collector's pauses (core/heap.py)

    async def _schedule_outbox_purge(self) -> None:
        self.jobs.scheduler.add_job(
            self.outbox.purge,
            trigger="interval",
            hours=24,
            start_date=self.clock() + timedelta(minutes=5),
            id=OUTBOX_PURGE_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    def web_app(self, *, webhook: bool = False) -> web.Application:
        """The bot's web server: /healthz, the features' HTTP APIs, and the webhook when asked."""
        web_app = web.Application()
        web_app.add_routes(health_routes(self))
        for feature in FEATURES:
            for prefix, sub_app in feature.web_routes(self):
                web_app.add_subapp(prefix, sub_app)
        web_app.add_subapp("/dashboard/", dashboard.make_app(self))
        if webhook:

            async def start_inbox(_web_app: web.Application) -> None:
                await self.inbox.start(take_over_all=False)  # other instances may be alive

            web_app.on_startup.append(start_inbox)
            secret = self.settings.webhook_secret.get_secret_value()
            web_app.router.add_post(self.settings.webhook_path, webhook_handler(self.inbox, self.bot, secret))
        return web_app

    async def poll(self) -> None:
        """Long polling through the inbox until ``stop()``; signals are the caller's business."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.inbox.start(take_over_all=True)  # one poller per bot: what is unfinished is ours
        await self.dp.emit_startup(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)
        if self._stopped.is_set():  # stopped while starting
            return
        log.info("long polling for bot id %s", self.bot.id)
        self._polling = asyncio.create_task(poll_into(self.inbox, self.bot, self.dp), name="polling")
        try:
            await self._polling
        except asyncio.CancelledError:
            if not self._stopped.is_set():
                raise

    async def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        await self.inbox.stop()
        try:
            await self.query_log.close()
        except Exception:
            log.exception("could not write the last query-log rows")
        await self.jobs.halt()
        await self.outbox.stop()
        for feature in reversed(FEATURES):
            try:
                await feature.stop(self)
            except Exception:
                log.exception("error while stopping %s", feature.__name__)
        await self.jobs.release()
        if self.cache_relay is not None:
            await self.cache_relay.stop()
        await self.dp.storage.close()
        await self.pacer.close()
        await self.bot.session.close()
        await self.engine.dispose()


def create_app(
    settings: Settings,
    *,
    api_base: str | None = None,
    token: str | None = None,
    bot_session: Any = None,
    storage: BaseStorage | None = None,
    kb: KnowledgeBase | None = None,
    clock: Clock | None = None,
    pace: PaceLimits | None = None,
) -> WufeiApp:
    """Everything wired, nothing started. ``api_base`` points aiogram at another Bot API server."""
    api_base = api_base or settings.api_base
    if bot_session is None:
        bot_session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
    token = token or (settings.bot_token.get_secret_value() if settings.bot_token else SANDBOX_TOKEN)
    bot = Bot(token, session=bot_session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    pacer = make_pacer(settings, bot.id, pace)
    bot.session.middleware(pacer)

    i18n = make_i18n(settings.default_locale)
    # A handler holds a connection and may briefly need a second one (the query log's id block):
    # room for two per update the inbox handles at once, or the pool deadlocks under a burst.
    engine = db.make_engine(settings.database_url, max_overflow=2 * settings.inbox_concurrency)
    sessions = db.make_session_factory(engine)
    dp = Dispatcher(storage=storage or make_storage(settings))
    if clock is None:
        clock = Clock(settings.timezone)
    elif getattr(clock.tz, "key", None) != settings.timezone:
        raise ValueError(f"the clock's zone {clock.tz} is not WUFEI_TIMEZONE {settings.timezone}")
    dp["settings"] = settings
    dp["clock"] = clock
    dp["sessions"] = sessions
    dp["cancel_hooks"] = []  # features append async (session, user) -> bool, see handlers.common.cancel
    if kb is None:
        started = time.monotonic()
        kb = load_kb(cache_dir=settings.kb_cache_dir)
        log.info("knowledge base: %d items in %.2f s (%s)", len(kb), time.monotonic() - started, kb.loaded_from)
    dp["kb"] = kb
    dp["item_refs"] = ItemRefs(kb)
    query_log = curation.QueryLog(sessions)
    dp["query_log"] = query_log

    directory = UserDirectory(ttl=settings.user_cache_ttl_s)
    dp["directory"] = directory
    add_middlewares(dp, settings, sessions, directory, i18n)
    attach_handlers(dp)
    # One instance (no Redis): rows a dead process left in flight are due again at start.
    outbox = Worker(
        sessions, clock, reclaim_at_start=not settings.redis_url, context={"bot": bot, "settings": settings}
    )
    outbox.register(accounts.WELCOME, welcome)
    inbox = Inbox(dp, bot, sessions, clock, concurrency=settings.inbox_concurrency, retry_max_s=settings.retry_max_s)
    relay = CacheRelay(settings.redis_url, directory, f"wufei:users:{bot.id}") if settings.redis_url else None
    return WufeiApp(
        settings,
        bot,
        dp,
        engine,
        sessions,
        i18n,
        kb,
        clock,
        Jobs(engine, clock),
        query_log,
        pacer,
        outbox,
        inbox,
        relay,
    )


def add_middlewares(
    dp: Dispatcher, settings: Settings, sessions: async_sessionmaker, directory: UserDirectory, i18n: I18n
) -> None:
    """Update middlewares, outermost first: errors, flood limit, DB session, user, locale; and the answer
    to every button press."""

    async def slow_down(event: TelegramObject, data: dict[str, Any]) -> None:
        chat = data.get("event_chat")
        user = data.get("event_from_user")
        if chat is not None and user is not None:
            async with sessions() as session:
                known = await accounts.get_user(session, user.id)
            locale = known.language if known else accounts.locale_for(user.language_code, settings.default_locale)
            await data["bot"].send_message(chat.id, gettext_for(locale, SLOW_DOWN))

    dp.update.outer_middleware(ErrorMiddleware(settings.default_locale))
    dp.update.outer_middleware(FloodLimitMiddleware(settings.flood_limit, settings.flood_window_s, slow_down))
    dp.update.outer_middleware(DbSessionMiddleware(sessions))
    dp.update.outer_middleware(UserMiddleware(settings.default_locale, directory))
    dp.update.outer_middleware(UserI18nMiddleware(i18n))
    dp.callback_query.middleware(CallbackAnswers())


def make_pacer(settings: Settings, bot_id: int, limits: PaceLimits | None = None) -> Pacer:
    """Telegram's limits for this process, or for all instances together when Redis is configured."""
    limits = limits or PaceLimits(per_second=settings.send_rate_per_s, burst=int(settings.send_rate_per_s))
    if settings.redis_url:
        from redis.asyncio import Redis

        return Pacer(RedisBuckets(Redis.from_url(settings.redis_url), limits, f"wufei:pace:{bot_id}"))
    return Pacer(LocalBuckets(limits))
