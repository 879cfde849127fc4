from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin

DeliveryState = Literal["pending", "sending", "sent", "failed", "dead"]
DELIVERY_STATES: tuple[DeliveryState, ...] = get_args(DeliveryState)


class Delivery(IdMixin, CreatedAtMixin, Base):
    """One message to one channel: the ledger row of DESIGN.md "Background work".
    `pending -> sending -> sent`, or `failed` (retried at `next_attempt_at`) and, after
    the last attempt or a permanent error, `dead` (the dead-letter list). A claim is a
    conditional UPDATE that sets `sending` with a lease; a worker that dies leaves the
    lease to expire. `source_key` names what caused it (`reminder:<id>:<date>`,
    `event:<id>`, `test:<id>`): unique per channel, so a reminder's day reaches a
    channel at most once (D9.4)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed', 'dead')", name="state_known"
        ),
        UniqueConstraint("channel_id", "source_key"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL")
    )
    source_key: Mapped[str] = mapped_column(String(120))
    # The message, as sent (so a replay sends the same words).
    event: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    habit_id: Mapped[uuid.UUID | None]
    habit_name: Mapped[str | None] = mapped_column(String(100))
    local_date: Mapped[date | None]
    state: Mapped[DeliveryState] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class DeliveryAttempt(IdMixin, Base):
    """Every try of a delivery: when, how long, and how it ended (`sent`,
    `temporary`, `permanent`) with the error."""

    __tablename__ = "delivery_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int]
    started_at: Mapped[datetime]
    latency_ms: Mapped[float]
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(64))
