"""reports: the dashboard's bulletin counts reports reopened after the 3-day check (issue 15)

``ix_report_events_kind_at``: the follow-up answers (``kind = 'follow'``) of a period, found
without reading every event.

Revision ID: 0010_report_event_kind_index
Revises: 0006_report_query_indexes (branch ``reports``)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_report_event_kind_index"
down_revision: str | Sequence[str] | None = "0006_report_query_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_report_events_kind_at", "report_events", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_report_events_kind_at", table_name="report_events")
