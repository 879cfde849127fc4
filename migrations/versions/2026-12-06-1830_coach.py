"""coach plans, tasks and model calls

Revision ID: dce8acc13364
Revises: 5b1e7d9c2a64
Create Date: 2026-12-06 18:23:15.353211+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "dce8acc13364"
down_revision: str | None = "5b1e7d9c2a64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_calls",
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_calls")),
    )
    with op.batch_alter_table("model_calls", schema=None) as batch_op:
        batch_op.create_index("ix_model_calls_created_at", ["created_at"], unique=False)

    op.create_table(
        "coach_plans",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("habit_id", sa.Uuid(), nullable=True),
        sa.Column("goal", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("habit_name", sa.String(length=120), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("fallback_reason", sa.String(length=40), nullable=True),
        sa.Column("lease_until", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_coach_plans_habit_id_habits"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_coach_plans_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_plans")),
    )
    with op.batch_alter_table("coach_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coach_plans_habit_id"), ["habit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coach_plans_user_id"), ["user_id"], unique=False)

    op.create_table(
        "coach_tasks",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=120), nullable=False),
        sa.Column("done_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["coach_plans.id"],
            name=op.f("fk_coach_tasks_plan_id_coach_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_coach_tasks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_tasks")),
        sa.UniqueConstraint(
            "plan_id", "date", "position", name=op.f("uq_coach_tasks_plan_id_date_position")
        ),
    )
    with op.batch_alter_table("coach_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_coach_tasks_user_id_date", ["user_id", "date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coach_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_coach_tasks_user_id_date")

    op.drop_table("coach_tasks")
    with op.batch_alter_table("coach_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coach_plans_user_id"))
        batch_op.drop_index(batch_op.f("ix_coach_plans_habit_id"))

    op.drop_table("coach_plans")
    with op.batch_alter_table("model_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_model_calls_created_at")

    op.drop_table("model_calls")
