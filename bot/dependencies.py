"""The services the bot depends on, the database, Redis and the photos' object store: is one of
them down, and which?

Rules of this module:
- ``down(error)`` says whether an exception means a dependency is unreachable ("database",
  "redis", "media") rather than a bug: connection refused or reset, a timeout, a broken pool
  connection, SQLite unable to open its file, the media storage failing (``MediaUnavailable``).
  An update that met the database or Redis down (``RETRIED``) is retried later by the inbox
  (``bot/inbox.py``), never answered with the apology for bugs (``bot/middlewares/errors.py``).
  One that met the media storage down is not retried: the resident is told at once that the photo
  could not be kept and to send it again later (what they gave before is kept), rather than
  waiting with no answer for a store that may stay down for hours.
- ``probe_*`` answer within ``timeout`` seconds with None (reachable) or a one-line reason: the
  health probe (``GET /healthz``) never hangs on a dead server.
- ``check_at_start`` refuses to start on an unreachable dependency with ``Unreachable``, whose text
  is one line naming the setting (password hidden) and the reason; ``main.py`` exits with code 2.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import exc as sa_exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from reports.media_storage import MediaUnavailable

PROBE_TIMEOUT_S = 2.0
START_TIMEOUT_S = 5.0
DATABASE, REDIS, MEDIA = "database", "redis", "media"
RETRIED = frozenset({DATABASE, REDIS})  # the inbox keeps the update and tries it again
_SEP = os.sep
SETTINGS = {DATABASE: "WUFEI_DATABASE_URL", REDIS: "WUFEI_REDIS_URL"}
PROBE_KEY = "public/healthz-probe.jpg"  # never written: asking for it says whether the store answers
# SQLite's own words for a file it cannot use (anything else, "no such table" say, is a bug).
_SQLITE_DOWN = (
    "unable to open database",
    "disk i/o error",
    "database is locked",
    "readonly database",
    "database disk image is malformed",
)


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (SQLAlchemy's ``orig``) and what caused it, a few levels deep."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo and len(seen) < 8:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis import exceptions
    except ImportError:  # pragma: no cover - redis is a dependency of aiogram's RedisStorage only
        return ()
    return exceptions.ConnectionError, exceptions.TimeoutError


def down(error: BaseException) -> str | None:
    """``"redis"``, ``"database"`` or ``"media"`` when ``error`` means that service is unreachable,
    else None."""
    chain = _chain(error)
    redis_errors = _redis_errors()
    if redis_errors and any(isinstance(e, redis_errors) for e in chain):
        return REDIS
    if any(isinstance(e, MediaUnavailable) for e in chain):
        return MEDIA
    for e in chain:
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return DATABASE
        if isinstance(e, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):
            return DATABASE  # no connection from the pool in time, or it was lost
        if _is_interface_error(e) and "closed" in str(e).lower():
            return DATABASE  # "connection is closed"; not "another operation is in progress" (a bug)
        if isinstance(e, sqlite3.OperationalError) and str(e).lower().startswith(_SQLITE_DOWN):
            return DATABASE
        if _is_asyncpg_connection_error(e):
            return DATABASE
    if any(isinstance(e, OSError) and _raised_in_database_driver(e) for e in chain):
        return DATABASE  # asyncpg lets the socket's own errors (refused, reset, DNS, timeout) through
    return None


def retried(error: BaseException) -> str | None:
    """``down(error)`` when the inbox should keep the update and try again (database, Redis)."""
    which = down(error)
    return which if which in RETRIED else None


def _raised_in_database_driver(error: BaseException) -> bool:
    """Whether ``error`` came out of asyncpg or SQLAlchemy (not out of aiohttp, say: the same
    ``ConnectionRefusedError`` from the geocoder or Telegram is not the database)."""
    tb = error.__traceback__
    while tb is not None:
        path = tb.tb_frame.f_code.co_filename
        if f"{_SEP}asyncpg{_SEP}" in path or f"{_SEP}sqlalchemy{_SEP}" in path:
            return True
        tb = tb.tb_next
    return False


def _asyncpg():
    try:
        from asyncpg import exceptions
    except ImportError:  # pragma: no cover - SQLite only
        return None
    return exceptions


def _is_asyncpg_connection_error(error: BaseException) -> bool:
    exceptions = _asyncpg()
    return exceptions is not None and isinstance(
        error,
        (
            exceptions.PostgresConnectionError,
            exceptions.CannotConnectNowError,
            exceptions.TooManyConnectionsError,
            exceptions.AdminShutdownError,
        ),
    )


def _is_interface_error(error: BaseException) -> bool:
    exceptions = _asyncpg()
    return isinstance(error, sa_exc.InterfaceError) or (
        exceptions is not None and isinstance(error, exceptions.InterfaceError)
    )


def reason(error: BaseException) -> str:
    """One line: the error's class and message, without the SQL and the traceback."""
    root = getattr(error, "orig", None) or error
    message = " ".join(str(root).split()) or "no answer"
    if isinstance(root, (asyncio.TimeoutError, TimeoutError)) and message == "no answer":
        message = "no answer in time"
    return f"{type(root).__name__}: {message}"[:200]


def hide_password(url: str) -> str:
    """The URL as it may be logged: its password replaced by ``***``."""
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            parts = urlsplit(url)
            if parts.password:
                netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
                return urlunsplit(parts._replace(netloc=netloc))
            return url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - never leak a URL we could not parse
        return "(unparsable URL)"


async def probe_database(engine: AsyncEngine, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    async def select_one() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(select_one(), timeout)
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return reason(error)
    return None


async def probe_media(storage: Any, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Whether the photos' storage answers (a folder, or an S3-compatible store): asks whether a key
    that is never written exists."""
    try:
        await asyncio.wait_for(asyncio.to_thread(storage.exists, PROBE_KEY), timeout)
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return reason(error)
    return None


async def probe_redis(redis: Any, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    try:
        await asyncio.wait_for(redis.ping(), timeout)
    except Exception as error:  # noqa: BLE001
        return reason(error)
    return None


class Unreachable(Exception):
    """A dependency could not be reached at start; ``str()`` is the one line to print."""

    def __init__(self, which: str, url: str, why: str) -> None:
        super().__init__(f"{SETTINGS[which]}={hide_password(url)} is unreachable: {why}")
        self.which = which


async def check_at_start(database_url: str, redis_url: str | None, timeout: float = START_TIMEOUT_S) -> None:
    """Raise ``Unreachable`` unless the database (and Redis, when configured) answer in time."""
    from core.db import make_engine

    try:
        engine = make_engine(database_url)
    except OSError as error:  # SQLite: the file's folder cannot be made
        raise Unreachable(DATABASE, database_url, reason(error)) from None
    try:
        problem = await probe_database(engine, timeout)
    finally:
        await engine.dispose()
    if problem:
        raise Unreachable(DATABASE, database_url, problem)
    if redis_url:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        client = Redis.from_url(
            redis_url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        try:
            problem = await probe_redis(client, timeout)
        finally:
            await client.aclose()
        if problem:
            raise Unreachable(REDIS, redis_url, problem)
