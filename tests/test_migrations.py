"""The one migration drift test: on SQLite and PostgreSQL, ``upgrade heads`` builds exactly the
schema the models describe, for every package's tables.

Each domain's round trip (downgrade its branch, upgrade again) stays with that domain's tests.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from core import db

ROOT = Path(__file__).resolve().parents[1]


def import_every_models_module() -> list[str]:
    """Every ``<package>/models.py``, so a table whose migration is missing shows as a difference
    (even when ``migrations/env.py`` forgot to import its module)."""
    names = sorted(f"{path.parent.name}.models" for path in ROOT.glob("*/models.py"))
    for name in names:
        importlib.import_module(name)
    return names


async def test_migrations_build_exactly_the_models_schema(db_url):
    engine = db.make_engine(db_url)
    try:
        await db.upgrade(engine)
        packages = import_every_models_module()
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
            )
        assert {"core.models", "reports.models", "campaigns.models", "knowledge.models"} <= set(packages)
        assert {"users", "role_grants", "audit_log", "reports", "campaigns", "alembic_version"} <= tables
        assert diff == [], f"models and migrations differ: {diff}"
        assert await db.current_revision(engine) is not None
    finally:
        await engine.dispose()
