"""per-habit daily and monthly summaries, habits.summary_version

Revision ID: a5a1c0de2130
Revises: 5cd561b733de
Create Date: 2026-11-21 21:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a5a1c0de2130"
down_revision: str | None = "5cd561b733de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "habit_day_summaries",
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("in_break", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit_done", sa.Integer(), nullable=False),
        sa.Column("unit_missed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_habit_day_summaries_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_habit_day_summaries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("habit_id", "local_date", name=op.f("pk_habit_day_summaries")),
    )
    with op.batch_alter_table("habit_day_summaries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_habit_day_summaries_user_id_local_date",
            [
                "user_id",
                "local_date",
                "habit_id",
                "done",
                "required",
                "unit_done",
                "unit_missed",
            ],
            unique=False,
        )
    op.create_table(
        "habit_month_summaries",
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("breaks", sa.Integer(), nullable=False),
        sa.Column("value_sum", sa.Float(), nullable=False),
        sa.Column("unit_done", sa.Integer(), nullable=False),
        sa.Column("unit_missed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_habit_month_summaries_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_habit_month_summaries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("habit_id", "month", name=op.f("pk_habit_month_summaries")),
    )
    with op.batch_alter_table("habit_month_summaries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_habit_month_summaries_user_id_month", ["user_id", "month"], unique=False
        )
    with op.batch_alter_table("habits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("summary_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("summary_through", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("habits", schema=None) as batch_op:
        batch_op.drop_column("summary_through")
        batch_op.drop_column("summary_version")
    with op.batch_alter_table("habit_month_summaries", schema=None) as batch_op:
        batch_op.drop_index("ix_habit_month_summaries_user_id_month")
    op.drop_table("habit_month_summaries")
    with op.batch_alter_table("habit_day_summaries", schema=None) as batch_op:
        batch_op.drop_index("ix_habit_day_summaries_user_id_local_date")
    op.drop_table("habit_day_summaries")
