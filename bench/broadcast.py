"""Campaign delivery benchmark: one campaign run to many subscribers through the local sandbox.

The sandbox (the receiving "Telegram") runs in this process; the delivery engine runs in a worker
process with the bot's real send adapter (aiogram ``Bot`` over HTTP, ``send_campaign_message`` and
``map_send_error`` from ``bot.features.campaigns``) and its own database connection, as the bot
would. What each chat received is read from the sandbox afterwards (the receiver's side is the
truth); the outbox rows say what the engine believes.

Scenarios (one JSON line each, never asserts):

  raised_limit        10,000 recipients (quick 2,000), sandbox bot limit raised to 500/s, engine 500/s
  real_limit_scaled   the sandbox's real limits (30/s per bot), engine at our default 25/s, recipients
                      scaled down to ~70 s of sending (quick ~10 s)
  killed_and_restarted  like raised_limit, but the worker is SIGKILLed once ~40 % of the chats have
                      their message; a new worker resumes the run (as the bot does at start-up)
  with_429            engine at 45/s against the sandbox's 30/s: 429s answered and obeyed

Keys: ``scenario``, ``recipients``, ``limit_per_s`` (the rate the run is held to: the lower of the
engine's configured rate and the sandbox's bot limit), ``rate_share`` (achieved_per_s / limit_per_s),
``http_429`` (429 answers the sandbox gave), ``duplicates`` (messages beyond the first one a chat
received), ``lost`` (recipients who received nothing and whose outbox row is not ``uncertain``),
``uncertain`` (outbox rows marked uncertain; at most ``window`` after a crash), and:

  sent                 outbox rows ``sent``          delivered_chats   recipients who got the message
  uncertain_delivered  uncertain rows whose chat did get it (the request went out before the kill)
  misdirected          bot messages in chats that are not recipients (must be 0)
  duration_s           first to last message received (per process, summed, for a killed run)
  achieved_per_s       messages received per second over that span
  max_gap_ms           longest pause between two received messages (stalls of a busy machine)
  run_s                worker wall time in ``deliver_run`` (outbox preparation included)
  worker_cpu_s, sandbox_cpu_s   CPU time of the worker(s) and of this process (sandbox) meanwhile
  window, burst        the engine's in-flight window and bucket capacity (null: the engine's default)
  cold                 ``--cold``: each worker sends at once, as a freshly started process (no warm-up
                       message, the first full garbage collection falls within the run)
  engine_rate_per_s, server_limit_per_s, db, status (of the run), load_1m (load average after it)
  outbox               outbox rows by status
  answers              sandbox answers by method:status (each worker's warm-up message included)
  client_errors        aiogram exceptions the worker's send adapter saw, by class
  killed, killed_after_messages, sending_at_kill, restart_s   (killed_and_restarted only)
  meets_targets        rate_share >= 0.95 (not a target for with_429), no duplicates, nothing lost
                       or misdirected, uncertain <= window, run done

The rate is measured at the receiver: (messages - 1) / (last - first arrival). Each scenario gets a
fresh database (SQLite file in a temp dir, or ``--db postgres``: a database created on
$WUFEI_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/postgres, dropped afterwards) and a
fresh sandbox. Workers are forked from a fork server that preloads aiogram, so a restart after
the kill takes a fraction of a second. ``WUFEI_BENCH_PROFILE=file`` writes a cProfile of the worker.

    python bench/broadcast.py [--quick | --tiny] [--db sqlite|postgres] [--scenarios a,b,...]
                              [--window N] [--burst N] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time as dtime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# aiogram is imported only by the worker (it takes seconds); the fork server preloads it.
from sqlmodel import select  # noqa: E402

from campaigns import service  # noqa: E402
from campaigns.delivery import DeliveryConfig, DeliveryEngine, OutgoingMessage, unfinished_runs  # noqa: E402
from campaigns.models import CampaignRun, OutboxRow, ScheduleKind, Subscription  # noqa: E402
from campaigns.schedule import Schedule  # noqa: E402
from campaigns.subscriptions import Audience  # noqa: E402
from core import db  # noqa: E402
from core.models import User  # noqa: E402
from sandbox.limits import Limits  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

FIRST_USER_ID = 1_000_001
WARMUP_CHAT = FIRST_USER_ID - 1  # not a recipient: the worker's first message goes there (cold caches)
WINDOW = 16  # the bot's default WUFEI_CAMPAIGN_INFLIGHT
PG_ADMIN_DSN = os.environ.get("WUFEI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEXT_ZH = "<b>无废城市</b> 垃圾分类宣传周：本周六上午九点，社区广场见！"
TEXT_EN = "<b>Waste-free city</b> sorting week: Saturday 9:00 at the community square!"


@dataclass(frozen=True)
class Scenario:
    name: str
    recipients: int
    engine_rate: float
    limits: Limits
    kill_at: float | None = None  # share of the chats served before the worker is SIGKILLed
    rate_is_target: bool = True

    @property
    def server_limit(self) -> float:
        return self.limits.per_bot_per_second if self.limits.enabled else float("inf")

    @property
    def limit(self) -> float:
        return min(self.engine_rate, self.server_limit)


RAISED = 500.0
REAL_ENGINE = 25.0  # WUFEI_CAMPAIGN_RATE_PER_S default
OVER_ENGINE = 45.0


def raised_limits() -> Limits:
    # Per chat stays as Telegram's (each recipient is one chat and gets one message).
    return Limits(per_bot_per_second=RAISED, per_bot_burst=int(RAISED))


def scenarios(size: str) -> list[Scenario]:
    big, real_s, over = {"full": (10_000, 70, 1_500), "quick": (2_000, 10, 300), "tiny": (200, 2, 120)}[size]
    return [
        Scenario("raised_limit", big, RAISED, raised_limits()),
        Scenario("real_limit_scaled", int(REAL_ENGINE * real_s), REAL_ENGINE, Limits()),
        Scenario("killed_and_restarted", big, RAISED, raised_limits(), kill_at=0.4),
        Scenario("with_429", over, OVER_ENGINE, Limits(), rate_is_target=False),
    ]


# --- the sandbox side ----------------------------------------------------------------------------


class CountingSandbox(SandboxServer):
    """The sandbox, noting when each bot message arrived (answers are counted by the server)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[float] = []  # monotonic time of each message the bot sent
        self.world.add_listener(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "message" and event.get("from_bot") and event.get("chat_id") != WARMUP_CHAT:
            self.arrivals.append(time.monotonic())


# --- the worker (a separate process, as the bot is) ----------------------------------------------


def worker_main(params: dict[str, Any]) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="worker: %(levelname)s %(name)s: %(message)s")
    asyncio.run(_worker(params))


