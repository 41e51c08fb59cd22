"""The campaigns migration on SQLite and PostgreSQL: downgrades and upgrades (drift: tests/test_migrations.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from campaigns import service
from campaigns.models import CampaignRun, OutboxRow
from core import db
from tests.campaigns.conftest import CAMPAIGNS_HEAD, add_users
from tests.campaigns.test_audience import make_campaign

TABLES = {"cells", "subscriptions", "campaigns", "campaign_runs", "outbox"}


async def test_migration_round_trips(db_url):
    engine = db.make_engine(db_url)
    try:
        await db.upgrade(engine, CAMPAIGNS_HEAD)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert TABLES <= tables
        await db.downgrade(engine, "0001")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not TABLES & tables
        assert "users" in tables
        await db.upgrade(engine, CAMPAIGNS_HEAD)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert TABLES <= tables
    finally:
        await engine.dispose()


async def test_unique_keys_make_runs_and_outbox_rows_single(sessions, clock):
    await add_users(sessions, [1])
    campaign = await make_campaign(sessions, clock, everyone=True)
    at = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    async with sessions() as session:
        first = await service.ensure_run(session, campaign.id, at)
        again = await service.ensure_run(session, campaign.id, at)
        await session.commit()
    assert first[1] is True and again == (first[0], False)
    async with sessions() as session:
        session.add(CampaignRun(campaign_id=campaign.id, scheduled_for=at))
        with pytest.raises(IntegrityError):
            await session.commit()
    async with sessions() as session:
        session.add(OutboxRow(run_id=first[0], user_id=1))
        await session.commit()
    async with sessions() as session:
        session.add(OutboxRow(run_id=first[0], user_id=1))
        with pytest.raises(IntegrityError):
            await session.commit()
