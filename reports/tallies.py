"""``/stats`` over every report from the running tallies (migration 0011), in the same time at 1k or
100k reports, exact.

``report_tallies`` holds the counts per (unit, waste type, status); ``report_duration_tallies`` how
many durations fall in each bucket. A median is then the middle row (or the two middle rows) of a
kind's durations: the tallies' running sum says which bucket holds it and how many shorter
durations come before that bucket, and a walk of ``ix_reports_<kind>_bucket`` from the bucket's
start, ``OFFSET`` the rest (a bucket's share of the reports, not half the table), reaches it. The
rows' exact times are read back and the duration taken in Python, as ``statistics.median`` of the
durations would. Two statements, whatever the table's size: the counts with the medians'
positions, then both walks (each round trip costs more than the reads themselves).

Triggers on ``reports`` keep the tallies in the writing transaction; the bucket expressions below
must stay identical to migration 0011's (the walk uses its index only then).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, text
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

KINDS = {"accept": "accepted_at", "resolve": "resolved_at"}
_TIME = UTCDateTime()  # the reports' time columns' type: aware UTC datetimes on both databases


def _seconds(dialect: str, end: str) -> str:
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - created_at))"
    return f"((julianday({end}) - julianday(created_at)) * 86400)"


def bucket_sql(dialect: str, kind: str) -> str:
    """A minute under an hour, ten minutes under a day, an hour under 30 days, then a day."""
    s = _seconds(dialect, KINDS[kind])

    def whole(x: str) -> str:
        return f"CAST(floor({x}) AS INTEGER)" if dialect == "postgresql" else f"CAST({x} AS INTEGER)"

    bucket = (
        f"CASE WHEN {s} < 3600 THEN {whole(f'{s} / 60')}"
        f" WHEN {s} < 86400 THEN 60 + {whole(f'({s} - 3600) / 600')}"
        f" WHEN {s} < 2592000 THEN 198 + {whole(f'({s} - 86400) / 3600')}"
        f" ELSE 894 + {whole(f'({s} - 2592000) / 86400')} END"
    )
    if kind == "resolve":
        return f"CASE WHEN status = 'resolved' THEN {bucket} ELSE NULL END"
    return bucket


def duration_sql(dialect: str, kind: str) -> str:
    s = _seconds(dialect, KINDS[kind])
    return f"CASE WHEN status = 'resolved' THEN {s} ELSE NULL END" if kind == "resolve" else s


def _position_sql(kind: str) -> str:
    """A kind's median position: the bucket holding its first middle row (row ``(total - 1) / 2``
    from 0, in duration order), how many rows lie in the buckets before it, and the total."""
    return (
        f"SELECT '{kind}' AS axis, NULL AS value, bucket, running - n, total FROM (SELECT bucket, n,"
        f" SUM(n) OVER (ORDER BY bucket) AS running, SUM(n) OVER () AS total FROM report_duration_tallies"
        f" WHERE kind = '{kind}') AS t WHERE running > (total - 1) / 2 ORDER BY bucket LIMIT 1"
    )


_COUNTS = " UNION ALL ".join(
    f"SELECT * FROM ({part}) AS p{i}"
    for i, part in enumerate(
        [
            f"SELECT '{axis}' AS axis, {column} AS value, SUM(n) AS n, SUM(accepted) AS a, SUM(resolved) AS r"
            f" FROM report_tallies GROUP BY {column} HAVING SUM(n) > 0"
            for axis, column in (("unit", "unit_code"), ("type", "waste_type"), ("status", "status"))
        ]
        + [_position_sql(kind) for kind in KINDS]
    )
)


@dataclass(frozen=True, slots=True)
class Tallies:
    """Per axis (``unit``, ``type``, ``status``) and value, how many reports; per kind of duration
    the median's position (bucket, rows before the bucket, total)."""

    counts: dict[str, dict[str, int]]
    positions: dict[str, tuple[int, int, int]]


