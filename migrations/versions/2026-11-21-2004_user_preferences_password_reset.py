"""user preferences (theme, day part), onboarding, password reset tokens

Accounts that exist before this revision count as onboarded: they were set up
without the onboarding page, and sending them there would be a surprise.

Revision ID: 5cd561b733de
Revises: 0404b10cba83
Create Date: 2026-11-21 20:04:41.407000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "5cd561b733de"
down_revision: str | None = "0404b10cba83"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "password_reset_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_reset_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
    )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_tokens_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("theme", sa.String(length=6), server_default="system", nullable=False)
        )
        batch_op.add_column(sa.Column("day_part", sa.String(length=7), nullable=True))
        batch_op.add_column(
            sa.Column("onboarded_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f("ck_users_theme_known"), "theme IN ('light', 'dark', 'system')"
        )
        batch_op.create_check_constraint(
            op.f("ck_users_day_part_known"), "day_part IN ('morning', 'evening')"
        )
    op.execute("UPDATE users SET onboarded_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_day_part_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_theme_known"), type_="check")
        batch_op.drop_column("onboarded_at")
        batch_op.drop_column("day_part")
        batch_op.drop_column("theme")

    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_tokens_user_id"))

    op.drop_table("password_reset_tokens")
