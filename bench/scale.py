"""Reports and outboxes at a city's size: the report queries and the outbox build against 1k, 10k
and 100k synthetic reports (and as many campaign recipients), on SQLite and PostgreSQL.

One JSON line per (database, size, operation), never asserts::

    {"db": "sqlite", "rows": 100000, "operation": "stats_all", "p50_ms": 12.3, "p95_ms": 14.0, ...}

Operations (each call in a session of its own, as the bot and the Open311 app make them):

  nearby               duplicate hints around a random point (``nearby_open_reports``)
  stats_all            the admin's ``/stats`` (``stats()``)
  stats_unit_30d       one unit's last 30 days (``stats(unit_code=..., since=now - 30 days)``)
  reports_unit_open    a unit's ``/reports``: its open reports, oldest first, 30 rows
  reports_admin_open   the admin's ``/reports``: every unit's open reports, oldest first, 30 rows
  open311_list         ``GET /requests.json`` (default 90-day window, first page, rendered)
  open311_filtered     ``GET /requests.json?status=open&service_code=household``
  outbox_build         a campaign run for ``rows`` recipients becoming ready to send
                       (``prepare_outbox``): the outbox's first chunk
                       (``DeliveryConfig.first_chunk``, 250 rows) and the run's cursor, one
                       transaction. The other rows are written by the sender as it goes,
                       ``insert_batch`` at a time; ``result`` is the rows written
  outbox_count         the COUNT of the run's ``rows`` recipients into its figures
                       (``count_recipients``), which the sender takes beside its first messages;
                       ``result`` is the count
  outbox_all           (only with ``--ops``: it writes every row) the whole outbox, chunk after
                       chunk as the sender writes it over a run (``extend_outbox``, 10,000 rows
                       each); ``result`` is the rows written

The synthetic city: reports spread over the last 400 days, 18 units, 7 waste types, about a fifth
open, accepted/resolved times of hours to days; one photo per report; residents subscribed to
"all" (60 %) or to their unit (40 %), a campaign addressed to every unit, so every resident is a
recipient. Sizes grow in one database (1k, then 9k more, then 90k more). PostgreSQL: a database
created on $WUFEI_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/postgres), dropped
afterwards; SQLite: a file in a temporary folder. Extra keys: ``reps`` (timed calls after one
warm-up), ``result`` (a size of the answer: rows returned or recipients counted).

    python bench/scale.py [--quick] [--sizes 1000,10000,100000] [--db sqlite,postgres] [--reps N]
                          [--ops stats_all,nearby,...] [--no-vacuum]

PostgreSQL is vacuumed after each load (as autovacuum would have done in a running system), so
index-only scans work; ``--no-vacuum`` times it straight after the bulk load instead. After each
load the process's objects are frozen out of the garbage collector's walks, as the bot does after
its start-up (``core/heap.py``); without it a full collection (40-180 ms here) lands in about one
call in 20 and becomes that operation's p95.

``--quick`` is 1k and 10k. Targets (issue 16): every operation at 100k under 100 ms p95 on both
databases, and p95 growing less than 3x from 10k to 100k.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import delete, func, insert, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from campaigns.delivery import DeliveryEngine  # noqa: E402
from campaigns.models import Campaign, CampaignRun, OutboxRow, Subscription  # noqa: E402
from campaigns.outbox import extend_outbox  # noqa: E402
from campaigns.subscriptions import Audience  # noqa: E402
from core import db, heap  # noqa: E402
from core.clock import Clock  # noqa: E402
from core.models import User  # noqa: E402
from core.units import all_units  # noqa: E402
from reports import open311, service as svc  # noqa: E402
from reports.models import OPEN_STATUSES, Report, ReportPhoto, ReportStatus, WasteType  # noqa: E402
from scratch_db import scratch_postgres  # noqa: E402  (bench/ is the script's folder)

UNITS = [u.code for u in all_units()]
WASTES = [w.value for w in WasteType]
STATUS_WEIGHTS = {
    ReportStatus.SUBMITTED: 6,
    ReportStatus.ACCEPTED: 7,
    ReportStatus.IN_PROGRESS: 7,
    ReportStatus.RESOLVED: 70,
    ReportStatus.REJECTED: 10,
}
USER_BASE = 10_000_000
RUNS = itertools.count(1)  # one campaign run per outbox build
AUDIENCE = {"everyone": False, "kinds": [], "units": UNITS, "cells": []}  # every resident
OPT_IN = {"outbox_all"}  # timed only when named in ``--ops``
CLOCK = Clock()  # the bench reads the real clock in the default zone


def _report_rows(start: int, count: int, now: datetime, rng: random.Random) -> tuple[list[dict], list[dict]]:
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    reports, photos = [], []
    for i in range(start, start + count):
        created = now - timedelta(seconds=rng.uniform(0, 400 * 86400))
        status = rng.choices(statuses, weights)[0]
        accepted = resolved = None
        if status in (ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED):
            accepted = created + timedelta(seconds=rng.uniform(600, 3 * 86400))
        if status == ReportStatus.RESOLVED:
            resolved = accepted + timedelta(seconds=rng.uniform(3600, 10 * 86400))
        reports.append(
            dict(
                id=i + 1,
                ticket=f"JY-B-{i + 1:08d}",
                channel="telegram",
                reporter_id=USER_BASE + i % 50_000,
                anonymous=True,
                lat=rng.uniform(31.65, 31.98),
                lon=rng.uniform(120.05, 120.60),
                location_source="telegram",
                unit_code=rng.choice(UNITS),
                waste_type=rng.choice(WASTES),
                witnessed=False,
                status=status.value,
                reject_reason="not_dumping" if status == ReportStatus.REJECTED else None,
                created_at=created,
                updated_at=resolved or accepted or created,
                assigned_at=created,
                accepted_at=accepted,
                resolved_at=resolved,
                version=1,
            )
        )
        sha = f"{i + 1:064x}"
        photos.append(
            dict(
                report_id=i + 1,
                sha256=sha,
                original_path=f"originals/{sha}.jpg",
                public_path=f"public/{sha}.jpg",
                width=800,
                height=600,
                kind="before",
                position=0,
                added_at=created,
            )
        )
    return reports, photos


def _people_rows(start: int, count: int, now: datetime, rng: random.Random) -> tuple[list[dict], list[dict]]:
    users, subscriptions = [], []
    for i in range(start, start + count):
        uid = USER_BASE + i
        users.append(
            dict(
                id=uid,
                display_name=f"r{i}",
                language="en" if i % 5 == 0 else "zh",
                language_chosen=True,
                created_at=now,
                last_seen_at=now,
                blocked_bot=False,
            )
        )
        if rng.random() < 0.6:
            subscriptions.append(dict(user_id=uid, target="all", value="", created_at=now))
        else:
            subscriptions.append(dict(user_id=uid, target="unit", value=rng.choice(UNITS), created_at=now))
    return users, subscriptions


async def _insert_chunks(sessions, model, rows: list[dict], chunk: int = 5000) -> None:
    async with sessions() as session:
        connection = await session.connection()
        for begin in range(0, len(rows), chunk):
            await connection.execute(insert(model), rows[begin : begin + chunk])
        await session.commit()


VACUUM = True  # --no-vacuum: measure PostgreSQL right after the bulk load


async def grow(sessions, engine, have: int, want: int, now: datetime, rng: random.Random) -> list[tuple]:
    """Add reports (with photos) and residents (with subscriptions) up to ``want`` of each; returns
    where the new open reports of the last 7 days are (the places a duplicate hint is asked about)."""
    reports, photos = _report_rows(have, want - have, now, rng)
    open_values = {s.value for s in OPEN_STATUSES}
    hot = [
        (r["lat"], r["lon"])
        for r in reports
        if r["status"] in open_values and r["created_at"] >= now - timedelta(days=7)
    ]
    await _insert_chunks(sessions, Report, reports)
    await _insert_chunks(sessions, ReportPhoto, photos)
    users, subscriptions = _people_rows(have, want - have, now, rng)
    await _insert_chunks(sessions, User, users)
    await _insert_chunks(sessions, Subscription, subscriptions)
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE"))
            await connection.execute(text("SELECT setval('reports_id_seq', (SELECT max(id) FROM reports))"))
        else:
            await connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql" and VACUUM:
        # What autovacuum does in a running system after a fifth of the table is new: without it, a
        # bulk load leaves the visibility map empty and no index-only scan can skip the table.
        async with engine.connect() as connection:
            await (await connection.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM"))
    heap.freeze()  # as the bot after its start-up (core/heap.py): no 100k-object walks mid-request
    return hot


async def _campaign(sessions, now: datetime) -> int:
    async with sessions() as session:
        campaign = Campaign(
            author_id=1,
            audience=AUDIENCE,
            text_zh="垃圾分类，从我做起",
            text_en="Sort your waste",
            schedule_kind="once",
            run_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(campaign)
        await session.commit()
        return campaign.id


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


async def _time(op: Callable[[], Awaitable[int]], reps: int) -> tuple[list[float], int]:
    result = await op()  # warm-up (statement caches, pages)
    samples = []
    for _ in range(reps):
        began = time.perf_counter()
        result = await op()
        samples.append((time.perf_counter() - began) * 1000)
    return samples, result


def _operations(sessions, now: datetime, rng: random.Random, campaign_id: int, hot: list[tuple]):
    open_statuses = sorted(OPEN_STATUSES)
    engine = DeliveryEngine(sessions, send=None)

    async def in_session(call):
        async with sessions() as session:
            return await call(session)

    async def nearby():
        lat, lon = rng.choice(hot) if hot else (rng.uniform(31.65, 31.98), rng.uniform(120.05, 120.60))
        lat, lon = lat + rng.uniform(-0.001, 0.001), lon + rng.uniform(-0.001, 0.001)
        return len(await in_session(lambda s: svc.nearby_open_reports(s, lat, lon, now=now)))

    async def stats_all():
        return (await in_session(lambda s: svc.stats(s))).total

    async def stats_unit_30d():
        unit = rng.choice(UNITS)
        return (await in_session(lambda s: svc.stats(s, since=now - timedelta(days=30), unit_code=unit))).total

    async def reports_unit_open():
        unit = rng.choice(UNITS)
        return len(await in_session(lambda s: svc.list_by(s, unit, open_statuses, limit=30)))

    async def reports_admin_open():
        return len(await in_session(lambda s: svc.list_by(s, None, open_statuses, limit=30)))

    async def open311_list(params):
        reports = await in_session(lambda s: open311_page(s, params))
        return len([open311.request_entry(r, "https://wufei.example.cn", CLOCK.tz) for r in reports])

    async def outbox(timed: str):
        async with sessions() as session:
            run = CampaignRun(campaign_id=campaign_id, scheduled_for=now + timedelta(minutes=next(RUNS)))
            session.add(run)
            await session.commit()
            run_id = run.id
        began = time.perf_counter()
        await engine.prepare_outbox(run_id)
        elapsed = time.perf_counter() - began
        if timed == "count":
            began = time.perf_counter()
            result = await engine.count_recipients(run_id)
            elapsed = time.perf_counter() - began
        elif timed == "all":
            audience = Audience.from_json(AUDIENCE)
            size = engine.config.insert_batch
            while True:
                async with sessions() as session:
                    if await extend_outbox(session, run_id, audience, has_en=True, size=size):
                        break
            elapsed = time.perf_counter() - began
        async with sessions() as session:  # keep the table at one run's size
            if timed in ("build", "all"):
                result = (await session.exec(select(func.count()).where(OutboxRow.run_id == run_id))).one()
            await session.exec(delete(OutboxRow).where(OutboxRow.run_id == run_id))
            await session.commit()
        return result, elapsed

    return {
        "nearby": nearby,
        "stats_all": stats_all,
        "stats_unit_30d": stats_unit_30d,
        "reports_unit_open": reports_unit_open,
        "reports_admin_open": reports_admin_open,
        "open311_list": lambda: open311_list({}),
        "open311_filtered": lambda: open311_list({"status": "open", "service_code": "household"}),
        "outbox_build": lambda: outbox("build"),
        "outbox_count": lambda: outbox("count"),
        "outbox_all": lambda: outbox("all"),
    }


async def open311_page(session, params):
    """The Open311 list's query."""
    return await open311.query_requests(session, params, now=CLOCK())


