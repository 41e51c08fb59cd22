from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from campaigns.models import Subscription
from core import db
from core.models import User
from tests.support.clock import FakeClock

# Only core's, the outbox's and the campaigns branch: other domains' work does not affect these tests.
CAMPAIGNS_HEAD = "campaigns@head"
OUTBOX_HEAD = "outbox@head"


@pytest.fixture
def clock() -> FakeClock:
    # 2026-12-01 10:00 in Shanghai.
    return FakeClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))


async def _engine(url: str):
    engine = db.make_engine(url)
    await db.upgrade(engine, CAMPAIGNS_HEAD)
    await db.upgrade(engine, OUTBOX_HEAD)
    return engine


@pytest.fixture
async def engine(db_url):
    engine = await _engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return db.make_session_factory(engine)


@pytest.fixture
async def sqlite_engine(sqlite_url):
    engine = await _engine(sqlite_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_engine):
    return db.make_session_factory(sqlite_engine)


async def subscribe_all(sessions, ids, target: str = "all", value: str = "") -> None:
    """Many subscriptions at once (``subscriptions.subscribe`` commits one by one)."""
    ids = list(ids)
    async with sessions() as session:
        for start in range(0, len(ids), 2000):
            await session.exec(
                insert(Subscription).values(
                    [
                        dict(user_id=i, target=target, value=value, created_at=datetime.now(UTC))
                        for i in ids[start : start + 2000]
                    ]
                )
            )
        await session.commit()


async def add_users(sessions, ids, *, language: str = "zh", blocked: bool = False) -> None:
    ids = list(ids)
    now = datetime.now(UTC)
    async with sessions() as session:
        for start in range(0, len(ids), 2000):
            await session.exec(
                insert(User).values(
                    [
                        dict(
                            id=i,
                            username=None,
                            display_name=f"u{i}",
                            language=language,
                            language_chosen=True,
                            home_unit=None,
                            created_at=now,
                            last_seen_at=now,
                            blocked_bot=blocked,
                        )
                        for i in ids[start : start + 2000]
                    ]
                )
            )
        await session.commit()
