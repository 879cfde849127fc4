"""channels.achievements: the opt-in to "Achievement unlocked" and streak-freeze notices
(issue 14, D10.3, D11.3)

Existing channels get their type's default: on for web push and Apprise (a person's own
device or chat), off for email and webhooks (a mailbox, a machine).

Revision ID: 3e8b5d1a7c42
Revises: 9a4d2f6c8e13
Create Date: 2026-12-06 16:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8b5d1a7c42"
down_revision: str | None = "9a4d2f6c8e13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here, not imported: a migration says what was true when it was written.
ON_BY_DEFAULT = ("webpush", "apprise")


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(
            sa.Column("achievements", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    channels = sa.table("channels", sa.column("type", sa.String), sa.column("achievements"))
    op.execute(
        channels.update().where(channels.c.type.in_(ON_BY_DEFAULT)).values(achievements=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("achievements")
