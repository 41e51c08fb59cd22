"""Storage on SQLite and PostgreSQL: migrations down and up again, users, roles (drift: test_migrations.py)."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from core import accounts, db
from core.models import Role


async def test_downgrade_to_base_and_upgrade_again_keeps_working(db_url):
    engine = db.make_engine(db_url)
    try:
        await db.upgrade(engine)
        await db.downgrade(engine, "base")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "users" not in tables
        await db.upgrade(engine)
        await db.upgrade(engine)  # idempotent
        sessions = db.make_session_factory(engine)
        async with sessions() as session:
            user = await accounts.touch_user(
                session, 42, display_name="Zhang", username="zh", language_code="zh-hans", default_locale="zh"
            )
        assert user.language == "zh"
    finally:
        await engine.dispose()


async def test_users_upsert_and_roles_on_both_backends(sessions):
    async with sessions() as session:
        first = await accounts.touch_user(
            session, 7, display_name="A", username=None, language_code="en", default_locale="zh"
        )
    async with sessions() as session:
        again = await accounts.touch_user(
            session, 7, display_name="A B", username="ab", language_code="zh", default_locale="zh"
        )
    # The language chosen at first contact stays; names follow Telegram.
    assert first.language == again.language == "en"
    assert again.display_name == "A B"
    async with sessions() as session:
        assert (await accounts.find_user(session, "@AB")).id == 7
        assert await accounts.grant(session, 1, 7, Role.UNIT_HANDLER, "320281104")
        assert not await accounts.grant(session, 1, 7, Role.UNIT_HANDLER, "320281104")
        assert (await accounts.roles_of(session, 7)).units() == {"320281104"}
        assert await accounts.revoke(session, 1, 7, Role.UNIT_HANDLER) == 1
        assert not await accounts.roles_of(session, 7)


async def test_concurrent_first_contact_creates_one_user(sessions):
    async def touch(name: str):
        async with sessions() as session:
            return await accounts.touch_user(
                session, 99, display_name=name, username=None, language_code="zh", default_locale="zh"
            )

    results = await asyncio.gather(*(touch(f"n{i}") for i in range(5)))
    assert {r.id for r in results} == {99}


async def test_config_admins_follow_the_configuration(sessions):
    async with sessions() as session:
        await accounts.sync_config_admins(session, [1, 2])
        await accounts.grant(session, 1, 3, Role.ADMIN)  # granted by an admin, not by config
        await accounts.sync_config_admins(session, [2])
        assert not (await accounts.roles_of(session, 1)).has(Role.ADMIN)
        assert (await accounts.roles_of(session, 2)).has(Role.ADMIN)
        assert (await accounts.roles_of(session, 3)).has(Role.ADMIN)


def test_db_upgrade_command(tmp_path):
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_")}
    env["WUFEI_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    result = subprocess.run(
        [sys.executable, str(root / "main.py"), "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database at revision ")
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        tables = {r[0] for r in connection.execute("select name from sqlite_master where type='table'")}
    assert {"users", "role_grants", "audit_log"} <= tables
