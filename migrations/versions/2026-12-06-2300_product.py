"""Product metrics (events, activity days, daily rollup), the NPS survey, plans and
optional Stripe subscriptions (issue 21)

Revision ID: 0df4351f814c
Revises: 9d45d7391499
Create Date: 2026-12-06 22:49:44.740371+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "0df4351f814c"
down_revision: str | None = "9d45d7391499"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("received_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_events")),
    )
    op.create_table(
        "metric_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_metric_days")),
    )
    op.create_table(
        "activity_days",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_activity_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_activity_days")),
    )
    with op.batch_alter_table("activity_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_days_day"), ["day"], unique=False)

    op.create_table(
        "nps_responses",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_nps_responses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nps_responses")),
    )
    with op.batch_alter_table("nps_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nps_responses_user_id"), ["user_id"], unique=False)

    op.create_table(
        "product_events",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("props", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_product_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_events")),
    )
    with op.batch_alter_table("product_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_events_kind_occurred_at", ["kind", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_product_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_product_events_user_id"), ["user_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=True),
        sa.Column("subscription_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column(
            "current_period_end", habitus.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("subscription_id", name=op.f("uq_subscriptions_subscription_id")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "survey_states",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("prompted_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_survey_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_survey_states")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plan", sa.String(length=4), server_default="free", nullable=False)
        )
        batch_op.create_check_constraint("plan_known", "plan IN ('free', 'pro')")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("plan_known", type_="check")
        batch_op.drop_column("plan")

    op.drop_table("survey_states")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_customer_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("product_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_events_user_id"))
        batch_op.drop_index(batch_op.f("ix_product_events_occurred_at"))
        batch_op.drop_index("ix_product_events_kind_occurred_at")

    op.drop_table("product_events")
    with op.batch_alter_table("nps_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nps_responses_user_id"))

    op.drop_table("nps_responses")
    with op.batch_alter_table("activity_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_days_day"))

    op.drop_table("activity_days")
    op.drop_table("metric_days")
    op.drop_table("billing_events")
