"""A resident's sorting question through the real Dispatcher against a bare aiogram echo bot.

One JSON line per database and way in, never asserts::

    {"db": "sqlite", "via": "dispatcher", "wufei_per_s": 640.2, "echo_per_s": 1100.5, "ratio": 0.58, ...}

``--via dispatcher`` (issue 16's measure): straight into ``Dispatcher.feed_update`` one after another.
``--via inbox`` (the way updates arrive since issue 11): Wufei's updates are stored in the durable
inbox in batches of 100, as getUpdates hands them over (``Inbox.accept``, which serialises each
update to store it), handled by its worker and marked done by its group-commit writer; a round ends
when all are marked. The echo bot has no inbox: this line shows what durability costs on top.
Both by default (``--via dispatcher,inbox``).

Both run side by side in one process on the same kind of fake Bot session (every API call answered
in memory): the Dispatcher built by ``bot.app.create_app`` (all middlewares and routers, the real
knowledge base) and a bare ``Dispatcher`` with one handler that echoes the text. Rounds alternate
(Wufei, echo, Wufei, echo ...) so both see the same machine load; the numbers are medians over the
rounds. The senders are returning users (each has written once before the timing starts) asking
for known items. ``sql_per_update`` counts every statement the Wufei engine executed during the
timed rounds and the clean stop that follows (so batched background writes are included), divided
by the updates; counted with SQLAlchemy's ``before_cursor_execute`` event. The flood limit is
raised so that the bench's senders are not throttled, and the pacing layer's limits relaxed (its
bookkeeping still runs): Telegram's own 30 messages/s is not what this measures.

PostgreSQL: a database created on $WUFEI_BENCH_PG (default
postgresql://postgres@127.0.0.1:5432/postgres) and dropped afterwards; SQLite: a file in a
temporary folder. Extra keys: ``rounds``, ``updates`` (per round), ``ms_per_update``.

    python bench/updates.py [--quick] [--db sqlite,postgres] [--rounds N] [--updates N] [--via dispatcher,inbox]

Target (issue 16): ``ratio`` >= 0.5 via the dispatcher and ``sql_per_update`` <= 1 on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from aiogram import Bot, Dispatcher, Router  # noqa: E402
from aiogram.client.session.base import BaseSession  # noqa: E402
from aiogram.methods import SendMessage, TelegramMethod  # noqa: E402
from aiogram.types import Chat, Message, Update, User  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.outgoing.pacing import PaceLimits  # noqa: E402
from scratch_db import scratch_postgres  # noqa: E402  (bench/ is the script's folder)

TOKEN = "123456789:BENCH-wufei-updates"
BOT_USER = User(id=123456789, is_bot=True, first_name="Wufei", username="wufei_bot")
QUESTIONS = ["电池", "塑料瓶", "外卖盒", "旧衣服", "剩饭", "玻璃瓶", "纸巾", "易拉罐"]
USERS = 50


class MemorySession(BaseSession):
    """Answers every call in memory; a sent message comes back as the bot's ``Message``."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.calls = 0

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None):
        self.calls += 1
        if isinstance(method, SendMessage):
            return Message(
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=BOT_USER,
                text=method.text,
            )
        return True

    async def stream_content(self, *args, **kwargs):  # pragma: no cover - not used
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        pass


def _updates(count: int, ids: itertools.count) -> list[Update]:
    out = []
    for i in range(count):
        uid = 10_000 + i % USERS
        user = User(id=uid, is_bot=False, first_name=f"R{uid}", language_code="zh-hans")
        message = Message(
            message_id=next(ids),
            date=datetime.now(UTC),
            chat=Chat(id=uid, type="private", first_name=user.first_name),
            from_user=user,
            text=QUESTIONS[i % len(QUESTIONS)],
        )
        out.append(Update(update_id=next(ids), message=message))
    return out


def _echo() -> tuple[Dispatcher, Bot]:
    dp = Dispatcher()
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    dp.include_router(router)
    return dp, Bot(TOKEN, session=MemorySession())


async def _rate(dp: Dispatcher, bot: Bot, updates: list[Update]) -> float:
    start = time.perf_counter()
    for update in updates:
        await dp.feed_update(bot, update)
    return len(updates) / (time.perf_counter() - start)


async def _rate_inbox(inbox, updates: list[Update], batch: int = 100) -> float:
    start = time.perf_counter()
    for i in range(0, len(updates), batch):
        await inbox.accept(updates[i : i + batch])
    await inbox.drained()
    return len(updates) / (time.perf_counter() - start)


async def run_one(kind: str, url: str, media: Path, rounds: int, per_round: int, via: str = "inbox") -> dict:
    settings = Settings(
        _env_file=None,
        bot_token=None,
        database_url=url,
        media_dir=media,
        admin_ids=[1],
        flood_limit=1_000_000,
        web_port=0,
        geocoder_enabled=False,
    )
    # The pacing layer runs (its bookkeeping is part of the cost) with relaxed limits: Telegram's own
    # 30 messages/s would otherwise be what this measures.
    app = create_app(settings, bot_session=MemorySession(), pace=PaceLimits.relaxed())
    await app.prepare()
    if via == "inbox":
        await app.inbox.start(take_over_all=True)
    echo_dp, echo_bot = _echo()
    ids = itertools.count(1)
    try:
        for update in _updates(USERS * 2, ids):  # the senders are returning users; warm both sides
            await app.dp.feed_update(app.bot, update)
            await echo_dp.feed_update(echo_bot, update)
        statements = 0

        def count(*_args, **_kwargs) -> None:
            nonlocal statements
            statements += 1

        event.listen(app.engine.sync_engine, "before_cursor_execute", count)
        wufei, echo = [], []
        for _ in range(rounds):
            if via == "inbox":
                wufei.append(await _rate_inbox(app.inbox, _updates(per_round, ids)))
            else:
                wufei.append(await _rate(app.dp, app.bot, _updates(per_round, ids)))
            echo.append(await _rate(echo_dp, echo_bot, _updates(per_round, ids)))
    finally:
        await app.stop()
    w, e = statistics.median(wufei), statistics.median(echo)
    return {
        "db": kind,
        "via": via,
        "wufei_per_s": round(w, 1),
        "echo_per_s": round(e, 1),
        "ratio": round(w / e, 3),
        "sql_per_update": round(statements / (rounds * per_round), 3),
        "ms_per_update": round(1000 / w, 2),
        "rounds": rounds,
        "updates": per_round,
    }


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 20 updates")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--via", default="dispatcher,inbox", help="dispatcher, inbox or both (comma-separated)")
    args = parser.parse_args(argv)
    rounds, per_round = (2, 20) if args.quick else (args.rounds, args.updates)
    vias = args.via.split(",")
    if not set(vias) <= {"dispatcher", "inbox"}:
        parser.error("--via takes dispatcher, inbox or both")
    for kind, via in itertools.product(args.db.split(","), vias):
        with tempfile.TemporaryDirectory() as tmp:
            if kind == "sqlite":
                result = await run_one(
                    kind, f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp) / "media", rounds, per_round, via
                )
            else:
                async with scratch_postgres("wufei_bench") as url:
                    result = await run_one(kind, url, Path(tmp) / "media", rounds, per_round, via)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
