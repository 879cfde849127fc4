"""import records become claims: `finished_at` (issue 11, item 2)

An import now writes in short transactions of its own: its record is claimed first
(`finished_at` null) and completed by the last step, so a claim a crashed process left
unfinished can be recognised and taken over. Records written before were whole imports
(one transaction): they are finished, at the time they were made.

Revision ID: 1d0c4a7e2b61
Revises: 8768c37f517f
Create Date: 2026-12-06 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "1d0c4a7e2b61"
down_revision: str | None = "8768c37f517f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("finished_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE import_records SET finished_at = created_at")


def downgrade() -> None:
    # An unfinished claim has no meaning without the column: it goes with it.
    op.execute("DELETE FROM import_records WHERE finished_at IS NULL")
    with op.batch_alter_table("import_records", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
