from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class Invite(IdMixin, CreatedAtMixin, Base):
    """A single-use sign-up link, stored as the SHA-256 of its token."""

    __tablename__ = "invites"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # When set, only this address (compared case-insensitively) may use the invite.
    email_key: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    revoked_at: Mapped[datetime | None]
