"""chat unread notices: the message a member was last told about; messages by time

Revision ID: 5b1e7d9c2a64
Revises: 8dc2c34b877a
Create Date: 2026-12-06 18:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e7d9c2a64"
down_revision: str | None = "8dc2c34b877a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("chat_members") as batch:
        batch.add_column(sa.Column("noticed_message_id", MESSAGE_ID, nullable=True))
    with op.batch_alter_table("chat_messages") as batch:
        batch.create_index("ix_chat_messages_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_messages") as batch:
        batch.drop_index("ix_chat_messages_created_at")
    with op.batch_alter_table("chat_members") as batch:
        batch.drop_column("noticed_message_id")