async def read(session: AsyncSession) -> Tallies:
    """Every tally /stats needs, about 30 rows, in one statement (one snapshot)."""
    counts: dict[str, dict[str, int]] = {"unit": {}, "type": {}, "status": {}}
    positions: dict[str, tuple[int, int, int]] = {}
    for axis, value, n, a, r in (await (await session.connection()).execute(text(_COUNTS))).all():
        if axis in KINDS:
            positions[axis] = (int(n), int(a), int(r))
        else:
            counts[axis][value] = int(n)
    return Tallies(counts, positions)


def _middle_rows_sql(dialect: str, kind: str, bucket: int, offset: int, limit: int) -> str:
    """The created and end times of a kind's ``limit`` middle rows (1 or 2): a walk of
    ``ix_reports_<kind>_bucket`` from ``bucket``, ``OFFSET offset`` rows; with the total and the rows
    before the bucket as this statement sees them (the check of the position).

    The three numbers are written into the statement, not bound: with parameters, PostgreSQL's
    generic plan for the prepared statement (``plan_cache_mode = force_generic_plan``, or the
    planner's own choice after five runs) cannot know the ``LIMIT`` is 2 and reads every report
    (a hash join, 46 ms at 100k, instead of 0.7 ms along the index)."""
    b = bucket_sql(dialect, kind)
    bucket, offset, limit = int(bucket), int(offset), int(limit)  # integers only, never text
    walk = (
        f"SELECT id FROM reports WHERE ({b}) >= {bucket} ORDER BY ({b}), ({duration_sql(dialect, kind)}), id"
        f" LIMIT {limit} OFFSET {offset}"
    )
    tally = f"SELECT COALESCE(SUM(n), 0) FROM report_duration_tallies WHERE kind = '{kind}'"
    return (
        f"SELECT '{kind}' AS kind, created_at, {KINDS[kind]} AS finish, ({tally} AND bucket < {bucket}) AS before,"
        f" ({tally}) AS total FROM reports WHERE id IN ({walk})"
    )


Medians = tuple[float | None, float | None]


async def medians(session: AsyncSession, tallies: Tallies) -> tuple[Tallies, Medians | None]:
    """The medians, in seconds, of every report's durations (each None: no such duration), and
    the tallies they go with.

    The walk runs in a statement (and snapshot) of its own: it is exact when that statement still
    sees the position's counts; a write committed in between (rare) makes it read the tallies
    again, and after three such misses it gives up (None: the caller takes them from every row)."""
    dialect = session.get_bind().dialect.name
    for _attempt in range(3):
        result = await _walk(session, dialect, tallies.positions)
        if result is not None:
            return tallies, result
        tallies = await read(session)
    return tallies, None


async def _walk(session: AsyncSession, dialect: str, positions: dict[str, tuple[int, int, int]]) -> Medians | None:
    if not positions:
        return None, None
    limits = {kind: 2 - total % 2 for kind, (_, _, total) in positions.items()}
    parts = [
        _middle_rows_sql(dialect, kind, bucket, (total - 1) // 2 - before, limits[kind])
        for kind, (bucket, before, total) in positions.items()
    ]
    statement = " UNION ALL ".join(f"SELECT * FROM ({part}) AS p{i}" for i, part in enumerate(parts))
    typed = text(statement).columns(kind=String(), created_at=_TIME, finish=_TIME)
    found: dict[str, list[float]] = {kind: [] for kind in positions}
    for kind, start, finish, before, total in (await (await session.connection()).execute(typed)).all():
        if (int(before), int(total)) != positions[kind][1:]:
            return None
        found[kind].append((finish - start).total_seconds())
    if any(len(v) != limits[k] for k, v in found.items()):
        return None
    accept, resolve = (found.get(kind) for kind in ("accept", "resolve"))
    return (sum(accept) / len(accept) if accept else None, sum(resolve) / len(resolve) if resolve else None)
