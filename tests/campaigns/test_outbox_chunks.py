"""A run's outbox written chunk by chunk as it is sent (issue 16): a run bigger than a chunk, a
crash between chunks, two writers of one chunk, a cancel with chunks left, and who unsubscribes
(or subscribes) while the run is sent."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from campaigns import outbox as chunks, service, subscriptions
from campaigns.delivery import DeliveryConfig, DeliveryEngine
from campaigns.models import CampaignRun, RunStatus, Target
from campaigns.subscriptions import Audience
from tests.campaigns.conftest import add_users
from tests.campaigns.test_delivery import FakeTelegram, make_run, outbox

pytestmark = pytest.mark.dates

# Chunks of 5 then 7 rows, pages of 4: every run below is many chunks.
SMALL = DeliveryConfig(rate=5000, window=4, per_chat_interval=0, first_chunk=5, insert_batch=7, page_size=4)


async def run_row(sessions, run_id) -> CampaignRun:
    async with sessions() as session:
        return await session.get_one(CampaignRun, run_id)


async def test_a_run_of_many_chunks_reaches_everyone_once(sessions, clock):
    n = 57
    await add_users(sessions, range(1, n + 1))
    run_id = await make_run(sessions, clock, range(1, n + 1))
    fake = FakeTelegram()
    engine = DeliveryEngine(sessions, fake, SMALL, clock=clock)
    assert await engine.prepare_outbox(run_id) is True  # ready to send; the recipients to count
    # Ready to send with the first chunk written; not counted yet, the figures say so.
    assert sorted(await outbox(sessions, run_id)) == [1, 2, 3, 4, 5]
    run = await run_row(sessions, run_id)
    assert (run.targeted, run.outbox_after, run.outbox_ready) == (0, 5, False)
    before = await engine.stats(run_id)
    assert (before.counted, before.targeted, before.pending, before.sent) == (False, 5, 5, 0)
    assert await engine.count_recipients(run_id) == n
    # Counted: the staff's figures count the rows not written yet as pending.
    counted = await engine.stats(run_id)
    assert (counted.counted, counted.targeted, counted.pending, counted.sent) == (True, n, n, 0)
    stats = await engine.deliver_run(run_id)
    assert Counter(fake.chats) == {i: 1 for i in range(1, n + 1)}
    assert (stats.status, stats.targeted, stats.sent, stats.pending, stats.failed) == (RunStatus.DONE, n, n, 0, 0)
    run = await run_row(sessions, run_id)
    assert (run.status, run.targeted, run.sent, run.outbox_ready) == ("done", n, n, True)


@pytest.mark.parametrize("restarted", [False, True], ids=["fresh", "restarted before its count"])
async def test_the_recipients_are_counted_while_the_first_messages_go_out(sessions, clock, restarted):
    n = 57
    await add_users(sessions, range(1, n + 1))
    run_id = await make_run(sessions, clock, range(1, n + 1))
    if restarted:  # a crash right after the first chunk: written, never counted
        assert await DeliveryEngine(sessions, FakeTelegram(), SMALL, clock=clock).prepare_outbox(run_id) is True
    fake = FakeTelegram(hang_after=3)  # the run stops after three messages, with chunks left
    engine = DeliveryEngine(sessions, fake, SMALL, clock=clock)
    task = asyncio.create_task(engine.deliver_run(run_id))
    for _ in range(500):
        await asyncio.sleep(0.01)
        if fake.hanging and (await run_row(sessions, run_id)).targeted:
            break
    run = await run_row(sessions, run_id)
    assert (run.targeted, run.outbox_ready) == (n, False)  # counted by the run itself, beside its sends
    stats = await engine.stats(run_id)
    assert (stats.counted, stats.targeted, stats.sent + stats.sending + stats.pending) == (True, n, n)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_crash_between_chunks_resumes_without_duplicates_or_losses(sessions, clock):
    n, window = 60, SMALL.window
    await add_users(sessions, range(1, n + 1))
    run_id = await make_run(sessions, clock, range(1, n + 1))
    first = FakeTelegram(hang_after=20)
    task = asyncio.create_task(DeliveryEngine(sessions, first, SMALL, clock=clock).deliver_run(run_id))
    for _ in range(500):
        await asyncio.sleep(0.01)
        if first.hanging >= window:
            break
    assert first.hanging == window
    task.cancel()  # the crash: nothing more is written
    with pytest.raises(asyncio.CancelledError):
        await task
    rows = await outbox(sessions, run_id)
    run = await run_row(sessions, run_id)
    # Stopped with chunks left: the cursor says what is written, and that is all there is.
    assert not run.outbox_ready and len(rows) < n and sorted(rows) == list(range(1, run.outbox_after + 1))
    second = FakeTelegram()
    stats = await DeliveryEngine(sessions, second, SMALL, clock=clock).deliver_run(run_id)
    rows = await outbox(sessions, run_id)
    uncertain = {u for u, r in rows.items() if r.status == "uncertain"}
    assert len(second.chats) == len(set(second.chats))
    assert not set(first.chats) & set(second.chats)  # nobody sent again after the restart
    assert set(first.chats) | set(second.chats) | uncertain == set(range(1, n + 1))  # nobody lost
    assert {u for u, r in rows.items() if r.status == "sent"} == (set(first.delivered) - uncertain) | set(second.chats)
    assert stats.status is RunStatus.DONE and stats.targeted == n and stats.sent + stats.uncertain == n
    assert 0 < stats.uncertain <= window


async def test_two_writers_of_one_chunk_neither_double_nor_move_the_cursor_back(sessions, clock):
    n = 30
    await add_users(sessions, range(1, n + 1))
    run_id = await make_run(sessions, clock, range(1, n + 1))
    await DeliveryEngine(sessions, FakeTelegram(), SMALL, clock=clock).prepare_outbox(run_id)
    audience = Audience(everyone=True)

    async def extend() -> bool:
        async with sessions() as session:
            return await chunks.extend_outbox(session, run_id, audience, has_en=True, size=7)

    await asyncio.gather(extend(), extend())  # a leader and the instance taking over, at once
    after = (await run_row(sessions, run_id)).outbox_after
    assert after in (12, 19) and sorted(await outbox(sessions, run_id)) == list(range(1, after + 1))
    async with sessions() as session:  # a late writer still at the first cursor
        recipients = await subscriptions.recipients_select(session, audience)
        boundary, written = await chunks.write_chunk(session, run_id, recipients, has_en=True, after=None, size=5)
        assert (boundary, written) == (5, 0)  # that chunk is written already: nothing new
        await chunks.advance(session, run_id, boundary)
        await session.commit()
    assert (await run_row(sessions, run_id)).outbox_after == after
    while not await extend():
        pass
    assert sorted(await outbox(sessions, run_id)) == list(range(1, n + 1))
    assert (await run_row(sessions, run_id)).outbox_ready


async def test_cancelling_with_chunks_left_fails_the_rest(sqlite_sessions, clock):
    sessions = sqlite_sessions
    n = 60
    await add_users(sessions, range(1, n + 1))
    run_id = await make_run(sessions, clock, range(1, n + 1))
    fake = FakeTelegram()
    config = DeliveryConfig(rate=100, window=2, per_chat_interval=0, first_chunk=5, insert_batch=7, page_size=4)
    task = asyncio.create_task(DeliveryEngine(sessions, fake, config, clock=clock).deliver_run(run_id))
    while len(fake.calls) < 8:
        await asyncio.sleep(0.01)
    async with sessions() as session:
        await service.cancel_campaign(session, (await session.get_one(CampaignRun, run_id)).campaign_id, clock())
    stats = await task
    assert stats.status is RunStatus.DONE and stats.sent == len(fake.calls) < n
    assert (stats.targeted, stats.failed, stats.pending) == (n, n - stats.sent, 0)
    rows = await outbox(sessions, run_id)
    assert len(rows) == n
    assert {r.last_error for r in rows.values() if r.status == "failed"} == {"campaign cancelled"}


async def test_who_unsubscribes_before_their_chunk_gets_nothing_and_the_report_adds_up(sessions, clock):
    n = 30
    await add_users(sessions, range(1, n + 2))
    run_id = await make_run(sessions, clock, range(1, n + 1))
    fake = FakeTelegram()
    engine = DeliveryEngine(sessions, fake, SMALL, clock=clock)
    assert await engine.prepare_outbox(run_id) is True
    assert await engine.count_recipients(run_id) == n
    async with sessions() as session:  # after the first chunk (users 1-5), before theirs
        assert await subscriptions.unsubscribe(session, 20, Target.ALL, "")
        assert await subscriptions.unsubscribe(session, 21, Target.ALL, "")
        assert await subscriptions.subscribe(session, n + 1, Target.ALL, "")  # ahead of the cursor
    assert (await engine.stats(run_id)).targeted == n  # as counted at the start, until all is written
    stats = await engine.deliver_run(run_id)
    reached = set(range(1, n + 2)) - {20, 21}
    assert Counter(fake.chats) == {i: 1 for i in reached}
    # The finished run's figures count the people addressed: sent 29 of 29.
    assert (stats.status, stats.targeted, stats.sent, stats.pending) == (RunStatus.DONE, len(reached), len(reached), 0)
    run = await run_row(sessions, run_id)
    assert (run.targeted, run.sent) == (len(reached), len(reached))
    async with sessions() as session:
        info = await service.get_run(session, run_id)  # what the staff's campaign card shows
    assert (info.targeted, info.sent) == (29, 29)
