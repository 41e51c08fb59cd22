"""reports: staff group chat of each unit

Revision ID: 0005_report_unit_chats
Revises: 0002_reports
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_report_unit_chats"
down_revision: str | Sequence[str] | None = "0002_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_unit_chats",
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("bound_by", sa.BigInteger(), nullable=True),
        sa.Column("bound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code"),
    )
    with op.batch_alter_table("report_unit_chats") as batch:
        batch.create_index("ix_report_unit_chats_chat_id", ["chat_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_unit_chats") as batch:
        batch.drop_index("ix_report_unit_chats_chat_id")
    op.drop_table("report_unit_chats")
