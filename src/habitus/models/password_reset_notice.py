from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class PasswordResetNotice(IdMixin, CreatedAtMixin, Base):
    """A reset link waiting for an administrator to pass it on, on a server that cannot
    send email (issue 11, item 11).

    The link is kept sealed (`auth.sealing`: AES-GCM under a key derived from the server's
    secret), so a copy of the database alone opens nobody's account. The row goes when an
    administrator has seen it once, and with its token (spent or expired tokens are swept)
    or its user.
    """

    __tablename__ = "password_reset_notices"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reset_token_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("password_reset_tokens.id", ondelete="CASCADE"), unique=True
    )
    sealed_link: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
