"""Alembic environment: runs on a connection handed in by ``core.db`` or on its own engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import campaigns.models  # noqa: F401

# Every module whose tables Alembic manages, so SQLModel.metadata knows them all. Each domain keeps
# its migrations on its own branch (branch label = package name) starting from core's first
# revision; ``heads`` applies them all. The list lives here, above the domains, because core must
# not know the domains (tests/test_migrations.py fails when a models module is missing here).
# Core first, then the domains in the order of their first migrations (0002, 0003, 0004), the
# order core.db imported them in before.
import core.models  # noqa: F401
import knowledge.models  # noqa: F401
import reports.models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    from core.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async(config.get_main_option("sqlalchemy.url")))


if context.is_offline_mode():
    run_offline()
else:
    run_online()
