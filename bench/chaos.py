"""Does the report chain lose or duplicate anything under faults, 429s and a ``kill -9``?

    python bench/chaos.py [--quick] [--scenario clean,faults,kill,full] [--residents N]
                          [--db sqlite|postgresql] [--limits telegram|relaxed|off] [--keep-logs DIR]

The bot runs as it is deployed, a real process (``python main.py run``, polling mode) talking HTTP
to a sandbox Bot API server that runs inside this process (bench/chaos_bot.py); it has its own
SQLite file (or a scratch PostgreSQL database, ``--db postgresql``, see bench/scratch_db.py) and
media folder. Per scenario, on a fresh sandbox, database and bot:

1. setup (no faults, relaxed flood limits): the configured admin grants one handler per unit
   (``/grant``), each handler binds the unit's new group (``/bindunit``);
2. load (the scenario's faults and flood limits): N residents (70 % zh, 30 % en) arrive over
   ``--ramp-s`` and file one report each through every step (1-5 photos, an album when more than
   one; a pin on a 300 m lattice, so no two are "already reported near here", routed round robin
   to the units that have a seat; type, amount, witnessed with a plate or not, description or
   skip, anonymity, confirm); a tenth double-tap "Send". Handlers accept each card, then resolve
   it with an "after" photo (bench/chaos_people.py says how people behave and retry);
3. settle: the bench waits until the residents are done, no handler has a card to work, and
   nothing changed for ``--quiet-s`` (no Bot API call but getUpdates, no new bot message), never
   earlier than the latest 429's ``retry_after`` allows; at most ``--settle-max-s``. ``--quiet-s``
   must exceed the bot's longest pause between retries. Then the bot gets SIGTERM and the numbers
   are read.

Scenarios: ``clean`` (no injected faults); ``faults`` (each call of ``--fault-methods`` fails with
probability ``--fault-rate``, a kind drawn from ``--fault-kinds``: 500, 502, drop = connection
closed before any effect, slow = answered after 2 s, 429 with retry_after 3; ``--faults`` takes a
sandbox fault spec instead); ``kill`` (one SIGKILL of the bot 0-50 ms after half of the residents'
first "Send" presses reached it, then a restart on the same database; the sandbox keeps its
state); ``full`` (faults and the kill). Flood limits are Telegram's unless ``--limits`` says
otherwise: 30 messages/s, 1/s per chat with a burst of 4, 20/min per group (an album counts each
photo).

One JSON line per scenario, never an assert. Keys (counted from the sandbox's chats, the truth
people see, and from the bot's database after the bot stopped):

  scenario, residents          the scenario and how many residents took part
  reports_confirmed            residents at least one of whose "Send the report" presses getUpdates
                               handed to the bot (sandbox ``World.handed_out``)
  reports_stored               rows in ``reports``
  cards_posted                 stored reports with a staff card (a bot message with staff buttons
                               and the report's ticket) in a unit group or an admin's chat
  status_messages_expected     one per person to tell (reporter and followers, not the actor) per
                               status change a handler made (accepted, resolved; ``report_events``)
  status_messages_sent         of those, how many the person received (a message to them starting
                               with 🔔 that names the ticket and the new status), each once at most
  duplicates                   copies beyond the first: cards per ticket, status messages per
                               (person, ticket, status), stored reports per resident (one draft each)
  lost                         confirmed residents with no stored report + stored reports with no
                               card + expected status messages never received
  p95_card_s                   95th percentile (nearest rank) of first "Send" press -> first card of
                               the ticket in the sandbox, over reports with a card; null if none
  http_429                     429 answers the sandbox gave during the load and settling (flood
                               limits and injected)
  elapsed_s, settle_s          the scenario's wall time (bot start to numbers), of which settling
  residents_abandoned          residents who gave up before "Send" (the bot stopped answering)
  resident_nudges              times residents, waiting in vain, sent /report again to go on
  cards_given_up               cards a handler could not take to "resolved" in 8 tries (the status
                               changes not made are not expected messages either)
  confirm_replies_missing      stored reports whose reporter never got the "✅ Thank you" reply
  status_messages_unexpected   🔔 messages that match no status change in the database
  faults_injected, restarts    injected faults; bot starts after the first
  killed_after_presses         first "Send" presses that had reached the bot when it was killed
  bot_errors                   ERROR lines and tracebacks in the bot's log
  db, limits                   the database kind and the flood limits

Targets (issue 11): ``lost`` 0, ``duplicates`` 0, ``cards_posted`` = ``reports_stored`` =
``reports_confirmed``, ``status_messages_sent`` = ``status_messages_expected``. ``--quick`` (6
residents and 3 units per scenario, the scenarios at once: ``--jobs``) runs in under 2 minutes;
the default uses 200 residents and all 18 units, one scenario after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from chaos_bot import BotProcess  # noqa: E402  (bench/ is the script's folder)
from chaos_count import count, read_database  # noqa: E402
from chaos_people import Handler, Observer, Pace, Resident  # noqa: E402
from chaos_setup import bind_units, labels_by_status, photo_pool, spots  # noqa: E402
from sandbox import Faults, Limits, SandboxServer  # noqa: E402

SCENARIOS = ("clean", "faults", "kill", "full")
ADMIN_ID = 900_001
FAULT_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendMediaGroup",
    "sendLocation",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
)


@dataclass
class Config:
    residents: int = 200
    units: int = 18
    db: str = "sqlite"
    fault_rate: float = 0.1
    fault_kinds: tuple[str, ...] = ("500", "502", "drop", "slow", "429")
    fault_methods: tuple[str, ...] = FAULT_METHODS
    faults: str | None = None  # a sandbox fault spec used instead of the three above
    limits: str = "telegram"
    seed: int = 11
    ramp_s: float = 120.0
    pace: Pace = field(default_factory=Pace)
    double_tap: float = 0.1
    quiet_s: float = 10.0
    settle_max_s: float = 900.0
    keep_logs: Path | None = None  # copy the bot's log here as <scenario>.log

    def sandbox_limits(self) -> Limits:
        return {"telegram": Limits(), "relaxed": Limits.relaxed()}.get(self.limits) or Limits.parse(self.limits)


@dataclass
class Observed:
    """What a test may look at after a scenario, before everything is torn down."""

    server: SandboxServer
    observer: Observer
    database_url: str
    residents: list[Resident]
    handlers: list[Handler]
    result: dict


@contextlib.asynccontextmanager
async def database(kind: str, folder: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder}/wufei.db"
    elif kind in ("postgresql", "postgres"):
        from scratch_db import scratch_postgres

        async with scratch_postgres("wufei_chaos") as url:
            yield url
    else:
        raise SystemExit(f"--db: sqlite or postgresql, not {kind!r}")


async def wait_polling(server: SandboxServer, bot: BotProcess, before: int, timeout: float = 120.0) -> None:
    """Until the bot's process makes a getUpdates call after the ``before``-th one."""
    deadline = time.monotonic() + timeout
    while server.method_counts.get("getUpdates", 0) <= before:
        if not bot.alive():
            raise RuntimeError("the bot exited before polling:\n" + bot.tail())
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not start polling:\n" + bot.tail())
        await asyncio.sleep(0.05)


