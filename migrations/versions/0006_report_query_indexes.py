"""reports: an index for each access path of the report queries (issue 16)

- ``ix_reports_created``: Open311's list (newest first in a date window) and date-only statistics;
- ``ix_reports_unit_created``: a unit's statistics over a date range (``stats(unit, 30 days)``);
- ``ix_reports_unit_status_created``: a unit's ``/reports`` queue, one index range per status, in
  age order (replaces ``ix_reports_unit_status``, its prefix);
- ``ix_reports_type_status_created``: Open311's list filtered by ``service_code`` (and status).

- ``ix_reports_stats``: ``/stats``'s ``GROUP BY unit, type, status`` read from the index alone;
- ``ix_reports_accept_duration``, ``ix_reports_resolve_duration``: the two medians of ``/stats`` as
  an index walk (expression indexes; SQLite: days as ``julianday`` differences, PostgreSQL:
  intervals; the expressions must stay identical to ``reports/queries.py``'s).

``ix_reports_status_created`` (0002) serves the admins' queue. Each index ends with ``created_at``
and ``id`` so a page is read in its order and never sorted (``reports/queries.py``).

Revision ID: 0006_report_query_indexes
Revises: 0005_report_unit_chats
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_report_query_indexes"
down_revision: str | Sequence[str] | None = "0005_report_unit_chats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_reports_created": ["created_at", "id"],
    "ix_reports_unit_created": ["unit_code", "created_at", "id"],
    "ix_reports_unit_status_created": ["unit_code", "status", "created_at", "id"],
    "ix_reports_type_status_created": ["waste_type", "status", "created_at", "id"],
    "ix_reports_stats": ["unit_code", "waste_type", "status", "accepted_at", "resolved_at"],
}
DURATIONS = {
    "sqlite": {
        "ix_reports_accept_duration": "(julianday(accepted_at) - julianday(created_at))",
        "ix_reports_resolve_duration": (
            "(CASE WHEN (status = 'resolved') THEN julianday(resolved_at) - julianday(created_at) ELSE NULL END)"
        ),
    },
    "postgresql": {
        "ix_reports_accept_duration": "(accepted_at - created_at), id",
        "ix_reports_resolve_duration": (
            "(CASE WHEN (status = 'resolved') THEN resolved_at - created_at ELSE NULL END), id"
        ),
    },
}


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_unit_status")
        for name, columns in INDEXES.items():
            batch.create_index(name, columns, unique=False)
    for name, expression in DURATIONS.get(op.get_bind().dialect.name, {}).items():
        op.execute(sa.text(f"CREATE INDEX {name} ON reports ({expression})"))


def downgrade() -> None:
    for name in DURATIONS.get(op.get_bind().dialect.name, {}):
        op.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    with op.batch_alter_table("reports") as batch:
        for name in INDEXES:
            batch.drop_index(name)
        batch.create_index("ix_reports_unit_status", ["unit_code", "status"], unique=False)
