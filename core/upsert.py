"""Insert-on-conflict for SQLite and PostgreSQL: the one place that knows the two dialects.

Both databases spell it ``INSERT ... ON CONFLICT (key) DO NOTHING | DO UPDATE``, but SQLAlchemy
builds it with each dialect's own ``insert``. Rules:

- ``key`` names the columns of a unique constraint or primary key; the conflict is on them only.
- ``insert_or_ignore`` keeps the row that was there; it returns how many rows it inserted, so a
  caller can tell "created" from "already there" without a second query. ``insert_many_or_ignore``
  does the same for a batch as one executemany (compiled once, whatever the batch's size) and
  returns a column of the rows it inserted, so a caller knows which were new.
  ``insert_select_or_ignore`` does the same with the rows of a SELECT, which stay in the database.
- ``upsert`` replaces every column it was given except the key (a column not given keeps its value).
- Neither commits: the caller's transaction decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

Row = Mapping[str, Any]

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(session: AsyncSession, model: Any) -> Any:
    dialect = session.bind.dialect.name
    try:
        return _INSERTS[dialect](model)
    except KeyError:
        raise NotImplementedError(f"insert-on-conflict supports {sorted(_INSERTS)}, not {dialect}") from None


async def insert_or_ignore(session: AsyncSession, model: Any, rows: Row | Sequence[Row], *, key: Sequence[str]) -> int:
    """Insert ``rows`` (one mapping or several) unless a row with the same ``key`` exists.

    Returns the number of rows inserted."""
    if not isinstance(rows, Mapping) and not rows:
        return 0
    stmt = _insert(session, model).values(rows).on_conflict_do_nothing(index_elements=list(key))
    result = await session.exec(stmt)
    return result.rowcount


async def insert_many_or_ignore(
    session: AsyncSession, model: Any, rows: Sequence[Row], *, key: Sequence[str], returning: Any
) -> list[Any]:
    """Insert ``rows`` (mappings with the same keys) skipping those whose ``key`` exists; returns
    the ``returning`` column of the rows inserted."""
    if not rows:
        return []
    stmt = _insert(session, model).on_conflict_do_nothing(index_elements=list(key)).returning(returning)
    result = await (await session.connection()).execute(stmt, list(rows))
    return list(result.scalars().all())


async def insert_select_or_ignore(
    session: AsyncSession, model: Any, columns: Sequence[str], rows: Select, *, key: Sequence[str]
) -> int:
    """``INSERT INTO model (columns) SELECT ...`` skipping rows whose ``key`` exists; returns how many
    rows it inserted. (SQLite needs a WHERE in the SELECT to parse ON CONFLICT after it.)"""
    stmt = _insert(session, model).from_select(list(columns), rows)
    result = await session.exec(stmt.on_conflict_do_nothing(index_elements=list(key)))
    return result.rowcount


async def upsert(session: AsyncSession, model: Any, row: Row, *, key: Sequence[str]) -> None:
    """Insert ``row``, or update the existing row with the same ``key`` to the values given."""
    stmt = _insert(session, model).values(row)
    changed = {column: stmt.excluded[column] for column in row if column not in key}
    if not changed:
        await session.exec(stmt.on_conflict_do_nothing(index_elements=list(key)))
        return
    await session.exec(stmt.on_conflict_do_update(index_elements=list(key), set_=changed))