async def _worker(p: dict[str, Any]) -> None:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.exceptions import TelegramAPIError

    from bot.features.campaigns import map_send_error, send_campaign_message

    engine = db.make_engine(p["db_url"])
    sessions = db.make_session_factory(engine)
    bot = Bot(
        p["token"],
        session=AiohttpSession(api=TelegramAPIServer.from_base(p["base_url"])),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    errors: Counter[str] = Counter()
    requests = 0

    async def send(message: OutgoingMessage) -> int | None:  # CampaignRuntime.send, counting
        nonlocal requests
        requests += 1
        try:
            sent = await send_campaign_message(bot, message.chat_id, message.text, message.photo)
        except TelegramAPIError as error:
            errors[type(error).__name__] += 1
            raise map_send_error(error) from error
        return sent.message_id

    config = DeliveryConfig(rate=p["rate"], window=p["window"], burst=p.get("burst"))
    delivery = DeliveryEngine(sessions, send, config)
    try:
        if not p.get("cold"):
            # Play a bot that has been up a while: it has sent messages before (pydantic builds
            # aiogram's schemas on first use) and the collector has been through its heap once (the
            # first full collection after the imports walks aiogram's types: ~0.3 s here).
            await send_campaign_message(bot, WARMUP_CHAT, TEXT_ZH, None)
            gc.collect()
        if p.get("run_id"):
            run_ids = [p["run_id"]]
        else:  # a restart: resume what a previous process left, as the scheduler does at start-up
            async with sessions() as session:
                run_ids = await unfinished_runs(session)
        t0, c0 = time.monotonic(), time.process_time()
        if os.environ.get("WUFEI_BENCH_PROFILE"):
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        stats = [await delivery.deliver_run(run_id) for run_id in run_ids]
        t1, c1 = time.monotonic(), time.process_time()
        if os.environ.get("WUFEI_BENCH_PROFILE"):
            profile.disable()
            profile.dump_stats(os.environ["WUFEI_BENCH_PROFILE"])
    finally:
        await bot.session.close()
        await engine.dispose()
    result = {
        "started": t0,
        "finished": t1,
        "cpu_s": c1 - c0,
        "requests": requests,
        "errors": dict(errors),
        "runs": [
            {"run_id": s.run_id, "status": s.status.value, "sent": s.sent, "uncertain": s.uncertain} for s in stats
        ],
    }
    Path(p["result"]).write_text(json.dumps(result))


# --- the database ----------------------------------------------------------------------------------


class Database:
    """A fresh database per scenario: a SQLite file in a temp dir, or a PostgreSQL database."""

    def __init__(self, kind: str, tmp: Path, name: str):
        self.kind, self.tmp, self.name = kind, tmp, name
        if kind == "sqlite":
            self.url = f"sqlite+aiosqlite:///{tmp / name}.db"
        else:
            self.pg_name = f"wufei_bench_{name}_{uuid.uuid4().hex[:8]}"
            base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            self.url = f"{base}/{self.pg_name}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create(self) -> None:
        if self.kind == "postgres":
            await self._admin(f'CREATE DATABASE "{self.pg_name}"')

    async def drop(self) -> None:
        if self.kind == "postgres":
            await self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


async def seed(sessions, ids: list[int]) -> int:
    """Users (every fifth one English) subscribed to everything, and one campaign run to all of them."""
    now = datetime.now(UTC)
    async with sessions() as session:
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            await session.exec(
                User.__table__.insert().values(
                    [
                        dict(
                            id=i,
                            username=None,
                            display_name=f"u{i}",
                            language="en" if i % 5 == 0 else "zh",
                            language_chosen=True,
                            home_unit=None,
                            created_at=now,
                            last_seen_at=now,
                            blocked_bot=False,
                        )
                        for i in chunk
                    ]
                )
            )
            await session.exec(
                Subscription.__table__.insert().values(
                    [dict(user_id=i, target="all", value="", created_at=now) for i in chunk]
                )
            )
        await session.commit()
        campaign = await service.create_campaign(
            session, author_id=500, audience=Audience(everyone=True), text_zh=TEXT_ZH, text_en=TEXT_EN,
            schedule=Schedule(ScheduleKind.DAILY, time=dtime(10)), now=now,
        )  # fmt: skip
        run_id, _ = await service.ensure_run(session, campaign.id, campaign.next_run_at)
        await session.commit()
    return run_id


# --- running one scenario --------------------------------------------------------------------------


@dataclass
class Segment:
    """One worker process's life."""

    started: float
    ended: float = 0.0
    killed: bool = False
    result: dict[str, Any] = field(default_factory=dict)


async def run_worker(ctx, params: dict[str, Any], server: CountingSandbox, kill_after: int | None) -> Segment:
    proc = ctx.Process(target=worker_main, args=(params,), name="broadcast-worker")
    seg = Segment(started=time.monotonic())
    proc.start()
    try:
        while proc.is_alive():
            if kill_after is not None and len(server.arrivals) >= kill_after:
                proc.kill()  # SIGKILL: no cleanup, no last commit
                seg.killed = True
                break
            await asyncio.sleep(0.005 if kill_after is not None else 0.05)
        while proc.is_alive():
            await asyncio.sleep(0.01)
    finally:
        if proc.is_alive():
            proc.kill()
        await asyncio.to_thread(proc.join)
    seg.ended = time.monotonic()
    result = Path(params["result"])
    if result.exists():
        seg.result = json.loads(result.read_text())
        result.unlink()
    elif not seg.killed:
        raise RuntimeError(f"the worker exited with {proc.exitcode} and no result")
    return seg


def _span_rate(times: list[float]) -> tuple[float, int]:
    """(seconds from first to last, intervals) of one process's arrivals."""
    if len(times) < 2:
        return 0.0, 0
    return times[-1] - times[0], len(times) - 1


async def run_scenario(
    sc: Scenario, ctx, db_kind: str, tmp: Path, window: int = WINDOW, burst: float | None = None, cold: bool = False
) -> dict[str, Any]:
    database = Database(db_kind, tmp, sc.name)
    await database.create()
    engine = db.make_engine(database.url)
    try:
        await db.upgrade(engine, "campaigns@head")
        await db.upgrade(engine, "outbox@head")  # a finished run owes its author a message
        sessions = db.make_session_factory(engine)
        ids = list(range(FIRST_USER_ID, FIRST_USER_ID + sc.recipients))
        run_id = await seed(sessions, ids)
        server = CountingSandbox(limits=sc.limits)
        server.create_user("warm-up", user_id=WARMUP_CHAT, started=True)
        for i in ids:
            server.create_user(f"u{i}", user_id=i, language_code="en" if i % 5 == 0 else "zh", started=True)
        await server.start()
        try:
            params = dict(
                db_url=database.url, base_url=server.base_url, token=server.token, rate=sc.engine_rate,
                window=window, burst=burst, cold=cold, result=str(tmp / f"{sc.name}.result.json"),
            )  # fmt: skip
            kill_after = int(sc.recipients * sc.kill_at) if sc.kill_at else None
            cpu0 = time.process_time()
            segments = [await run_worker(ctx, {**params, "run_id": run_id}, server, kill_after)]
            if segments[0].killed:
                sending_at_kill = await _count(sessions, run_id, "sending")
                segments.append(await run_worker(ctx, {**params, "run_id": None}, server, None))
            await asyncio.sleep(0.05)  # nothing is in flight any more; let the server finish its writes
            sandbox_cpu = time.process_time() - cpu0
            received = {i: sum(1 for m in server.world.history(i) if m.from_bot) for i in ids}
            misdirected = sum(
                1
                for cid, chat in server.world.chats.items()
                if cid not in received and cid != WARMUP_CHAT
                for m in chat.messages.values()
                if m.from_bot
            )
            http_429 = server.answers(429)
            answers = {f"{m}:{s}": n for (m, s), n in sorted(server.status_counts.items())}
        finally:
            await server.stop()
        async with sessions() as session:
            query = select(OutboxRow.user_id, OutboxRow.status).where(OutboxRow.run_id == run_id)
            rows = dict((await session.exec(query)).all())
            run = await session.get(CampaignRun, run_id)
            run_status = run.status
    finally:
        await engine.dispose()
        await database.drop()

    statuses = Counter(rows.values())
    duplicates = sum(max(0, n - 1) for n in received.values())
    uncertain_ids = {u for u, s in rows.items() if s == "uncertain"}
    lost = sum(1 for u in ids if received[u] == 0 and u not in uncertain_ids)
    # Arrival times split by process: a message arriving after the kill was sent by the second one.
    spans, max_gap = [], 0.0
    arrivals = server.arrivals
    for seg in segments:
        end = seg.ended if seg.killed else float("inf")
        times = [t for t in arrivals if seg.started <= t <= end]
        spans.append(_span_rate(times))
        max_gap = max([max_gap] + [b - a for a, b in zip(times, times[1:])])
    span_s = sum(s for s, _ in spans)
    intervals = sum(n for _, n in spans)
    achieved = intervals / span_s if span_s > 0 else 0.0
    rate_share = achieved / sc.limit
    uncertain = statuses.get("uncertain", 0)
    out: dict[str, Any] = {
        "scenario": sc.name,
        "recipients": sc.recipients,
        "limit_per_s": sc.limit,
        "rate_share": round(rate_share, 4),
        "http_429": http_429,
        "duplicates": duplicates,
        "lost": lost,
        "uncertain": uncertain,
        "sent": statuses.get("sent", 0),
        "delivered_chats": sum(1 for n in received.values() if n),
        "misdirected": misdirected,
        "uncertain_delivered": sum(1 for u in uncertain_ids if received[u]),
        "duration_s": round(span_s, 3),
        "achieved_per_s": round(achieved, 2),
        "max_gap_ms": round(max_gap * 1000, 1),
        "run_s": round(sum(s.result["finished"] - s.result["started"] for s in segments if s.result), 3),
        "worker_cpu_s": round(sum(s.result["cpu_s"] for s in segments if s.result), 3),
        "sandbox_cpu_s": round(sandbox_cpu, 3),
        "window": window,
        "burst": burst,
        "cold": cold,
        "engine_rate_per_s": sc.engine_rate,
        "server_limit_per_s": sc.server_limit,
        "db": db_kind,
        "status": run_status,
        "load_1m": round(os.getloadavg()[0], 2),
        "outbox": dict(sorted(statuses.items())),
        "answers": answers,
        "client_errors": dict(sum((Counter(s.result.get("errors", {})) for s in segments), Counter())),
    }
    if sc.kill_at:
        out["killed"] = segments[0].killed
        if segments[0].killed:
            out["killed_after_messages"] = sum(1 for t in arrivals if t <= segments[0].ended)
            out["sending_at_kill"] = sending_at_kill
            out["restart_s"] = round(segments[1].result["started"] - segments[0].ended, 3)
    out["meets_targets"] = bool(
        (rate_share >= 0.95 or not sc.rate_is_target)
        and duplicates == 0
        and lost == 0
        and misdirected == 0
        and uncertain <= window
        and run_status == "done"
        and (not sc.kill_at or out.get("killed"))
    )
    return out


async def _count(sessions, run_id: int, status: str) -> int:
    from sqlalchemy import func

    async with sessions() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.run_id == run_id, OutboxRow.status == status)
            )
        ).one()


