"""campaigns: a run's outbox is written chunk by chunk as it is sent (issue 16)

``campaign_runs.outbox_after``: the keyset cursor of the run's outbox, the last user id whose row is
written (NULL before the first chunk). ``outbox_ready`` keeps its meaning, "every row is written":
runs written whole before this revision are ready with a NULL cursor, which reads as complete, so
nothing is back-filled.

Revision ID: 0012_outbox_cursor
Revises: 0003_campaigns (branch ``campaigns``)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_outbox_cursor"
down_revision: str | Sequence[str] | None = "0003_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_after", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_runs", schema=None) as batch_op:
        batch_op.drop_column("outbox_after")
