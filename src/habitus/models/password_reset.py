from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class PasswordResetToken(IdMixin, CreatedAtMixin, Base):
    """A single-use "forgot my password" link, stored as the SHA-256 of its token.

    Using one spends every other token of the user, so an older link mailed earlier
    stops working too.
    """

    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
