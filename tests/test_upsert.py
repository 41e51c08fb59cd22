"""core.upsert on SQLite and PostgreSQL: insert-or-ignore counts new rows; upsert replaces what it is given."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from core.models import User
from core.upsert import insert_or_ignore, upsert

AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def user(user_id: int, name: str, **extra) -> dict:
    return {
        "id": user_id,
        "display_name": name,
        "language": "zh",
        "language_chosen": False,
        "created_at": AT,
        "last_seen_at": AT,
        "blocked_bot": False,
        **extra,
    }


async def _users(sessions) -> dict[int, User]:
    async with sessions() as session:
        return {u.id: u for u in (await session.exec(select(User))).all()}


async def test_insert_or_ignore_keeps_existing_rows_and_counts_new_ones(sessions):
    async with sessions() as session:
        assert await insert_or_ignore(session, User, user(1, "Wang"), key=["id"]) == 1
        assert await insert_or_ignore(session, User, user(1, "Li"), key=["id"]) == 0
        several = [user(1, "Zhao"), user(2, "Chen"), user(3, "Sun")]
        assert await insert_or_ignore(session, User, several, key=["id"]) == 2
        assert await insert_or_ignore(session, User, [], key=["id"]) == 0
        await session.commit()
    assert {i: u.display_name for i, u in (await _users(sessions)).items()} == {1: "Wang", 2: "Chen", 3: "Sun"}


async def test_upsert_inserts_then_replaces_given_columns_and_keeps_the_others(sessions):
    async with sessions() as session:
        await upsert(session, User, user(7, "Old", username="old_name", home_unit="chengjiang"), key=["id"])
        await session.commit()
    async with sessions() as session:
        await upsert(session, User, user(7, "New", language="en"), key=["id"])
        await session.commit()
    stored = (await _users(sessions))[7]
    assert (stored.display_name, stored.language) == ("New", "en")
    assert (stored.username, stored.home_unit) == ("old_name", "chengjiang")  # not given: kept


async def test_nothing_is_written_before_the_caller_commits(sessions):
    async with sessions() as session:
        await insert_or_ignore(session, User, user(9, "Draft"), key=["id"])
        await session.rollback()
    assert 9 not in await _users(sessions)
