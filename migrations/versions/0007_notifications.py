"""notifications: the outbox of what the bot owes someone after a handler returned (issue 11)

One row per intent (a staff post, a status message, a reminder ...), written in the transaction of
the change that causes it and sent by the bot's worker (``core/notifications.py``).

Revision ID: 0007_notifications
Revises: 0001 (a branch of its own, ``outbox``: core's table, which every domain writes to)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_notifications"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("outbox",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("next_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "next_at"])
    op.create_index("ix_notifications_lane", "notifications", ["lane", "id"])
    op.create_index("ix_notifications_unit", "notifications", ["unit_code", "status"])


def downgrade() -> None:
    op.drop_index("ix_notifications_unit", table_name="notifications")
    op.drop_index("ix_notifications_lane", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
