"""The durable inbox (issue 11): its table's rules (core/inbox.py, on SQLite and PostgreSQL) and its
worker (bot/inbox.py) feeding a real Dispatcher from a real database: one chat in order, chats side
by side, a service that is down retried, a bug not, a dead instance's updates taken over once,
finished updates marked in batches and purged by the scheduler on the app's clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Chat, Message, Update, User
from apscheduler.events import EVENT_JOB_EXECUTED
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event, select

from bot.inbox import Inbox, schedule_purge
from bot.jobs import Jobs
from core import db, inbox as table
from tests.support.clock import FakeClock
from tests.support.fakebot import FakeSession

BOT = 123456789
LEASE = timedelta(seconds=30)


def now() -> datetime:
    return datetime.now(UTC)


async def statuses(sessions, bot_id: int = BOT) -> dict[int, str]:
    async with sessions() as session:
        rows = await session.exec(
            select(table.UpdateInbox.update_id, table.UpdateInbox.status).where(table.UpdateInbox.bot_id == bot_id)
        )
        return dict(rows.all())


# ---------------------------------------------------------------------------- the table (both databases)


async def test_an_update_sent_twice_is_stored_once(sessions):
    async with sessions() as session:
        assert await table.store(session, BOT, [(1, '{"a":1}'), (2, '{"b":1}')], owner="x", now=now(), lease=LEASE) == {
            1,
            2,
        }
        assert await table.store(
            session, BOT, [(2, '{"again":1}'), (3, '{"c":1}')], owner="x", now=now(), lease=LEASE
        ) == {3}
        rows = await table.owned(session, BOT, "x")
    assert [(r.update_id, r.payload) for r in rows] == [(1, '{"a":1}'), (2, '{"b":1}'), (3, '{"c":1}')]


async def test_take_over_counts_attempts_respects_live_leases_and_gives_up(sessions):
    t0 = now()
    async with sessions() as session:
        await table.store(session, BOT, [(1, "{}"), (2, "{}")], owner="dead", now=t0, lease=LEASE)
        await table.store(session, BOT, [(3, "{}")], owner="alive", now=t0 + LEASE, lease=LEASE)
        await table.finish(session, BOT, {2: table.DONE}, now=t0)
        # before the lease ran out: nothing to take
        assert await table.take_over(session, BOT, "me", now=t0, lease=LEASE, expired_only=True, max_attempts=5) == 0
        later = t0 + LEASE + timedelta(seconds=1)
        assert await table.take_over(session, BOT, "me", now=later, lease=LEASE, expired_only=True, max_attempts=5) == 1
        assert [(r.update_id, r.attempts) for r in await table.owned(session, BOT, "me")] == [(1, 1)]
        # a single poller takes everything not its own, live lease or not
        assert await table.take_over(session, BOT, "next", now=t0, lease=LEASE, expired_only=False, max_attempts=5) == 2
        assert [(r.update_id, r.attempts) for r in await table.owned(session, BOT, "next")] == [(1, 2), (3, 1)]
        # an update that took its instance down too often is given up
        assert await table.take_over(session, BOT, "last", now=t0, lease=LEASE, expired_only=False, max_attempts=2) == 1
    assert await statuses(sessions) == {1: table.FAILED, 2: table.DONE, 3: table.PENDING}


async def test_purge_deletes_only_updates_finished_before_the_moment(sessions):
    t0 = now()
    async with sessions() as session:
        await table.store(session, BOT, [(1, "{}"), (2, "{}"), (3, "{}")], owner="x", now=t0, lease=LEASE)
        await table.finish(session, BOT, {1: table.DONE}, now=t0 - timedelta(days=8))
        await table.finish(session, BOT, {2: table.FAILED}, now=t0 - timedelta(days=1))
        assert await table.purge(session, before=t0 - timedelta(days=7)) == 1
    assert await statuses(sessions) == {2: table.FAILED, 3: table.PENDING}


# ---------------------------------------------------------------------------- the worker


@pytest.fixture
async def sqlite_sessions(tmp_path):
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path}/inbox.db")
    await db.upgrade(engine)
    yield db.make_session_factory(engine)
    await engine.dispose()


def message(update_id: int, chat_id: int, text: str) -> Update:
    user = User(id=chat_id, is_bot=False, first_name=f"U{chat_id}")
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id, date=now(), chat=Chat(id=chat_id, type="private"), from_user=user, text=text
        ),
    )


class Harness:
    """A bare Dispatcher whose one handler the test scripts, behind an Inbox on a real database."""

    def __init__(self, sessions, clock=None, **inbox_options) -> None:
        self.dp = Dispatcher()
        self.bot = Bot(f"{BOT}:TEST-inbox-token-abcdefghijklmnop", session=FakeSession())
        self.seen: list[tuple[str, bool]] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.failures: dict[str, list[Exception]] = {}
        router = Router()

        @router.message()
        async def handle(msg: Message, redelivered: bool = False) -> None:
            self.seen.append((msg.text, redelivered))
            if msg.text in self.gates:
                await self.gates[msg.text].wait()
            if self.failures.get(msg.text):
                raise self.failures[msg.text].pop(0)

        self.dp.include_router(router)
        self.inbox = Inbox(self.dp, self.bot, sessions, clock or FakeClock(now()), **inbox_options)


async def test_one_chat_in_order_while_other_chats_go_on(sqlite_sessions):
    h = Harness(sqlite_sessions)
    h.gates["a1"] = asyncio.Event()
    await h.inbox.start(take_over_all=True)
    try:
        await h.inbox.accept([message(1, 10, "a1"), message(2, 10, "a2"), message(3, 20, "b1")])
        while ("b1", False) not in h.seen:  # chat 20 is not held up by chat 10's slow update
            await asyncio.sleep(0.01)
        assert [t for t, _ in h.seen if t.startswith("a")] == ["a1"]  # a2 waits for a1
        h.gates["a1"].set()
        await asyncio.wait_for(h.inbox.drained(), 10)
        assert [t for t, _ in h.seen if t.startswith("a")] == ["a1", "a2"]
        assert await statuses(sqlite_sessions) == {1: "done", 2: "done", 3: "done"}
    finally:
        await h.inbox.stop()


async def test_a_service_down_is_retried_until_handled_and_a_bug_is_not(sqlite_sessions):
    h = Harness(sqlite_sessions, retry_max_s=1)
    h.failures["down"] = [RedisConnectionError("Error 111 connecting"), RedisConnectionError("again")]
    h.failures["bug"] = [ValueError("a bug"), ValueError("would pass if it ran again")]
    await h.inbox.start(take_over_all=True)
    try:
        await h.inbox.accept([message(1, 10, "down"), message(2, 10, "after"), message(3, 20, "bug")])
        await asyncio.wait_for(h.inbox.drained(), 20)
    finally:
        await h.inbox.stop()
    assert [s for s in h.seen if s[0] != "bug"] == [("down", False), ("down", True), ("down", True), ("after", False)]
    assert [s for s in h.seen if s[0] == "bug"] == [("bug", False)]
    assert await statuses(sqlite_sessions) == {1: "done", 2: "done", 3: "failed"}


async def test_a_restart_handles_what_a_dead_process_left_once_as_redeliveries(sqlite_sessions):
    payloads = [
        (u.update_id, u.model_dump_json(exclude_unset=True, by_alias=True))
        for u in (message(7, 10, "left"), message(8, 20, "behind"))
    ]
    async with sqlite_sessions() as session:
        await table.store(session, BOT, payloads, owner="killed", now=now(), lease=LEASE)
        await table.store(session, BOT, [(6, "{}")], owner="killed", now=now(), lease=LEASE)
        await table.finish(session, BOT, {6: table.DONE}, now=now())
    h = Harness(sqlite_sessions)
    await h.inbox.start(take_over_all=True)  # polling: the one poller takes everything unfinished
    try:
        await asyncio.wait_for(h.inbox.drained(), 10)
    finally:
        await h.inbox.stop()
    assert sorted(h.seen) == [("behind", True), ("left", True)]
    assert await statuses(sqlite_sessions) == {6: "done", 7: "done", 8: "done"}


async def test_webhook_instances_take_over_only_when_the_lease_ran_out(sqlite_sessions):
    clock = FakeClock(now())
    payload = message(5, 10, "orphan").model_dump_json(exclude_unset=True, by_alias=True)
    async with sqlite_sessions() as session:
        await table.store(session, BOT, [(5, payload)], owner="other", now=clock(), lease=LEASE)
    h = Harness(sqlite_sessions, clock)
    await h.inbox.start(take_over_all=False)
    try:
        async with sqlite_sessions() as session:  # its instance may be alive: still its own
            assert [r.update_id for r in await table.owned(session, BOT, "other")] == [5]
        clock.advance(seconds=LEASE.total_seconds() + 1)
        await h.inbox.take_over_expired()
        await asyncio.wait_for(h.inbox.drained(), 10)
        assert h.seen == [("orphan", True)]
    finally:
        await h.inbox.stop()


async def test_finished_updates_are_marked_in_batches(sqlite_sessions):
    h = Harness(sqlite_sessions)
    engine = sqlite_sessions.kw["bind"]
    marks = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE UPDATE_INBOX SET STATUS"):
            marks.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    await h.inbox.start(take_over_all=True)
    try:
        await h.inbox.accept([message(i, 1000 + i, f"m{i}") for i in range(1, 41)])
        await asyncio.wait_for(h.inbox.drained(), 10)
    finally:
        await h.inbox.stop()
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert set((await statuses(sqlite_sessions)).values()) == {"done"}
    assert 1 <= len(marks) <= 5, f"{len(marks)} writes for 40 updates"


async def test_a_mark_write_under_way_when_stopping_is_finished_not_cut(sqlite_sessions, monkeypatch):
    """SIGTERM right after an answer: the writer is marking it. Cancelling that write rolled its
    transaction back half-way (the pool logged the CancelledError as an error, a traceback in the
    process's output); it is finished instead, and the update is done."""
    h = Harness(sqlite_sessions)
    writing, release, outcome = asyncio.Event(), asyncio.Event(), []
    real_finish = table.finish

    async def slow_finish(session, bot_id, marks, *, now):
        writing.set()
        try:
            await release.wait()  # the write is under way when stop() comes
        except asyncio.CancelledError:
            outcome.append("cut")
            raise
        await real_finish(session, bot_id, marks, now=now)
        outcome.append("written")

    monkeypatch.setattr(table, "finish", slow_finish)
    await h.inbox.start(take_over_all=True)
    await h.inbox.accept([message(1, 10, "answered")])
    await asyncio.wait_for(writing.wait(), 10)
    stopping = asyncio.create_task(h.inbox.stop())
    await asyncio.sleep(0)  # stop() has begun
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert outcome == ["written"]
    assert await statuses(sqlite_sessions) == {1: "done"}


@pytest.mark.dates
async def test_the_purge_job_runs_on_the_apps_clock(sqlite_sessions):
    clock = FakeClock(now() + timedelta(days=400))
    async with sqlite_sessions() as session:
        await table.store(session, BOT, [(1, "{}"), (2, "{}")], owner="x", now=clock(), lease=LEASE)
        await table.finish(session, BOT, {1: table.DONE}, now=clock())
        await table.finish(session, BOT, {2: table.DONE}, now=clock() + timedelta(days=2))
    jobs = Jobs(sqlite_sessions.kw["bind"], clock)
    schedule_purge(jobs, sqlite_sessions, clock, keep_days=7)
    ran = asyncio.Event()
    jobs.scheduler.add_listener(lambda e: e.job_id == "inbox:purge" and ran.set(), EVENT_JOB_EXECUTED)
    await jobs.start()
    try:
        clock.advance(days=7, hours=2)  # update 1 was finished more than 7 days ago, update 2 not
        await asyncio.wait_for(ran.wait(), 10)
    finally:
        await jobs.halt()
        await jobs.release()
    assert await statuses(sqlite_sessions) == {2: "done"}
