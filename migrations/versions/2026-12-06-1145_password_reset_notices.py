"""password reset links kept for an administrator (issue 11, item 11)

A server without SMTP no longer writes reset links to its log; it keeps each one, sealed,
until an administrator has seen it once on the admin page, or its token or user is gone.

Revision ID: 8768c37f517f
Revises: a3f581eabc25
Create Date: 2026-12-06 11:45:56.268649+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "8768c37f517f"
down_revision: str | None = "a3f581eabc25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "password_reset_notices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reset_token_id", sa.Uuid(), nullable=False),
        sa.Column("sealed_link", sa.Text(), nullable=False),
        sa.Column("expires_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reset_token_id"],
            ["password_reset_tokens.id"],
            name=op.f("fk_password_reset_notices_reset_token_id_password_reset_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_reset_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_notices")),
        sa.UniqueConstraint(
            "reset_token_id", name=op.f("uq_password_reset_notices_reset_token_id")
        ),
    )
    with op.batch_alter_table("password_reset_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_notices_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("password_reset_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_notices_user_id"))

    op.drop_table("password_reset_notices")
