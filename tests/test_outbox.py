"""The notifications outbox (core/notifications.py, bot/outgoing/worker.py) at the dispatcher
level: written with the change, sent once, retried until sent, resumed after a crash without
repeating a step, failed only for a reason retrying cannot cure, and in order per person."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramServerError
from aiogram.methods import SendLocation, SendMediaGroup, SendMessage, SendPhoto
from sqlalchemy import update
from sqlmodel import select

from bot.outgoing.worker import Worker
from core import notifications as outbox
from core.models import Notification
from core.notifications import NoteStatus
from reports import service as svc
from tests.test_reports_bot import GROUP, bind, photo, seed, with_media

CHENGJIANG = (31.91102, 120.26302)


@pytest.fixture
def client(client):
    return with_media(client.session) and client


async def rows(app, kind: str | None = None) -> list[Notification]:
    async with app.sessions() as session:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list((await session.exec(query.execution_options(populate_existing=True))).all())


def new_report() -> svc.NewReport:
    return svc.NewReport(
        lat=CHENGJIANG[0], lon=CHENGJIANG[1], location_source="telegram", waste_type="household", amount="car"
    )


async def test_the_post_is_written_with_the_report_and_sent_once(client, app):
    await bind(app)
    report = await seed(app, 4242, photos=3)
    post, received, placed = await rows(app)
    assert (post.kind, received.kind, placed.kind) == (svc.Kind.POST, svc.Kind.RECEIVED, svc.Kind.PLACED)
    assert all(r.status == NoteStatus.SENT for r in (post, received, placed))
    calls = client.session.calls
    albums = [c for c in calls if isinstance(c, SendMediaGroup)]
    assert len(albums) == 1 and len(albums[0].media) == 3
    # In the order the resident sent them (photo(i) has the sha256 of i).
    assert [m.media.filename for m in albums[0].media] == [f"{i:064x}"[:12] + ".jpg" for i in range(3)]
    cards = [c for c in calls if isinstance(c, SendMessage) and int(c.chat_id) == GROUP.id]
    assert len(cards) == 1 and report.ticket in cards[0].text
    # The resident's "the unit has it" comes after the card, never before.
    to_alice = [c for c in calls if isinstance(c, SendMessage) and int(c.chat_id) == 4242]
    assert calls.index(cards[0]) < calls.index(to_alice[-1]) and "已送达" in to_alice[-1].text


async def test_a_crash_after_the_album_resumes_with_the_pin_and_the_card(client, app):
    """The process died after the album was sent: the next start does not send it again."""
    await bind(app)
    await app.outbox.stop()
    async with app.sessions() as session:
        created = await svc.create_report(session, 4343, new_report(), [photo(1), photo(2)])
        await session.exec(
            update(Notification)
            .where(Notification.kind == svc.Kind.POST)
            .values(status=NoteStatus.SENDING.value, progress={"chat": GROUP.id, "album": [901, 902]})
        )
        await session.commit()
    before = len(client.session.calls)
    restarted = Worker(app.sessions, app.clock, senders=app.outbox.senders, context=app.outbox.context)
    await restarted.start()
    try:
        await restarted.drained()
    finally:
        await restarted.stop()
    calls = client.session.calls[before:]
    assert not [c for c in calls if isinstance(c, (SendMediaGroup, SendPhoto))]
    assert [c for c in calls if isinstance(c, SendLocation)]
    [card] = [c for c in calls if isinstance(c, SendMessage) and int(c.chat_id) == GROUP.id]
    assert created.ticket in card.text
    async with app.sessions() as session:
        assert (await svc.get(session, created.report.id)).staff_chat_id == GROUP.id


async def test_a_server_error_is_retried_until_sent(client, app):
    await bind(app)
    with_media(client.session)
    client.session.failures[SendLocation] = TelegramServerError(
        SendLocation(chat_id=1, latitude=0, longitude=0), "Bad Gateway"
    )
    async with app.sessions() as session:
        await svc.create_report(session, 4444, new_report(), [photo(1)])
    await app.outbox.drained()
    [post] = await rows(app, svc.Kind.POST)
    assert post.status == NoteStatus.PENDING and post.attempts == 1 and "Bad Gateway" in post.last_error
    assert post.progress.get("album")  # the photo went; the pin did not
    assert post.next_at > app.clock()
    del client.session.failures[SendLocation]
    async with app.sessions() as session:  # due now (instead of waiting for the backoff)
        await session.exec(update(Notification).where(Notification.id == post.id).values(next_at=app.clock()))
        await session.commit()
    app.outbox.wake()
    await app.outbox.drained()
    [post] = await rows(app, svc.Kind.POST)
    assert post.status == NoteStatus.SENT and post.attempts == 2
    assert len([c for c in client.session.calls if isinstance(c, SendPhoto)]) == 1


async def test_a_person_who_blocked_the_bot_fails_with_the_reason_and_is_not_retried(client, app):
    await bind(app)
    blocked = TelegramForbiddenError(SendMessage(chat_id=1, text=""), "Forbidden: bot was blocked by the user")
    original = client.session.make_request

    async def make_request(bot, method, timeout=None):
        if isinstance(method, SendMessage) and int(method.chat_id) == 4545:
            client.session.calls.append(method)
            raise blocked
        return await original(bot, method, timeout)

    client.session.make_request = make_request
    await seed(app, 4545)
    received = (await rows(app, svc.Kind.RECEIVED))[0]
    assert received.status == NoteStatus.FAILED and "blocked" in received.last_error
    assert received.attempts == 1
    assert (await rows(app, svc.Kind.POST))[0].status == NoteStatus.SENT  # the unit still got it


async def test_messages_to_one_person_keep_their_order(client, app):
    """Accepted, then resolved: the resident never reads "resolved" before "accepted"."""
    await bind(app)
    report = await seed(app, 4646)
    await app.outbox.stop()  # both changes are written before anything is sent
    async with app.sessions() as session:
        await svc.transition(session, report.id, None, "accepted")
        await svc.transition(session, report.id, None, "resolved", comment="swept")
    original = client.session.make_request

    async def make_request(bot, method, timeout=None):  # the first message is slow to go out
        if isinstance(method, SendMessage) and int(method.chat_id) == 4646 and "swept" not in method.text:
            await asyncio.sleep(0.3)
        return await original(bot, method, timeout)

    client.session.make_request = make_request
    before = len(client.session.calls)
    restarted = Worker(app.sessions, app.clock, senders=app.outbox.senders, context=app.outbox.context, batch=8)
    await restarted.start()
    try:
        await restarted.drained()
    finally:
        await restarted.stop()
    told = [c.text for c in client.session.calls[before:] if isinstance(c, SendMessage) and int(c.chat_id) == 4646]
    assert len(told) == 2 and ("Accepted" in told[0] or "受理" in told[0]) and "swept" in told[1]


async def test_ended_rows_are_forgotten_after_thirty_days_unfinished_ones_never(client, app):
    await seed(app, 4747)  # no chat bound: the post waits, the receipt is sent
    async with app.sessions() as session:
        await session.exec(update(Notification).values(created_at=app.clock() - timedelta(days=31)))
        await session.commit()
    await app.outbox.purge()
    left = await rows(app)
    assert [r.kind for r in left] == [svc.Kind.POST] and left[0].status == NoteStatus.WAITING


async def test_a_row_behind_a_waiting_post_waits_without_a_timer_and_goes_after_it(client, app):
    """No staff chat: the post waits, and the card refresh of a change waits behind it. The worker
    must not treat that refresh as due (a zero timer would spin it); binding a chat releases both."""
    report = await seed(app, 4848)
    async with app.sessions() as session:
        await svc.transition(session, report.id, None, "accepted")
    await app.outbox.drained()
    [refresh] = await rows(app, svc.Kind.REFRESH)
    assert refresh.status == NoteStatus.PENDING
    async with app.sessions() as session:
        assert await outbox.next_due(session, app.clock()) is None
    await bind(app)
    await app.outbox.drained()
    assert [r.status for r in await rows(app, svc.Kind.REFRESH)] == [NoteStatus.SENT]
