"""rewards: achievements earned, the rewards ledger, reward states (issue 14, D10/D11)

Revision ID: 9a4d2f6c8e13
Revises: 7c3e9a1f4b20
Create Date: 2026-12-06 16:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "9a4d2f6c8e13"
down_revision: str | None = "7c3e9a1f4b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def UTC() -> habitus.models.base.UTCDateTime:
    return habitus.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "achievements_earned",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.String(length=32), nullable=False),
        sa.Column("earned_at", UTC(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=True),
        sa.Column("habit_id", sa.Uuid(), nullable=True),
        sa.Column("seen_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_achievements_earned_habit_id_habits"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_achievements_earned_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "achievement_id", name=op.f("pk_achievements_earned")),
    )
    op.create_table(
        "reward_ledger",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.String(length=120), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reward_ledger_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_ledger")),
        sa.UniqueConstraint("user_id", "cause", name=op.f("uq_reward_ledger_user_id_cause")),
    )
    op.create_index(
        "ix_reward_ledger_user_id_created_at", "reward_ledger", ["user_id", "created_at"]
    )
    op.create_index("ix_reward_ledger_user_id_kind", "reward_ledger", ["user_id", "kind"])
    op.create_table(
        "reward_states",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("last_claim", sa.Date(), nullable=True),
        sa.Column("daily_streak", sa.Integer(), nullable=False),
        sa.Column("cycle_day", sa.Integer(), nullable=False),
        sa.Column("freezes", sa.Integer(), nullable=False),
        sa.Column("last_freeze_on", sa.Date(), nullable=True),
        sa.Column("freeze_checked_through", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reward_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_reward_states")),
    )


def downgrade() -> None:
    op.drop_table("reward_states")
    op.drop_index("ix_reward_ledger_user_id_kind", table_name="reward_ledger")
    op.drop_index("ix_reward_ledger_user_id_created_at", table_name="reward_ledger")
    op.drop_table("reward_ledger")
    op.drop_table("achievements_earned")
