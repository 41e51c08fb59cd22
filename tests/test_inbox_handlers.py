"""What handlers see of the inbox (issue 11): an unreachable database or Redis is not answered with
the apology for bugs but handed on (the inbox keeps the update and runs it again), and the one
press that matters, "Send the report", run again after a crash, makes no second report and says
nothing new."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import exc as sa_exc, text

from bot import dependencies
from bot.i18n import make_i18n
from bot.keyboards.reports import FlowCb
from bot.middlewares import ErrorMiddleware
from core import db
from reports import service as svc
from reports.media_storage import MediaUnavailable
from tests.support.fakebot import FakeSession, texts
from tests.test_reports_bot import confirm_step_draft, with_media

CHAT = Chat(id=4242, type="private")


def _update() -> Update:
    user = User(id=CHAT.id, is_bot=False, first_name="Ann", language_code="en")
    return Update(
        update_id=1, message=Message(message_id=1, date=datetime.now(UTC), chat=CHAT, from_user=user, text="battery")
    )


async def _unreachable_postgres() -> None:
    engine = db.make_engine("postgresql+asyncpg://wufei@127.0.0.1:1/wufei")  # nothing listens on port 1
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def _missing_table(tmp_path) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path}/bug.db")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()


async def _redis_down() -> None:
    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


async def _bug() -> None:
    raise KeyError("draft")


@pytest.mark.parametrize(
    "failure, apologises",
    [
        (_redis_down, False),
        (_unreachable_postgres, False),
        (_bug, True),
        (_missing_table, True),
    ],
)
async def test_a_dependency_down_goes_on_to_the_inbox_and_a_bug_gets_the_apology(tmp_path, failure, apologises):
    from aiogram import Bot

    make_i18n("zh")  # the apology is translated
    session = FakeSession()
    bot = Bot("123456789:TEST-errors-token-abcdefghijklmnop", session=session)

    async def handler(_event, _data):
        if failure is _missing_table:
            await failure(tmp_path)
        else:
            await failure()

    data = {"bot": bot, "event_chat": CHAT, "user": None}
    if apologises:
        assert await ErrorMiddleware("en")(handler, _update(), data) is None
        [apology] = [c for c in session.calls if isinstance(c, SendMessage)]
        assert "something went wrong" in apology.text
    else:
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raised, as it raised it
            await ErrorMiddleware("en")(handler, _update(), data)
        assert not session.calls, "apologised for a service that is down"


def _press(person, data: str) -> Update:
    query = CallbackQuery(
        id="press-1",
        from_user=person.tg,
        chat_instance="ci",
        data=data,
        message=Message(message_id=77, date=datetime.now(UTC), chat=person.chat, from_user=person.tg, text="(summary)"),
    )
    return Update(update_id=9001, callback_query=query)


@pytest.fixture
def client(client):
    with_media(client.session)  # the unit's post has photos
    return client


async def test_send_the_report_run_again_after_a_crash_says_nothing_new(client, app):
    alice = client.person("Alice", "en")
    await alice.send("/start")
    await confirm_step_draft(app, alice.tg.id)
    press = _press(alice, FlowCb(a="ok").pack())
    first = await client.feed(press)
    assert sum("Thank you" in t for t in texts(first)) == 1
    # The process died after the receipt, before the update was marked done: the inbox runs it again.
    before = len(client.session.calls)
    await client.dp.feed_update(client.bot, press, redelivered=True)
    await app.outbox.drained()
    again = client.session.calls[before:]
    said = [c for c in again if isinstance(c, SendMessage) or (isinstance(c, AnswerCallbackQuery) and c.text)]
    assert not said, again  # at most the spinner stopped
    async with app.sessions() as session:
        assert len(await svc.my_reports(session, alice.tg.id)) == 1


async def test_send_the_report_run_again_before_it_was_stored_stores_it_once(client, app):
    alice = client.person("Alice", "en")
    await alice.send("/start")
    await confirm_step_draft(app, alice.tg.id)
    # The first run answered the button and died: Telegram refuses a second answer to the same press.
    client.session.failures[AnswerCallbackQuery] = TelegramBadRequest(
        method=AnswerCallbackQuery(callback_query_id="press-1"),
        message="Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    before = len(client.session.calls)
    await client.dp.feed_update(client.bot, _press(alice, FlowCb(a="ok").pack()), redelivered=True)
    await app.outbox.drained()  # the receipt goes through the outbox
    assert sum("Thank you" in t for t in texts(client.session.calls[before:])) == 1
    assert not any("went wrong" in t for t in texts(client.session.calls[before:]))
    async with app.sessions() as session:
        assert len(await svc.my_reports(session, alice.tg.id)) == 1


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:  # noqa: BLE001 - with its traceback, as handlers see it
        return caught


@pytest.mark.parametrize(
    "error, which",
    [
        (sa_exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")), "database"),
        (sa_exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: users")), None),
        (sa_exc.InterfaceError("SELECT", {}, Exception("connection is closed")), "database"),
        (sa_exc.InterfaceError("SELECT", {}, Exception("another operation is in progress")), None),
        (RedisConnectionError("Connection reset by peer"), "redis"),
        (ConnectionRefusedError(111, "Connect call failed"), None),  # the geocoder's or Telegram's, not ours
        (MediaUnavailable("object store http://127.0.0.1:9 bucket 'b', public/x.jpg: refused"), "media"),
    ],
)
def test_what_counts_as_a_service_down(error, which):
    assert dependencies.down(_raised(error)) == which
