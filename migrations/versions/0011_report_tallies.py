"""reports: /stats over every report from running tallies, at any size (issue 16)

Unfiltered, ``/stats`` used to read every report (the counts as one pass over ``ix_reports_stats``,
each median as an ``OFFSET n/2`` walk of a duration index): exact, but its time grew with the table
(5x from 10k to 100k reports). Now:

- ``report_tallies``: per (unit, waste type, status), how many reports, how many were accepted once
  (``accepted_at`` set) and how many are resolved with a resolution time;
- ``report_duration_tallies``: per kind (``accept``: created -> first accepted; ``resolve``: created
  -> resolved, resolved reports only) and duration bucket, how many reports. Buckets grow with the
  duration (a minute under an hour, ten minutes under a day, an hour under 30 days, then a day),
  so a bucket holds a small share of the reports whatever the table's size;
- ``ix_reports_accept_bucket`` / ``ix_reports_resolve_bucket``: the reports in (bucket, duration)
  order, so the median is found exactly: the bucket holding the middle row from the tallies'
  running sum, then a short walk inside that bucket (replace ``ix_reports_accept_duration`` and
  ``ix_reports_resolve_duration``, which only that walk used).

``ix_reports_unit_stats`` (unit, created_at, then what is counted) replaces ``ix_reports_stats``
(unit, type, status, ...), which only the unfiltered count used: a unit's statistics over a date
range (``stats(unit, 30 days)``) read the range of this index alone; with the former SQLite walked
every report of the unit to avoid sorting the groups.

Triggers on ``reports`` keep both tallies in the transaction that inserts, updates or deletes a
report, whichever code wrote it (the services, Open311, the sandbox, a bulk load), so they are
exact at every commit; the upgrade back-fills them from the reports. The bucket expressions must
stay identical to ``reports/tallies.py``'s (the median's walk is an index range only then).

Revision ID: 0011_report_tallies
Revises: 0010_report_bulletin_indexes (branch ``reports``)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_report_tallies"
down_revision: str | Sequence[str] | None = "0010_report_bulletin_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = {"accept": "accepted_at", "resolve": "resolved_at"}


def _seconds(dialect: str, end: str, prefix: str = "") -> str:
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM ({prefix}{end} - {prefix}created_at))"
    return f"((julianday({prefix}{end}) - julianday({prefix}created_at)) * 86400)"


def bucket_sql(dialect: str, kind: str, prefix: str = "") -> str:
    """The duration bucket of a report (NULL when it has no such duration); ``prefix``: ``NEW.``."""
    s = _seconds(dialect, KINDS[kind], prefix)
    whole = (
        (lambda x: f"CAST(floor({x}) AS INTEGER)") if dialect == "postgresql" else (lambda x: f"CAST({x} AS INTEGER)")
    )
    bucket = (
        f"CASE WHEN {s} < 3600 THEN {whole(f'{s} / 60')}"
        f" WHEN {s} < 86400 THEN 60 + {whole(f'({s} - 3600) / 600')}"
        f" WHEN {s} < 2592000 THEN 198 + {whole(f'({s} - 86400) / 3600')}"
        f" ELSE 894 + {whole(f'({s} - 2592000) / 86400')} END"
    )
    if kind == "resolve":
        return f"CASE WHEN {prefix}status = 'resolved' THEN {bucket} ELSE NULL END"
    return bucket


def duration_sql(dialect: str, kind: str) -> str:
    s = _seconds(dialect, KINDS[kind])
    return f"CASE WHEN status = 'resolved' THEN {s} ELSE NULL END" if kind == "resolve" else s


def _bucket_indexes(dialect: str) -> dict[str, str]:
    include = {"accept": "accepted_at, created_at", "resolve": "status, resolved_at, created_at"}
    indexes = {}
    for kind in KINDS:
        columns = f"({bucket_sql(dialect, kind)}), ({duration_sql(dialect, kind)}), id"
        if dialect == "postgresql":  # the walk reads index pages only
            columns += f") INCLUDE ({include[kind]}"
        indexes[f"ix_reports_{kind}_bucket"] = columns
    return indexes


def _tally_statements(dialect: str, row: str, sign: str) -> list[str]:
    """What a report's ``row`` (``NEW``/``OLD``) adds (``sign`` 1) to or takes (-1) from the tallies."""
    p = f"{row}."
    resolved = f"{p}status = 'resolved' AND {p}resolved_at IS NOT NULL"
    statements = [
        "INSERT INTO report_tallies (unit_code, waste_type, status, n, accepted, resolved)"
        f" VALUES ({p}unit_code, {p}waste_type, {p}status, {sign},"
        f" CASE WHEN {p}accepted_at IS NOT NULL THEN {sign} ELSE 0 END,"
        f" CASE WHEN {resolved} THEN {sign} ELSE 0 END)"
        " ON CONFLICT (unit_code, waste_type, status) DO UPDATE SET n = report_tallies.n + excluded.n,"
        " accepted = report_tallies.accepted + excluded.accepted,"
        " resolved = report_tallies.resolved + excluded.resolved"
    ]
    for kind, column in KINDS.items():
        present = f"{p}{column} IS NOT NULL" + (f" AND {p}status = 'resolved'" if kind == "resolve" else "")
        statements.append(
            "INSERT INTO report_duration_tallies (kind, bucket, n)"
            f" SELECT '{kind}', {bucket_sql(dialect, kind, p)}, {sign} WHERE {present}"
            " ON CONFLICT (kind, bucket) DO UPDATE SET n = report_duration_tallies.n + excluded.n"
        )
    return statements


