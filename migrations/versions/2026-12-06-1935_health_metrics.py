"""health metrics: logs and the weight goal (issue 19, D15.1)

Revision ID: 9d1d9423b087
Revises: e1d440f2d495
Create Date: 2026-12-06 19:35:44.284717+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "9d1d9423b087"
down_revision: str | None = "e1d440f2d495"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_goals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_health_goals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_health_goals")),
    )
    op.create_table(
        "health_logs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time", sa.Time(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("bmi", sa.Float(), nullable=True),
        sa.Column("body_fat_pct", sa.Float(), nullable=True),
        sa.Column("fat_mass_kg", sa.Float(), nullable=True),
        sa.Column("muscle_mass_kg", sa.Float(), nullable=True),
        sa.Column("muscle_pct", sa.Float(), nullable=True),
        sa.Column("skeletal_muscle_kg", sa.Float(), nullable=True),
        sa.Column("skeletal_muscle_pct", sa.Float(), nullable=True),
        sa.Column("visceral_fat_index", sa.Float(), nullable=True),
        sa.Column("subcutaneous_fat_pct", sa.Float(), nullable=True),
        sa.Column("bmr_kcal", sa.Float(), nullable=True),
        sa.Column("body_age", sa.Float(), nullable=True),
        sa.Column("bone_mass_kg", sa.Float(), nullable=True),
        sa.Column("protein_mass_kg", sa.Float(), nullable=True),
        sa.Column("protein_pct", sa.Float(), nullable=True),
        sa.Column("water_weight_kg", sa.Float(), nullable=True),
        sa.Column("body_water_pct", sa.Float(), nullable=True),
        sa.Column("lean_body_mass_kg", sa.Float(), nullable=True),
        sa.Column("fat_free_weight_kg", sa.Float(), nullable=True),
        sa.Column("obesity_degree_pct", sa.Float(), nullable=True),
        sa.Column("standard_weight_kg", sa.Float(), nullable=True),
        sa.Column("weight_control_kg", sa.Float(), nullable=True),
        sa.Column("fat_control_kg", sa.Float(), nullable=True),
        sa.Column("muscle_control_kg", sa.Float(), nullable=True),
        sa.Column("heart_rate_bpm", sa.Float(), nullable=True),
        sa.Column("waist_cm", sa.Float(), nullable=True),
        sa.Column("hip_cm", sa.Float(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_health_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_logs")),
    )
    with op.batch_alter_table("health_logs", schema=None) as batch_op:
        batch_op.create_index("ix_health_logs_user_id_date", ["user_id", "date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("health_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_health_logs_user_id_date")

    op.drop_table("health_logs")
    op.drop_table("health_goals")
