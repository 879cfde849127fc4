from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class CalendarFeed(IdMixin, CreatedAtMixin, Base):
    """A user's private calendar feed: the token in its URL is the credential, stored
    only as its SHA-256. One feed per user; rotating it replaces the token, revoking it
    deletes the row."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # When the current token was issued (creation or the last rotation).
    rotated_at: Mapped[datetime]
