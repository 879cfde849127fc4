"""predictions, training states and alerts

Revision ID: e1d440f2d495
Revises: dce8acc13364
Create Date: 2026-12-06 19:05:22.178302+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "e1d440f2d495"
down_revision: str | None = "dce8acc13364"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prediction_models",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("trained_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_prediction_models_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_prediction_models")),
    )
    op.create_table(
        "training_states",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("due_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_trained_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alerts_next_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_training_states")),
    )
    with op.batch_alter_table("training_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_states_alerts_next_at"), ["alerts_next_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_states_due_at"), ["due_at"], unique=False)

    op.create_table(
        "alert_dismissals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_alert_dismissals_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_alert_dismissals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "habit_id", "kind", name=op.f("pk_alert_dismissals")),
    )
    op.create_table(
        "alert_notices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_alert_notices_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_alert_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "habit_id", "week", name=op.f("pk_alert_notices")),
    )


def downgrade() -> None:
    op.drop_table("alert_notices")
    op.drop_table("alert_dismissals")
    with op.batch_alter_table("training_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_states_due_at"))
        batch_op.drop_index(batch_op.f("ix_training_states_alerts_next_at"))

    op.drop_table("training_states")
    op.drop_table("prediction_models")
