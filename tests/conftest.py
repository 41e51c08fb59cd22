from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from bot.app import create_app
from bot.config import Settings
from bot.outgoing.pacing import PaceLimits
from tests.support.fakebot import Client, FakeSession

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_DSN = os.environ.get("WUFEI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("WUFEI_TEST_REDIS", "redis://127.0.0.1:6379/0")
ADMIN_ID = 900_001


def service_missing(what: str, error: Exception) -> None:
    """Skip with the reason locally; under CI a missing service is a failure."""
    message = f"{what} is not reachable ({error.__class__.__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI must have it")
    pytest.skip(message)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
async def redis_client():
    """A client of the test Redis (skipped locally, failed under CI, when it is not running)."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as error:  # noqa: BLE001 - any failure to reach Redis
        await client.aclose()
        service_missing("Redis on 127.0.0.1:6379", error)
    yield client
    await client.aclose()


@pytest.fixture
async def postgres_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"wufei_test_{uuid.uuid4().hex[:12]}"
    try:
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except (TimeoutError, OSError, ImportError) as error:
        service_missing("PostgreSQL on 127.0.0.1:5432", error)
    except Exception as error:  # noqa: BLE001 - asyncpg's own errors (auth, ...)
        service_missing("PostgreSQL on 127.0.0.1:5432", error)
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/wufei.db"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path):
    """Storage tests run on SQLite always and on PostgreSQL too."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/wufei.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def engine(db_url):
    """A database migrated to every head, on SQLite and on PostgreSQL."""
    from core import db

    engine = db.make_engine(db_url)
    await db.upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine):
    from core import db

    return db.make_session_factory(engine)


def make_settings(tmp_path: Path, database_url: str, **overrides) -> Settings:
    values = dict(
        bot_token=None,
        database_url=database_url,
        media_dir=tmp_path / "media",
        kb_cache_dir=None,  # a test that builds the knowledge base builds it (knowledge/kb_cache.py has its tests)
        admin_ids=[ADMIN_ID],
        flood_limit=20,
        flood_window_s=10,
        web_port=0,  # any free port when a test starts the web server
        geocoder_enabled=False,  # tests never reach the internet
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path, sqlite_url)


@pytest.fixture(scope="session")
def shared_kb():
    """The real knowledge base, loaded once (about a second). Tests that change it use ``kb``."""
    from knowledge import load_kb

    return load_kb()


@pytest.fixture
def kb(shared_kb):
    """Read-only by default; a test module that curates overrides this with a fresh ``load_kb()``."""
    return shared_kb


@pytest.fixture
async def app(settings: Settings, kb):
    session = FakeSession()
    application = create_app(settings, bot_session=session, kb=kb, pace=PaceLimits.relaxed())
    await application.prepare()
    session.calls.clear()
    yield application
    await application.stop()
    assert not session.unexpected, f"unexpected Bot API calls: {session.unexpected}"


@pytest.fixture
def client(app) -> Client:
    return Client(app.dp, app.bot, app.bot.session, settle=app.outbox.drained)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Settings come from the test, never from the developer's environment or .env."""
    for key in list(os.environ):
        if key.startswith("WUFEI_") and not key.startswith("WUFEI_TEST_"):
            monkeypatch.delenv(key)
