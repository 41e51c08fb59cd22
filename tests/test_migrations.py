"""The one migration drift test: on SQLite and PostgreSQL, ``upgrade heads`` builds exactly the
schema the models describe, for every package's tables.

A models module may name indexes that only its migrations create (``MIGRATION_ONLY_INDEXES``, e.g.
expression indexes that differ by database); the comparison leaves those out. Each domain's round
trip (downgrade its branch, upgrade again) stays with that domain's tests.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from core import db

ROOT = Path(__file__).resolve().parents[1]


def import_every_models_module() -> dict[str, frozenset[str]]:
    """Every ``<package>/models.py`` with the indexes only its migrations create, so a table whose
    migration is missing shows as a difference (even when ``migrations/env.py`` forgot its module)."""
    names = sorted(f"{path.parent.name}.models" for path in ROOT.glob("*/models.py"))
    modules = {name: importlib.import_module(name) for name in names}
    return {name: frozenset(getattr(m, "MIGRATION_ONLY_INDEXES", ())) for name, m in modules.items()}


def _index_name(entry) -> str | None:
    return getattr(entry[1], "name", None) if isinstance(entry, tuple) and entry[0].endswith("_index") else None


# SQLite cannot reflect the expression indexes; they are the migration-only ones left out below.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_migrations_build_exactly_the_models_schema(db_url):
    engine = db.make_engine(db_url)
    try:
        await db.upgrade(engine)
        packages = import_every_models_module()
        migration_only = frozenset().union(*packages.values())
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
            )
        assert {"core.models", "reports.models", "campaigns.models", "knowledge.models"} <= set(packages)
        assert {"users", "role_grants", "audit_log", "reports", "campaigns", "alembic_version"} <= tables
        diff = [d for d in diff if _index_name(d) not in migration_only]
        assert diff == [], f"models and migrations differ: {diff}"
        assert await db.current_revision(engine) is not None
    finally:
        await engine.dispose()