async def kill_and_restart(
    server: SandboxServer, bot: BotProcess, residents: list[Resident], tasks: list[asyncio.Task], rng: random.Random
) -> int:
    """SIGKILL once half of the residents' first "Send" presses reached the bot (or when all are
    done, if fewer get there), then start it again on the same database. Returns how many first
    presses had reached the bot when it was killed."""
    half = max(1, len(residents) // 2)

    def reached() -> int:
        return sum(1 for r in residents if r.presses and server.world.handed_out.get(r.presses[0].update_id))

    while not all(t.done() for t in tasks) and reached() < half:
        await asyncio.sleep(0.02)
    await asyncio.sleep(rng.uniform(0, 0.05))  # while that press is being handled
    await bot.kill()
    at_kill = reached()
    before = server.method_counts.get("getUpdates", 0)
    await bot.start()
    await wait_polling(server, bot, before)
    return at_kill


def _activity(server: SandboxServer, observer: Observer) -> tuple[int, int]:
    calls = sum(n for m, n in server.method_counts.items() if m != "getUpdates")
    return calls, sum(len(v) for v in observer.by_chat.values())


async def settle(server: SandboxServer, observer: Observer, handlers: list[Handler], cfg: Config) -> None:
    """Until no handler has a card to work and nothing happened for ``quiet_s`` (and no 429 asks the
    bot to wait any longer), or ``settle_max_s`` passed."""
    start = time.monotonic()
    last, quiet_since = None, start
    while time.monotonic() - start < cfg.settle_max_s:
        now = time.monotonic()
        busy = any(h.busy or h.pending() for h in handlers)
        signature = _activity(server, observer)
        if busy or signature != last or now < server.retry_after_until:
            last, quiet_since = signature, now
        elif now - quiet_since >= cfg.quiet_s:
            return
        await asyncio.sleep(0.25)


async def run_scenario(
    cfg: Config, scenario: str, inspect: Callable[[Observed], Awaitable[None]] | None = None
) -> dict[str, Any]:
    """One scenario on a fresh sandbox, database and bot process; its JSON object."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wufei-chaos-") as tmp:
        async with database(cfg.db, Path(tmp)) as url:
            server = SandboxServer(limits=Limits.relaxed())  # setup is not measured: the limits come after
            await server.start()
            observer = Observer(server.world)
            bot = BotProcess(Path(tmp), server.base_url, server.token, url, ADMIN_ID)
            tasks: list[asyncio.Task] = []
            try:
                result, seen = await _load_and_count(cfg, scenario, server, observer, bot, url, tasks)
                result["elapsed_s"] = round(time.monotonic() - started, 1)
                if inspect is not None:
                    await inspect(seen)
                return result
            finally:
                for task in tasks:
                    task.cancel()
                await bot.kill()
                if cfg.keep_logs is not None and bot.log_path.exists():
                    cfg.keep_logs.mkdir(parents=True, exist_ok=True)
                    shutil.copy(bot.log_path, cfg.keep_logs / f"{scenario}.log")
                observer.close()
                await server.stop()


async def _load_and_count(
    cfg: Config,
    scenario: str,
    server: SandboxServer,
    observer: Observer,
    bot: BotProcess,
    url: str,
    tasks: list[asyncio.Task],
) -> tuple[dict[str, Any], Observed]:
    """Setup, load, settle, stop the bot, count. Started tasks go to ``tasks`` (the caller ends them)."""
    rng = random.Random(f"{cfg.seed}-{scenario}")
    world = server.world
    await bot.start()
    await wait_polling(server, bot, 0)
    units, handlers = await bind_units(world, observer, ADMIN_ID, cfg.units, rng, cfg.pace)
    residents = make_residents(world, observer, units, cfg, rng)
    server.set_limits(cfg.sandbox_limits())
    if scenario in ("faults", "full"):
        server.faults = (
            Faults.parse(cfg.faults)
            if cfg.faults
            else Faults(
                rate=cfg.fault_rate, kinds=cfg.fault_kinds, methods=cfg.fault_methods, seed=rng.randrange(2**31)
            )
        )
    tasks += [asyncio.create_task(h.run()) for h in handlers]
    people = [asyncio.create_task(_arrive(r, rng.uniform(0, cfg.ramp_s))) for r in residents]
    tasks += people
    killer = None
    if scenario in ("kill", "full"):
        killer = asyncio.create_task(kill_and_restart(server, bot, residents, people, rng))
        tasks.append(killer)
    await asyncio.gather(*people)
    killed_after = await killer if killer is not None else None
    settle_start = time.monotonic()
    await settle(server, observer, handlers, cfg)
    settle_s = time.monotonic() - settle_start
    await bot.stop()
    numbers = count(residents, observer, world.handed_out, await read_database(url), labels_by_status())
    numbers["cards_given_up"] = sum(h.gave_up for h in handlers)
    result = {
        "scenario": scenario,
        "residents": len(residents),
        **numbers,
        "http_429": server.answers(429),
        "elapsed_s": None,
        "settle_s": round(settle_s, 1),
        "faults_injected": len(server.faults.injected),
        "restarts": bot.starts - 1,
        "killed_after_presses": killed_after,
        "bot_errors": bot.errors(),
        "db": cfg.db,
        "limits": cfg.limits,
    }
    return result, Observed(server, observer, url, residents, handlers, result)


def make_residents(world, observer: Observer, units, cfg: Config, rng: random.Random) -> list[Resident]:
    places, pool = spots(units, cfg.residents), photo_pool()
    residents = []
    for i in range(cfg.residents):
        lang = "en" if rng.random() < 0.3 else "zh"
        user = world.create_user(f"Resident{i}", language_code=lang)
        residents.append(
            Resident(
                world,
                observer,
                user,
                rng.sample(pool, rng.randint(1, 5)),
                places[i],
                random.Random(rng.random()),
                cfg.pace,
                double_tap=rng.random() < cfg.double_tap,
            )
        )
    return residents


async def _arrive(resident: Resident, delay: float) -> None:
    await asyncio.sleep(delay)
    await resident.run()


def parse_args(argv: list[str] | None) -> tuple[Config, list[str], int]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="6 residents, 3 units per scenario (under 2 minutes)")
    p.add_argument("--scenario", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    p.add_argument("--residents", type=int)
    p.add_argument("--units", type=int, help="units (and staff groups) in use, 1-18")
    p.add_argument("--db", default="sqlite", help="sqlite or postgresql (a scratch database, $WUFEI_BENCH_PG)")
    p.add_argument("--fault-rate", type=float, default=0.1)
    p.add_argument("--fault-kinds", default="500,502,drop,slow,429")
    p.add_argument("--fault-methods", default=",".join(FAULT_METHODS))
    p.add_argument(
        "--faults",
        help="a sandbox fault spec instead of the three above, e.g. "
        "'script=500,methods=sendLocation' (see sandbox/README.md)",
    )
    p.add_argument("--limits", default="telegram", help="telegram, relaxed, off, or bot=30,chat=1,burst=4,group=20")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--ramp-s", type=float, help="residents arrive over this many seconds")
    p.add_argument("--think", default="0.6,1.2", help="a person's seconds per step: min,max")
    p.add_argument("--stall-s", type=float, help="how long people wait before trying again (default 6, quick 4)")
    p.add_argument("--quiet-s", type=float, help="settled after this long without activity")
    p.add_argument("--settle-max-s", type=float)
    p.add_argument("--keep-logs", type=Path, help="copy each scenario's bot log into this folder")
    p.add_argument(
        "--jobs",
        type=int,
        help="scenarios run at once, each with its own sandbox and bot (default: all with --quick, else 1)",
    )
    args = p.parse_args(argv)
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s) {sorted(unknown)}; use {', '.join(SCENARIOS)}")
    low, high = (float(x) for x in args.think.split(","))
    quick = args.quick
    cfg = Config(
        residents=args.residents or (6 if quick else 200),
        units=max(1, min(18, args.units or (3 if quick else 18))),
        db=args.db,
        fault_rate=args.fault_rate,
        fault_kinds=tuple(args.fault_kinds.split(",")),
        fault_methods=tuple(args.fault_methods.split(",")),
        faults=args.faults,
        limits=args.limits,
        seed=args.seed,
        ramp_s=args.ramp_s if args.ramp_s is not None else (2.0 if quick else 120.0),
        pace=Pace(think=(low, high), stall_s=args.stall_s or (4.0 if quick else 6.0)),
        quiet_s=args.quiet_s if args.quiet_s is not None else (3.0 if quick else 10.0),
        settle_max_s=args.settle_max_s if args.settle_max_s is not None else (60.0 if quick else 900.0),
        keep_logs=args.keep_logs,
    )
    return cfg, scenarios, max(1, args.jobs or (len(scenarios) if quick else 1))


async def main(argv: list[str] | None = None) -> int:
    cfg, scenarios, jobs = parse_args(argv)
    gate = asyncio.Semaphore(jobs)

    async def one(scenario: str) -> dict[str, Any]:
        async with gate:
            return await run_scenario(cfg, scenario)

    runs = [asyncio.create_task(one(s)) for s in scenarios]
    for run in runs:  # in the order asked, each as soon as it and those before it are done
        print(json.dumps(await run, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
