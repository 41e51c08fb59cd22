"""Periods of figures computed in SQL: which day or week (counted from a start) a time falls in,
and percentiles by window functions, the same on SQLite and PostgreSQL.

``bucket(column, start, seconds)`` is ``floor((column - start) / seconds)`` as an integer: weeks
are 7 × 86,400 s from a local Monday midnight the caller computes with its clock (the city's zone
has no daylight saving; in a zone that has, a week boundary is off by the shift's hour).

``durations_s(end, begin)`` is ``end - begin`` in seconds. On PostgreSQL a caller may rather use
``percentile_cont`` in its ``GROUP BY`` (one pass); ``percentile_rows`` picks, per group,
only the rows a linear-interpolated percentile needs (``rank = p·(n-1)``: its floor and the next),
with ``row_number()``/``count()`` windows; ``interpolate`` finishes in Python over those few rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, bindparam, cast, func, or_, select
from sqlalchemy.sql.elements import ColumnElement


def bucket(dialect: str, column: Any, start: datetime, seconds: int) -> ColumnElement:
    start_param = bindparam(None, start, type_=column.type)
    if dialect == "postgresql":
        # double precision (EXTRACT: numeric, slower)
        elapsed: ColumnElement[Any] = func.date_part("epoch", column - start_param)
        return cast(func.floor(elapsed / float(seconds)), Integer)
    elapsed = (func.julianday(column) - func.julianday(start_param)) * 86400.0
    return cast(elapsed / seconds, Integer)  # SQLite truncates toward zero: only used for column >= start


def duration_s(dialect: str, end: Any, begin: Any) -> ColumnElement:
    if dialect == "postgresql":
        return cast(func.date_part("epoch", end - begin), Float)
    return (func.julianday(end) - func.julianday(begin)) * 86400.0


# Percentiles as (numerator, denominator): the rank p·(n-1) in integer arithmetic, both databases.
P50 = (1, 2)
P90 = (9, 10)


def percentile_rows(
    groups: Sequence[Any],
    value: Any,
    where: Iterable[Any],
    percentiles: Sequence[tuple[int, int]] = (P50, P90),
    *,
    materialize: bool = False,
):
    """SELECT group columns…, rn, n, v for the rows the percentiles of ``value`` need.

    The groups and the value are computed once per row in an inner query, the windows run over
    its columns; ``materialize`` (SQLite: ``LIMIT -1``) keeps the planner from flattening it into
    one query that computes each expression three times."""
    inner = select(*groups, value.label("v")).where(*where, value.is_not(None))
    if materialize:
        inner = inner.limit(-1)
    rows = inner.subquery()
    keys = [rows.c[g.name] for g in groups]
    ranked = select(
        *keys,
        rows.c.v,
        (func.row_number().over(partition_by=keys, order_by=rows.c.v) - 1).label("rn"),
        func.count().over(partition_by=keys).label("n"),
    ).subquery()
    keep = []
    for num, den in percentiles:
        low = (num * (ranked.c.n - 1)) // den  # integer division on both databases
        keep.append(or_(ranked.c.rn == low, ranked.c.rn == low + 1))
    group_cols = [ranked.c[g.name] for g in groups]
    return select(*group_cols, ranked.c.rn, ranked.c.n, ranked.c.v).where(or_(*keep))


def interpolate(ranked: dict[int, float], n: int, p: tuple[int, int]) -> float | None:
    """The percentile ``p`` from the rows ``rank -> value`` that ``percentile_rows`` kept."""
    if n <= 0:
        return None
    num, den = p
    low = (num * (n - 1)) // den
    frac = num * (n - 1) / den - low
    if low not in ranked:
        return None
    below = ranked[low]
    above = ranked.get(low + 1, below)
    return below + (above - below) * frac
