"""core: the update inbox (issue 11): every update stored before it is acknowledged

One row per update of a bot, keyed by ``(bot_id, update_id)``; see ``core/inbox.py`` for its rules.
``ix_update_inbox_status`` finds the few pending rows among the many finished ones;
``ix_update_inbox_done_at`` serves the purge of old finished rows.

Revision ID: 0008_update_inbox
Revises: 0007_notifications (the branch of the bot's delivery tables, ``outbox``)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_update_inbox"
down_revision: str | Sequence[str] | None = "0007_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name="pk_update_inbox"),
    )
    op.create_index("ix_update_inbox_status", "update_inbox", ["status", "bot_id", "update_id"], unique=False)
    op.create_index("ix_update_inbox_done_at", "update_inbox", ["done_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_update_inbox_done_at", table_name="update_inbox")
    op.drop_index("ix_update_inbox_status", table_name="update_inbox")
    op.drop_table("update_inbox")
