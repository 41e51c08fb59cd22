"""dumping reports: reports, photos, events, followers, drafts

Revision ID: 0002_reports
Revises: 0001
Create Date: 2026-11-28

The reports domain's own Alembic branch (label ``reports``), starting from core's 0001.
Generated with autogenerate against a database at 0001 and tidied by hand; batch mode for SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_reports"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("reports",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_drafts",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("location_source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("waste_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("amount", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("witnessed", sa.Boolean(), nullable=False),
        sa.Column("plate", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reject_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("staff_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("staff_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("unit_reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("followup_asked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("followup_answer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index("ix_reports_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_reports_unit_status", ["unit_code", "status"], unique=False)

    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("new_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_events_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "user_id", name="uq_report_follower"),
    )
    with op.batch_alter_table("report_followers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_followers_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_followers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "report_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("original_path", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("public_path", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("file_unique_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_photos_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_photos_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_photos_sha256"))
        batch_op.drop_index(batch_op.f("ix_report_photos_report_id"))

    op.drop_table("report_photos")
    with op.batch_alter_table("report_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_followers_user_id"))
        batch_op.drop_index(batch_op.f("ix_report_followers_report_id"))

    op.drop_table("report_followers")
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_events_report_id"))

    op.drop_table("report_events")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_unit_status")
        batch_op.drop_index("ix_reports_status_created")
        batch_op.drop_index(batch_op.f("ix_reports_reporter_id"))
        batch_op.drop_index("ix_reports_lat_lon")

    op.drop_table("reports")
    op.drop_table("report_drafts")
