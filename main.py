"""Wufei command line.

python main.py [run]                 run the bot (local sandbox when no token is configured)
python main.py db upgrade|current|downgrade REV
python main.py kb lint|stats|classify|export
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time


def _settings():
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin at import


def cmd_run(_args) -> int:
    settings = _settings()
    _logging(settings.log_level)
    # Before the heavy imports: an unreachable database or Redis is one line and exit 2 at once.
    from bot.dependencies import Unreachable, check_at_start

    try:
        asyncio.run(check_at_start(settings.database_url, settings.redis_url))
    except Unreachable as error:
        print(f"Start-up error: {error}", file=sys.stderr)
        return 2
    importing = time.monotonic()
    from bot.i18n import CatalogsNotCompiled
    from bot.runner import run

    logging.getLogger("wufei").info("imports done in %.1f s", time.monotonic() - importing)

    try:
        return asyncio.run(run(settings))
    except CatalogsNotCompiled as error:
        print(f"Start-up error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def cmd_db(args) -> int:
    settings = _settings()
    _logging("WARNING")
    from core import db

    async def go() -> int:
        engine = db.make_engine(settings.database_url)
        try:
            if args.action == "upgrade":
                await db.upgrade(engine, args.revision or "heads")
            elif args.action == "downgrade":
                if not args.revision:
                    print("downgrade needs a revision (e.g. base)", file=sys.stderr)
                    return 2
                await db.downgrade(engine, args.revision)
            print(f"database at revision {await db.current_revision(engine) or 'base (empty)'}")
            return 0
        finally:
            await engine.dispose()

    return asyncio.run(go())


def cmd_kb(args) -> int:
    if args.rest[:1] == ["export"] and (len(args.rest) == 1 or args.rest[1] == "--data-dir"):
        return kb_export(args.rest[2] if len(args.rest) > 2 else None)
    from knowledge.cli import main as kb_main

    return kb_main(args.rest)


def kb_export(data_dir: str | None) -> int:
    """Curators' changes made in the chat -> knowledge/data/curated/*.yaml, for review in git."""
    settings = _settings()
    _logging("WARNING")
    from core import db
    from knowledge import curation
    from knowledge.export import write_curated
    from knowledge.kb import DEFAULT_DATA_DIR

    async def go() -> int:
        engine = db.make_engine(settings.database_url)
        try:
            await db.upgrade(engine)
            async with db.make_session_factory(engine)() as session:
                aliases, items = await curation.pending_changes(session)
                if not aliases and not items:
                    print("no curated changes to export")
                    return 0
                for path in write_curated(data_dir or DEFAULT_DATA_DIR, aliases, items):
                    print(f"wrote {path}")
                count = await curation.mark_exported(session)
                print(f"exported {count} change(s); review and commit knowledge/data/curated/")
                return 0
        finally:
            await engine.dispose()

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description="Wufei (无废) bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (sandbox when no token is set)").set_defaults(func=cmd_run)
    p_db = sub.add_parser("db", help="database migrations")
    p_db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    p_db.add_argument("revision", nargs="?")
    p_db.set_defaults(func=cmd_db)
    p_kb = sub.add_parser("kb", help="sorting knowledge base tools", add_help=False)
    p_kb.add_argument("rest", nargs=argparse.REMAINDER)
    p_kb.set_defaults(func=cmd_kb)
    args = parser.parse_args(argv)
    if args.command is None:
        args.func = cmd_run
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
