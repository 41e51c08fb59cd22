"""reports: the indexes of the dashboard's weekly bulletin (issue 15)

``ix_reports_bulletin``: the bulletin's counts and percentiles over a range of weeks read from the
index alone (``created_at`` first, then what is counted); ``ix_reports_open_age``: each unit's
open reports older than the escalation delay ("overdue now"), also from the index alone;
``ix_report_events_kind_at``: the
follow-up answers (``kind = 'follow'``) that reopened reports, found without reading every event.

Revision ID: 0010_report_bulletin_indexes
Revises: 0009_report_stats_covering (branch ``reports``)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_report_bulletin_indexes"
down_revision: str | Sequence[str] | None = "0009_report_stats_covering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_reports_bulletin",
        "reports",
        ["created_at", "unit_code", "status", "accepted_at", "resolved_at"],
        unique=False,
    )
    op.create_index("ix_reports_open_age", "reports", ["status", "created_at", "unit_code"], unique=False)
    op.create_index("ix_report_events_kind_at", "report_events", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_report_events_kind_at", table_name="report_events")
    op.drop_index("ix_reports_open_age", table_name="reports")
    op.drop_index("ix_reports_bulletin", table_name="reports")
