"""A PostgreSQL database that a benchmark creates for itself and drops when it is done.

``WUFEI_BENCH_PG`` names the server's admin database (default: the local server, user postgres)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

PG_ADMIN = os.environ.get("WUFEI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def scratch_postgres(prefix: str) -> AsyncIterator[str]:
    """Yields the SQLAlchemy URL (asyncpg) of a new, empty database; drops it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
