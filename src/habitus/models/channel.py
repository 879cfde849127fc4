from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin

ChannelType = Literal["email", "webpush", "apprise", "webhook"]
CHANNEL_TYPES: tuple[ChannelType, ...] = get_args(ChannelType)


class Channel(IdMixin, CreatedAtMixin, Base):
    """Where a user's notifications go (API.md "Reminders, channels and
    notifications"). A permanent delivery error disables it with the reason shown to
    the user (`disabled_reason`); enabling it again clears the reason."""

    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint("type IN ('email', 'webpush', 'apprise', 'webhook')", name="type_known"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[ChannelType] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(80))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A webhook's HMAC secret: the signature needs it, so it is kept as is; it is shown
    # once, in the answer that created the channel.
    secret: Mapped[str | None] = mapped_column(String(128))
    # Webhooks only: also POST the user's domain events (check-ins, streaks).
    events: Mapped[bool] = mapped_column(default=False)
    # Also "Achievement unlocked" and streak-freeze notices (D10.3, D11.3); a new channel
    # takes its type's default (`channel_types`), the column's is for rows made elsewhere.
    achievements: Mapped[bool] = mapped_column(default=False, server_default=false())
    # D12 social notices (friend requests, challenge invites, ranks): opted in or not.
    social: Mapped[bool] = mapped_column(default=False, server_default=false())
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
