"""habit icons: `icon` on `habits` (issue 13)

One optional emoji per habit, shown before its name on the web pages and kept by the
Habitus JSON export and import.

Revision ID: 7c3e9a1f4b20
Revises: 5b7e1c2d9a40
Create Date: 2026-12-06 15:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3e9a1f4b20"
down_revision: str | None = "5b7e1c2d9a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("habits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("icon", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("habits", schema=None) as batch_op:
        batch_op.drop_column("icon")