async def main_async(args: argparse.Namespace) -> None:
    ctx = multiprocessing.get_context("forkserver")
    # The worker needs aiogram (seconds to import): preload it once in the fork server, which
    # starts now and imports while the first scenario is seeded.
    ctx.set_forkserver_preload(["__main__", "aiogram", "aiogram.types", "bot.features.campaigns"])
    multiprocessing.forkserver.ensure_running()
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    chosen = scenarios(size)
    if args.scenarios:
        wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        unknown = set(wanted) - {s.name for s in chosen}
        if unknown:
            raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        chosen = [s for s in chosen if s.name in wanted]
    with tempfile.TemporaryDirectory(prefix="wufei-bench-") as tmp:
        for sc in chosen:
            result = await run_scenario(sc, ctx, args.db, Path(tmp), args.window, args.burst, args.cold)
            print(json.dumps(result, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the same scenarios at a size that runs within a minute")
    size.add_argument("--tiny", action="store_true", help="a few seconds per scenario (the test)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--window", type=int, default=WINDOW, help=f"in-flight window (default {WINDOW}, the bot's)")
    parser.add_argument("--burst", type=float, help="engine token bucket capacity (default: the engine's, rate/50)")
    parser.add_argument("--cold", action="store_true", help="workers start sending at once (no warm-up, no first gc)")
    parser.add_argument("--scenarios", help="comma-separated names (default: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
