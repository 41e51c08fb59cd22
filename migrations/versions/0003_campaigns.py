"""campaigns: cells, subscriptions, campaigns, runs and the delivery outbox

Revision ID: 0003_campaigns
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_campaigns"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("campaigns",)
depends_on: str | Sequence[str] | None = None

_ts = sqlmodel.sql.sqltypes.UTCDateTime
_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _str(length=128), nullable=False),
        sa.Column("kind", _str(length=16), nullable=False),
        sa.Column("unit_code", _str(length=16), nullable=False),
        sa.Column("address", _str(length=256), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.create_index("ix_cells_kind_unit", ["kind", "unit_code"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("target", _str(length=8), nullable=False),
        sa.Column("value", _str(length=32), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "target", "value", name="uq_subscription"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_subscriptions_target_value", ["target", "value"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("photo", _str(length=256), nullable=True),
        sa.Column("schedule_kind", _str(length=8), nullable=False),
        sa.Column("run_at", _ts(), nullable=True),
        sa.Column("time_of_day", _str(length=5), nullable=True),
        sa.Column("weekdays", sa.JSON(), nullable=True),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("timezone", _str(length=64), nullable=False),
        sa.Column("quiet_start", _str(length=5), nullable=True),
        sa.Column("quiet_end", _str(length=5), nullable=True),
        sa.Column("status", _str(length=16), nullable=False),
        sa.Column("next_run_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_campaigns_status_next_run", ["status", "next_run_at"], unique=False)

    op.create_table(
        "campaign_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", _ts(), nullable=False),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("status", _str(length=16), nullable=False),
        sa.Column("outbox_ready", sa.Boolean(), nullable=False),
        sa.Column("targeted", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "scheduled_for", name="uq_campaign_run"),
    )
    with op.batch_alter_table("campaign_runs", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_runs_status", ["status"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", _str(length=8), nullable=False),
        sa.Column("status", _str(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", _str(length=256), nullable=True),
        sa.Column("sent_at", _ts(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["campaign_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "user_id", name="uq_outbox_run_user"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_run_status", ["run_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_run_status")
    op.drop_table("outbox")
    with op.batch_alter_table("campaign_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_runs_status")
    op.drop_table("campaign_runs")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_campaigns_status_next_run")
        batch_op.drop_index(batch_op.f("ix_campaigns_author_id"))
    op.drop_table("campaigns")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_target_value")
    op.drop_table("subscriptions")
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.drop_index("ix_cells_kind_unit")
    op.drop_table("cells")
