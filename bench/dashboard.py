"""The staff dashboard at a city's size: every page and export over real HTTP (the dashboard's
aiohttp application on a local port, signed in as an admin or a unit handler) against 1k, 10k and
100k synthetic reports, on SQLite and PostgreSQL.

One JSON line per (database, size, page), never asserts::

    {"db": "postgres", "rows": 100000, "page": "reports_admin", "p50_ms": 41.2, "p95_ms": 48.0, ...}

Pages:

  reports_admin        /dashboard/ as an admin: open reports of every unit by age, 50 rows, the map
  reports_unit         /dashboard/ as a unit's handler (their open reports)
  reports_filtered     a unit, two statuses, a waste type and a 90-day window
  reports_overdue      open reports older than the escalation delay
  report               one report's page (photos, timeline, actions)
  figures              /dashboard/figures as an admin: 8 weeks of bulletin, campaigns, sorting
  bulletin_csv         /dashboard/export/bulletin.csv (8 weeks)
  bulletin_xlsx        /dashboard/export/bulletin.xlsx
  reports_csv          /dashboard/export/reports.csv of one unit's open reports
  reports_geojson      /dashboard/export/reports.geojson of the same view

The synthetic city is ``bench/scale.py``'s (reports over 400 days, 18 units, photos, residents),
plus a "created" event per report and a "not clean" reopening for one resolved report in 50, so
the bulletin's reopening count reads a realistic event table; on PostgreSQL a ``VACUUM ANALYZE``
after each load stands for autovacuum; after it the process's objects are frozen out of the garbage
collector's walks, as the bot does after its start-up (``core/heap.py``). Sizes grow in one database.

    python bench/dashboard.py [--quick] [--sizes 1000,10000,100000] [--db sqlite,postgres] [--reps N]

Target (issue 15): every page under 300 ms at 100k reports on PostgreSQL. ``load1`` (the load
average when the line was printed) says how busy the machine was: client and server share one
process, so a busy machine slows every page alike, the small ones too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from bot import dashboard  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.i18n import make_i18n  # noqa: E402
from bot.serving import serve_web  # noqa: E402
from core import accounts, db, heap, web_sessions  # noqa: E402
from core.clock import Clock  # noqa: E402
from core.models import Role, User  # noqa: E402
from reports.models import Report, ReportEvent  # noqa: E402
from scale import UNITS, _insert_chunks, _pct, grow  # noqa: E402  (bench/ is the script's folder)
from scratch_db import scratch_postgres  # noqa: E402

ADMIN, HANDLER = 900_001, 900_002
CLOCK = Clock()


async def add_events(sessions, have: int, want: int, rng: random.Random) -> None:
    """A "created" event per new report; a reopening after the check for one resolved in 50."""
    async with sessions() as session:
        rows = (
            await session.exec(
                select(Report.id, Report.created_at, Report.status, Report.resolved_at).where(
                    Report.id > have, Report.id <= want
                )
            )
        ).all()
    events = []
    for rid, created, status, resolved in rows:
        events.append(
            dict(report_id=rid, at=created, kind="created", old_status=None, new_status="submitted", details=None)
        )
        if status == "resolved" and rng.random() < 0.02:
            events.append(
                dict(
                    report_id=rid,
                    at=resolved + timedelta(days=3),
                    kind="follow",
                    old_status="resolved",
                    new_status="accepted",
                    details={"answer": "not_clean"},
                )
            )
    await _insert_chunks(sessions, ReportEvent, events)


async def vacuum(engine) -> None:
    """What autovacuum does after a bulk load (PostgreSQL): the visibility map that lets the
    bulletin read its covering index alone, and fresh statistics."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))


async def cookie_for(sessions, user_id: int, role: Role, unit: str = "") -> str:
    async with sessions() as session:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id, display_name=f"staff {user_id}", language="zh"))
            await session.commit()
        await accounts.grant(session, None, user_id, role, unit)
        token = await web_sessions.issue_link(session, user_id, CLOCK())
        opened = await web_sessions.redeem(session, token, CLOCK())
    return opened.cookie