async def _time_outbox(op, reps: int) -> tuple[list[float], int]:
    result, _ = await op()
    samples = []
    for _ in range(reps):
        result, elapsed = await op()
        samples.append(elapsed * 1000)
    return samples, result


async def bench_db(
    kind: str, url: str, sizes: list[int], reps: int, outbox_reps: int, ops: set[str] | None = None
) -> None:
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
        sessions = db.make_session_factory(engine)
        now = datetime.now(UTC).replace(microsecond=0)
        rng = random.Random(16)
        campaign_id = await _campaign(sessions, now)
        have, hot = 0, []
        for size in sizes:
            hot += await grow(sessions, engine, have, size, now, rng)
            have = size
            for name, op in _operations(sessions, now, rng, campaign_id, hot).items():
                if (ops and name not in ops) or (not ops and name in OPT_IN):
                    continue
                if name.startswith("outbox_"):
                    samples, result = await _time_outbox(op, outbox_reps)
                else:
                    samples, result = await _time(op, reps)
                print(
                    json.dumps(
                        {
                            "db": kind,
                            "rows": size,
                            "operation": name,
                            "p50_ms": round(_pct(samples, 0.5), 2),
                            "p95_ms": round(_pct(samples, 0.95), 2),
                            "reps": len(samples),
                            "result": result,
                        }
                    ),
                    flush=True,
                )
    finally:
        await engine.dispose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    parser.add_argument("--sizes", help="comma list of report (and recipient) counts")
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--reps", type=int, default=30, help="timed calls per read operation")
    parser.add_argument("--outbox-reps", type=int, default=5, help="timed outbox builds per size")
    parser.add_argument("--ops", help="comma list of operations to time (default: all)")
    parser.add_argument(
        "--no-vacuum", action="store_true", help="PostgreSQL: time right after each bulk load, before any VACUUM"
    )
    args = parser.parse_args(argv)
    global VACUUM
    VACUUM = not args.no_vacuum
    ops = {o.strip() for o in args.ops.split(",") if o.strip()} if args.ops else None
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    )
    if sizes != sorted(sizes):
        parser.error("--sizes must grow")
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="wufei-scale-") as folder:
                await bench_db(kind, f"sqlite+aiosqlite:///{folder}/scale.db", sizes, args.reps, args.outbox_reps, ops)
        elif kind == "postgres":
            async with scratch_postgres("wufei_scale") as url:
                await bench_db(kind, url, sizes, args.reps, args.outbox_reps, ops)
        else:
            parser.error(f"unknown --db {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
