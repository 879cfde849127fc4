"""Health photo extractions (D15.2), their encrypted photos, and the kg/lb cm/in setting

Revision ID: 05a50fad0cf8
Revises: 9d1d9423b087
Create Date: 2026-12-06 21:23:07.689775+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "05a50fad0cf8"
down_revision: str | None = "9d1d9423b087"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("mass_unit", sa.String(length=2), nullable=False),
        sa.Column("length_unit", sa.String(length=2), nullable=False),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_health_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_health_settings")),
    )
    op.create_table(
        "health_extractions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("fallback_reason", sa.String(length=200), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("dropped", sa.JSON(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("expires_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("log_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["health_logs.id"],
            name=op.f("fk_health_extractions_log_id_health_logs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_health_extractions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_extractions")),
    )
    with op.batch_alter_table("health_extractions", schema=None) as batch_op:
        batch_op.create_index("ix_health_extractions_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_health_extractions_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "health_photos",
        sa.Column("extraction_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data_encrypted", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["health_extractions.id"],
            name=op.f("fk_health_photos_extraction_id_health_extractions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_health_photos_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("extraction_id", name=op.f("pk_health_photos")),
    )
    with op.batch_alter_table("health_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_photos_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("health_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_photos_user_id"))

    op.drop_table("health_photos")
    with op.batch_alter_table("health_extractions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_extractions_user_id"))
        batch_op.drop_index("ix_health_extractions_expires_at")

    op.drop_table("health_extractions")
    op.drop_table("health_settings")