def pages(unit: str, report_id: int) -> dict[str, tuple[str, str]]:
    """page -> (who, path)."""
    since = (CLOCK() - timedelta(days=90)).astimezone(CLOCK.tz).date().isoformat()
    view = f"unit={unit}&status=submitted&status=accepted&status=in_progress"
    return {
        "reports_admin": ("admin", "/dashboard/"),
        "reports_unit": ("handler", "/dashboard/"),
        "reports_filtered": (
            "admin",
            f"/dashboard/?unit={unit}&status=accepted&status=resolved&waste=household&since={since}",
        ),
        "reports_overdue": ("admin", "/dashboard/?overdue=1"),
        "report": ("admin", f"/dashboard/reports/{report_id}"),
        "figures": ("admin", "/dashboard/figures?weeks=8"),
        "bulletin_csv": ("admin", "/dashboard/export/bulletin.csv?weeks=8"),
        "bulletin_xlsx": ("admin", "/dashboard/export/bulletin.xlsx?weeks=8"),
        "reports_csv": ("admin", f"/dashboard/export/reports.csv?{view}"),
        "reports_geojson": ("admin", f"/dashboard/export/reports.geojson?{view}"),
    }


async def time_page(http: aiohttp.ClientSession, url: str, cookie: str, reps: int) -> tuple[list[float], int]:
    headers = {"Cookie": f"wufei_dashboard={cookie}"}
    size = 0
    samples = []
    for rep in range(reps + 1):  # the first is a warm-up
        began = time.perf_counter()
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url}: {response.status} {body[:200]!r}")
        if rep:
            samples.append((time.perf_counter() - began) * 1000)
        size = len(body)
    return samples, size


async def bench_db(kind: str, url: str, sizes: list[int], reps: int) -> None:
    engine = db.make_engine(url)
    runner = None
    try:
        await db.upgrade(engine)
        sessions = db.make_session_factory(engine)
        settings = Settings(_env_file=None, database_url=url, bot_token=None, web_port=0)
        # the dashboard's view of the app: no bot (no link sign-in, no widget), the media store from settings
        app = SimpleNamespace(
            sessions=sessions, clock=CLOCK, settings=settings, i18n=make_i18n("zh"), reports=None, bot=None
        )
        web_app = web.Application()
        web_app.add_subapp("/dashboard/", dashboard.make_app(app))
        runner = await serve_web(web_app, "127.0.0.1", 0)
        port = runner.addresses[0][1]
        now = datetime.now(UTC).replace(microsecond=0)
        rng = random.Random(15)
        unit = UNITS[0]
        cookies = {
            "admin": await cookie_for(sessions, ADMIN, Role.ADMIN),
            "handler": await cookie_for(sessions, HANDLER, Role.UNIT_HANDLER, unit),
        }
        have = 0
        async with aiohttp.ClientSession() as http:
            for size in sizes:
                await grow(sessions, engine, have, size, now, rng)
                await add_events(sessions, have, size, rng)
                await vacuum(engine)
                heap.freeze()  # as the bot after its start-up (core/heap.py)
                have = size
                for name, (who, path) in pages(unit, rng.randint(1, size)).items():
                    samples, body = await time_page(http, f"http://127.0.0.1:{port}{path}", cookies[who], reps)
                    print(
                        json.dumps(
                            {
                                "db": kind,
                                "rows": size,
                                "page": name,
                                "p50_ms": round(_pct(samples, 0.5), 2),
                                "p95_ms": round(_pct(samples, 0.95), 2),
                                "reps": len(samples),
                                "bytes": body,
                                "load1": round(os.getloadavg()[0], 2),  # the machine's business while it ran
                            }
                        ),
                        flush=True,
                    )
    finally:
        if runner is not None:
            await runner.cleanup()
        await engine.dispose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    parser.add_argument("--sizes", help="comma list of report counts (growing)")
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--reps", type=int, default=20, help="timed requests per page")
    args = parser.parse_args(argv)
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    )
    if sizes != sorted(sizes):
        parser.error("--sizes must grow")
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="wufei-dashboard-") as folder:
                await bench_db(kind, f"sqlite+aiosqlite:///{folder}/dashboard.db", sizes, args.reps)
        elif kind == "postgres":
            async with scratch_postgres("wufei_dashboard") as url:
                await bench_db(kind, url, sizes, args.reps)
        else:
            parser.error(f"unknown --db {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
