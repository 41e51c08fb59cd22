"""The sorting hot path's caches and batches never change what people see: role and language
changes apply at the next update in this process, and no logged question is lost on a clean stop."""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import select

from bot.middlewares import DbSessionMiddleware
from core import accounts, db
from core.models import Role
from knowledge import curation
from knowledge.models import SortQuery
from tests.conftest import ADMIN_ID
from tests.support.fakebot import texts

STAFF_ONLY = "⛔ 该命令仅限工作人员使用。"


async def test_role_and_language_changes_apply_at_the_next_update_despite_the_cache(client, app):
    assert app.settings.user_cache_ttl_s >= 10  # the cache is on: what follows happens within it
    li = client.person("Li", "zh")
    assert texts(await li.send("/unanswered")) == [STAFF_ONLY]
    async with app.sessions() as session:  # a change made outside the bot's handlers, same process
        await accounts.grant(session, ADMIN_ID, li.tg.id, Role.CURATOR)
    curator_reply = texts(await li.send("/unanswered"))
    assert curator_reply and curator_reply != [STAFF_ONLY]
    async with app.sessions() as session:
        await accounts.revoke(session, ADMIN_ID, li.tg.id, Role.CURATOR)
    assert texts(await li.send("/unanswered")) == [STAFF_ONLY]

    assert "电池" in texts(await li.send("电池"))[0] and "Hazardous" not in texts(await li.send("电池"))[0]
    async with app.sessions() as session:
        await accounts.set_language(session, li.tg.id, "en")
    assert "Hazardous" in texts(await li.send("电池"))[0]


async def test_a_clean_stop_writes_every_logged_question(client, app, settings):
    people = [client.person(f"P{n}", "zh") for n in range(4)]  # each under the flood limit
    for i in range(37):
        await people[i % 4].send(["电池", "火星土壤样本", "塑料瓶"][i % 3])
    await app.stop()
    engine = db.make_engine(settings.database_url)
    try:
        async with db.make_session_factory(engine)() as session:
            count = (await session.exec(select(func.count()).select_from(SortQuery))).one()
            ids = (await session.exec(select(SortQuery.id))).all()
    finally:
        await engine.dispose()
    assert count == 37 and len(set(ids)) == 37


async def _logged(sessions) -> int:
    async with sessions() as session:
        return (await session.exec(select(func.count()).select_from(SortQuery))).one()


async def test_a_full_batch_of_questions_is_written_at_once_and_so_are_those_asked_meanwhile(sessions, kb):
    query_log = curation.QueryLog(sessions, delay=3600, batch=3)  # only a full batch can be written soon
    verdict = kb.classify("电池")
    for _ in range(5):  # handled back to back: the writer gets no turn before the last one
        await query_log.add("someone", "电池", verdict)
    writer = query_log._timer
    assert all(task is writer for task in asyncio.all_tasks() if task.get_coro().__qualname__.startswith("QueryLog"))
    await asyncio.wait_for(asyncio.shield(writer), 30)
    assert await _logged(sessions) == 5

    await query_log.add("someone", "电池", verdict)  # one question: it waits for the delay (or a stop)
    assert await _logged(sessions) == 5
    await query_log.close()
    assert await _logged(sessions) == 6


async def test_an_update_that_used_no_database_hands_its_session_to_a_later_one_and_others_get_their_own(sessions):
    middleware = DbSessionMiddleware(sessions)
    seen = []

    async def handler(event, data):
        seen.append(data["session"])

    async def writer(event, data):
        seen.append(data["session"])
        await data["session"].exec(select(func.count()).select_from(SortQuery))  # begins a transaction

    await middleware(handler, None, {})
    await middleware(handler, None, {})
    assert seen[0] is seen[1]  # nothing was done with it: as good as new
    await middleware(writer, None, {})
    await middleware(handler, None, {})
    assert seen[2] is seen[1] and seen[3] is not seen[2]  # a used one is closed, not lent again
    assert not seen[2].in_transaction()
