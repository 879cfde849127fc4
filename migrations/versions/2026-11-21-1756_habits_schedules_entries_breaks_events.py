"""habits schedules entries breaks events

Revision ID: 0404b10cba83
Revises: 72f6fb4dcb9d
Create Date: 2026-11-21 17:56:30.506445+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import habitus.models.base

revision: str = "0404b10cba83"
down_revision: str | None = "72f6fb4dcb9d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_cursors",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column(
            "last_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("last_txid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_event_cursors")),
    )
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("habit_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_events_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_habit_id"), ["habit_id"], unique=False)
        batch_op.create_index("ix_events_txid_id", ["txid", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_user_id"), ["user_id"], unique=False)

    op.create_table(
        "habits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("polarity", sa.String(length=8), nullable=False),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("backfill_days", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", habitus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("history_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_habits_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_habits")),
    )
    with op.batch_alter_table("habits", schema=None) as batch_op:
        batch_op.create_index("ix_habits_user_id_position", ["user_id", "position"], unique=False)

    op.create_table(
        "breaks",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("habit_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"], ["habits.id"], name=op.f("fk_breaks_habit_id_habits"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_breaks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaks")),
    )
    with op.batch_alter_table("breaks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breaks_habit_id"), ["habit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_breaks_user_id"), ["user_id"], unique=False)

    op.create_table(
        "entries",
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("logged_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("logged_tz", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"], ["habits.id"], name=op.f("fk_entries_habit_id_habits"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
        sa.UniqueConstraint("habit_id", "local_date", name=op.f("uq_entries_habit_id_local_date")),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entries_user_id_local_date", ["user_id", "local_date"], unique=False
        )

    op.create_table(
        "habit_schedules",
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_habit_schedules_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_habit_schedules_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_habit_schedules")),
        sa.UniqueConstraint(
            "habit_id", "effective_from", name=op.f("uq_habit_schedules_habit_id_effective_from")
        ),
    )
    with op.batch_alter_table("habit_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_habit_schedules_user_id"), ["user_id"], unique=False)

    op.create_table(
        "habit_states",
        sa.Column("habit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("history_version", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("folded_until", sa.Date(), nullable=False),
        sa.Column("current_length", sa.Integer(), nullable=False),
        sa.Column("current_first", sa.Date(), nullable=True),
        sa.Column("current_last", sa.Date(), nullable=True),
        sa.Column("longest_length", sa.Integer(), nullable=False),
        sa.Column("longest_first", sa.Date(), nullable=True),
        sa.Column("longest_last", sa.Date(), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("computed_at", habitus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_habit_states_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_habit_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("habit_id", name=op.f("pk_habit_states")),
    )
    with op.batch_alter_table("habit_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_habit_states_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("habit_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_habit_states_user_id"))

    op.drop_table("habit_states")
    with op.batch_alter_table("habit_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_habit_schedules_user_id"))

    op.drop_table("habit_schedules")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_user_id_local_date")

    op.drop_table("entries")
    with op.batch_alter_table("breaks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaks_user_id"))
        batch_op.drop_index(batch_op.f("ix_breaks_habit_id"))

    op.drop_table("breaks")
    with op.batch_alter_table("habits", schema=None) as batch_op:
        batch_op.drop_index("ix_habits_user_id_position")

    op.drop_table("habits")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_user_id"))
        batch_op.drop_index("ix_events_txid_id")
        batch_op.drop_index(batch_op.f("ix_events_habit_id"))

    op.drop_table("events")
    op.drop_table("event_cursors")
