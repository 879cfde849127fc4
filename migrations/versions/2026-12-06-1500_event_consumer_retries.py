"""event consumers retry: `failures`, `last_error`, `retry_at` on `event_cursors` (issue 12)

Durable consumers of the event log now run through one runner that retries a failed batch
after a back-off and keeps why it failed, for an operator to see.

Revision ID: 5b7e1c2d9a40
Revises: 1d0c4a7e2b61
Create Date: 2026-12-06 15:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "5b7e1c2d9a40"
down_revision: str | None = "1d0c4a7e2b61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event_cursors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_error", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("retry_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("event_cursors", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("failures")
