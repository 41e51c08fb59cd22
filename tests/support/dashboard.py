"""The app and an HTTP client for the dashboard's tests (``tests/test_dashboard*.py``): the bot
at the dispatcher level on a fake clock, its web server under aiohttp's test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from bot.app import WufeiApp, create_app
from bot.outgoing.pacing import PaceLimits
from core.clock import Clock
from tests.support.clock import FakeClock
from tests.support.fakebot import FakeSession
from tests.test_reports_bot import with_media  # staff posts send photos, albums and pins


@asynccontextmanager
async def dashboard_app(settings, kb) -> AsyncIterator[WufeiApp]:
    clock = FakeClock(Clock()(), settings.timezone)
    application = create_app(
        settings, bot_session=with_media(FakeSession()), kb=kb, pace=PaceLimits.relaxed(), clock=clock
    )
    await application.prepare()
    try:
        yield application
    finally:
        await application.stop()


@asynccontextmanager
async def web_client(application: WufeiApp) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(application.web_app())) as client:
        yield client
