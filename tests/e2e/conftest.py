"""End-to-end fixture: the sandbox Bot API server + the real Wufei app polling it over HTTP.

    async def test_menu(sandbox):
        alice = sandbox.user("Alice", lang="zh")
        await alice.send("/start")
        msg = await alice.expect_message()

The app factory is a fixture (``sandbox_app_factory``) so a test module can swap in another app;
limits default to ``Limits.relaxed()`` and the bot's pacing to ``PaceLimits.relaxed()``: override
``sandbox_limits`` and ``app_pace`` (``None``: Telegram's) to test flood behaviour.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import Faults, Limits
from sandbox.testing import running_sandbox
from tests.conftest import ADMIN_ID, make_settings


@pytest.fixture
def sandbox_settings(tmp_path: Path):
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db")


@pytest.fixture
def app_pace():
    """The bot's pacing: relaxed like the sandbox's limits; ``None`` for Telegram's (override it with
    ``sandbox_limits`` to test flood behaviour)."""
    from bot.outgoing.pacing import PaceLimits

    return PaceLimits.relaxed()


@pytest.fixture
def sandbox_app_factory(sandbox_settings, kb, app_pace):
    from bot.app import create_app

    def factory(api_base: str, token: str):
        return create_app(sandbox_settings, api_base=api_base, token=token, kb=kb, pace=app_pace)

    return factory


@pytest.fixture
def sandbox_limits() -> Limits:
    return Limits.relaxed()


@pytest.fixture
def sandbox_faults() -> Faults:
    return Faults()


@pytest.fixture
async def sandbox(sandbox_app_factory, sandbox_limits, sandbox_faults):
    async with running_sandbox(sandbox_app_factory, limits=sandbox_limits, faults=sandbox_faults) as sb:
        yield sb


@pytest.fixture
def admin_id() -> int:
    return ADMIN_ID
