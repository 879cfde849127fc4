from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.core.habits import Status
from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin


class Entry(IdMixin, CreatedAtMixin, Base):
    """D4.1: at most one entry per (habit, local date)."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("habit_id", "local_date"),
        Index("ix_entries_user_id_local_date", "user_id", "local_date"),
    )

    habit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("habits.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # D1.4: keyed by the local date it counts for; a later zone change never moves it.
    local_date: Mapped[date]
    status: Mapped[Status] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(1000))
    # D1.5 / D8.3: when it was logged, and in which zone the user was then.
    logged_at: Mapped[datetime]
    logged_tz: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="api")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
