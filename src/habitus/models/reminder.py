from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin

REMINDER_KINDS = ("habit", "streak_at_risk", "digest", "weekly_summary")


class Reminder(IdMixin, CreatedAtMixin, Base):
    """A local wall-clock time at which something is sent (DOMAIN D9). `habit`
    reminders belong to a habit; the user-wide kinds (streak-at-risk nudge, daily
    digest, weekly summary) have none. `next_fire_at` is computed in `core.reminders`
    from the user's zone and stored; the dispatcher claims a due reminder by moving it
    forward with a conditional UPDATE."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('habit', 'streak_at_risk', 'digest', 'weekly_summary')", name="kind_known"
        ),
        Index("ix_reminders_next_fire_at", "next_fire_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    habit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="habit")
    # Local wall-clock time "HH:MM".
    time: Mapped[str] = mapped_column(String(5))
    # Weekday names ("mon".."sun"); None: the habit's required days (D9.1), every day
    # for the user-wide kinds (the weekly summary names one day).
    days: Mapped[list[Any] | None] = mapped_column(JSON)
    only_if_pending: Mapped[bool] = mapped_column(default=True)
    # Channel ids (as strings); empty: every enabled channel of the user.
    channel_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # None while disabled or when nothing is left to fire (an ended habit).
    next_fire_at: Mapped[datetime | None]
    next_local_date: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
