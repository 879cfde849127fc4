"""Subscriptions keep the creation time of the last Stripe event applied, so an event
delivered late (Stripe does not promise order) cannot undo a newer one (issue 21)

Revision ID: 3b7e51c0a9d2
Revises: 0df4351f814c
Create Date: 2026-12-07 01:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "3b7e51c0a9d2"
down_revision: str | None = "0df4351f814c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "event_created_at",
                habitus.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("event_created_at")