WATCHED = "unit_code, waste_type, status, created_at, accepted_at, resolved_at"
CHANGED = " OR ".join(f"{{a}}.{c} IS DISTINCT FROM {{b}}.{c}" for c in WATCHED.split(", "))


def _create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        old = ";\n    ".join(_tally_statements(dialect, "OLD", "-1"))
        new = ";\n    ".join(_tally_statements(dialect, "NEW", "1"))
        op.execute(
            sa.text(
                "CREATE FUNCTION reports_tally() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                f"  IF TG_OP = 'UPDATE' AND ({CHANGED.format(a='OLD', b='NEW')}) IS NOT TRUE THEN\n"
                "    RETURN NULL;\n  END IF;\n"
                f"  IF TG_OP <> 'INSERT' THEN\n    {old};\n  END IF;\n"
                f"  IF TG_OP <> 'DELETE' THEN\n    {new};\n  END IF;\n  RETURN NULL;\nEND\n$$"
            )
        )
        op.execute(
            sa.text(
                f"CREATE TRIGGER reports_tally AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON reports"
                " FOR EACH ROW EXECUTE FUNCTION reports_tally()"
            )
        )
        return
    changed = CHANGED.replace("IS DISTINCT FROM", "IS NOT").format(a="OLD", b="NEW")
    events = {
        "insert": ("INSERT", ["NEW"]),
        "delete": ("DELETE", ["OLD"]),
        "update": (f"UPDATE OF {WATCHED} ON reports WHEN {changed}", ["OLD", "NEW"]),
    }
    for name, (event, rows) in events.items():
        body = "".join(
            f"  {s};\n" for row in rows for s in _tally_statements(dialect, row, "-1" if row == "OLD" else "1")
        )
        on = "" if " ON reports" in event else " ON reports"
        op.execute(sa.text(f"CREATE TRIGGER reports_tally_{name} AFTER {event}{on} BEGIN\n{body}END"))


def _backfill(dialect: str) -> None:
    op.execute(
        sa.text(
            "INSERT INTO report_tallies (unit_code, waste_type, status, n, accepted, resolved)"
            " SELECT unit_code, waste_type, status, COUNT(*), COUNT(accepted_at),"
            " SUM(CASE WHEN status = 'resolved' AND resolved_at IS NOT NULL THEN 1 ELSE 0 END)"
            " FROM reports GROUP BY unit_code, waste_type, status"
        )
    )
    for kind in KINDS:
        bucket = bucket_sql(dialect, kind)
        op.execute(
            sa.text(
                "INSERT INTO report_duration_tallies (kind, bucket, n)"
                f" SELECT '{kind}', b, COUNT(*) FROM (SELECT {bucket} AS b FROM reports) AS d"
                " WHERE b IS NOT NULL GROUP BY b"
            )
        )


OLD_DURATIONS = {  # 0006 (SQLite) and 0009 (PostgreSQL)
    "sqlite": {
        "ix_reports_accept_duration": "(julianday(accepted_at) - julianday(created_at))",
        "ix_reports_resolve_duration": (
            "(CASE WHEN (status = 'resolved') THEN julianday(resolved_at) - julianday(created_at) ELSE NULL END)"
        ),
    },
    "postgresql": {
        "ix_reports_accept_duration": "(accepted_at - created_at), id) INCLUDE (accepted_at, created_at",
        "ix_reports_resolve_duration": (
            "(CASE WHEN (status = 'resolved') THEN resolved_at - created_at ELSE NULL END), id)"
            " INCLUDE (status, resolved_at, created_at"
        ),
    },
}


STATS_BEFORE = ["unit_code", "waste_type", "status", "accepted_at", "resolved_at"]
STATS_AFTER = ["unit_code", "created_at", "waste_type", "status", "accepted_at", "resolved_at"]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_reports_stats", table_name="reports")
    op.create_index("ix_reports_unit_stats", "reports", STATS_AFTER, unique=False)
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "report_tallies",
        sa.Column("unit_code", text(length=16), nullable=False),
        sa.Column("waste_type", text(length=16), nullable=False),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "waste_type", "status"),
    )
    op.create_table(
        "report_duration_tallies",
        sa.Column("kind", text(length=8), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "bucket"),
    )
    _backfill(dialect)
    _create_triggers(dialect)
    for name in OLD_DURATIONS.get(dialect, {}):
        op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    for name, columns in _bucket_indexes(dialect).items():
        op.execute(sa.text(f"CREATE INDEX {name} ON reports ({columns})"))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in _bucket_indexes(dialect):
        op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    for name, columns in OLD_DURATIONS.get(dialect, {}).items():
        op.execute(sa.text(f"CREATE INDEX {name} ON reports ({columns})"))
    if dialect == "postgresql":
        op.execute(sa.text("DROP TRIGGER IF EXISTS reports_tally ON reports"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS reports_tally()"))
    else:
        for name in ("insert", "delete", "update"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS reports_tally_{name}"))
    op.drop_table("report_duration_tallies")
    op.drop_table("report_tallies")
    op.drop_index("ix_reports_unit_stats", table_name="reports")
    op.create_index("ix_reports_stats", "reports", STATS_BEFORE, unique=False)
