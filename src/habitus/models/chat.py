"""Chat (issue 16): conversations, their members, messages (encrypted at rest) and the
messages a member hid from themselves ("delete for me").

A direct conversation is between two friends; `direct_key` (the two user ids, sorted)
makes it unique per pair. A challenge conversation belongs to one challenge; who may
read it is the challenge's *current* members (ChallengeMember.left_at is None), so
leaving the challenge leaves its chat without a second list to keep in step.
`chat_members` rows hold each user's read marker (made on first use).

Message ids are a growing integer (like the event log's): the order of a conversation
and its cursors, even when two messages share an instant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin

ConversationKind = Literal["direct", "challenge"]
# SQLite's rowid (only INTEGER PRIMARY KEY is one), 64 bits elsewhere: ids only grow.
MessageId = BigInteger().with_variant(Integer(), "sqlite")


class Conversation(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "conversations"

    kind: Mapped[ConversationKind] = mapped_column(String(10))
    # "direct": "<smaller user id>:<larger user id>"; None for a challenge's.
    direct_key: Mapped[str | None] = mapped_column(String(73), unique=True)
    challenge_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), unique=True
    )


class ChatMember(Base):
    """A user's place in a conversation: their read marker. For a direct conversation
    both rows exist from the start; for a challenge's, a row is made on first use."""

    __tablename__ = "chat_members"
    __table_args__ = (Index("ix_chat_members_user_id", "user_id"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_read_message_id: Mapped[int | None] = mapped_column(MessageId)
    last_read_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    # The newest message when the user was last told that messages wait unread
    # (chat/unread_notices): no second notice until they have read up to it.
    noticed_message_id: Mapped[int | None] = mapped_column(MessageId)


class Message(Base):
    """`body_encrypted`: a Fernet token (MultiFernet: the newest key encrypts, any
    configured key decrypts). `client_id`: the sender's own id for the message, so a
    resend after a dropped socket is not stored twice."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("sender_id", "client_id"),
        Index("ix_chat_messages_conversation_id_id", "conversation_id", "id"),
        # The unread notifier's window (messages of the last day).
        Index("ix_chat_messages_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(MessageId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    # A deleted account's messages go with it (ARCHITECTURE.md, Chat).
    sender_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    body_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class MessageHide(Base):
    """ "Delete for me": `user_id` no longer sees `message_id`; everyone else still does."""

    __tablename__ = "chat_message_hides"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(
        MessageId, ForeignKey("chat_messages.id", ondelete="CASCADE"), primary_key=True
    )
