"""Only one of several instances leads the scheduler; another takes over when it goes."""

from __future__ import annotations

import asyncio

from core import db
from core.leader import Leadership


async def test_one_leader_on_postgres_and_takeover(postgres_url):
    first_engine = db.make_engine(postgres_url)
    second_engine = db.make_engine(postgres_url)
    first = Leadership(first_engine, "campaigns", retry_s=0.05)
    second = Leadership(second_engine, "campaigns", retry_s=0.05)
    led = []

    async def lead(name):
        led.append(name)

    try:
        first.run_when_leading(lambda: lead("first"))
        await asyncio.wait_for(first.leading.wait(), 5)
        second.run_when_leading(lambda: lead("second"))
        await asyncio.sleep(0.3)
        assert led == ["first"] and not second.leading.is_set()
        await first.release()
        await asyncio.wait_for(second.leading.wait(), 5)
        await asyncio.sleep(0.05)
        assert led == ["first", "second"]
    finally:
        await first.release()
        await second.release()
        await first_engine.dispose()
        await second_engine.dispose()


async def test_sqlite_single_instance_always_leads(sqlite_url):
    engine = db.make_engine(sqlite_url)
    leadership = Leadership(engine, "campaigns")
    try:
        assert await leadership.try_acquire()
    finally:
        await leadership.release()
        await engine.dispose()
