from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.core.habits import Direction, Kind, Polarity
from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin


class Habit(IdMixin, CreatedAtMixin, Base):
    """D2: a habit. Its schedule lives in `habit_schedules`, one row per version."""

    __tablename__ = "habits"
    __table_args__ = (Index("ix_habits_user_id_position", "user_id", "position"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    kind: Mapped[Kind] = mapped_column(String(16))
    polarity: Mapped[Polarity] = mapped_column(String(8))
    target_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[Direction] = mapped_column(String(8))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    # None means unlimited (D4.3).
    backfill_days: Mapped[int | None]
    category: Mapped[str | None] = mapped_column(String(60))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    color: Mapped[str | None] = mapped_column(String(7))
    # One emoji shown before the name (habits.icon checks it); None: no icon.
    icon: Mapped[str | None] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    # D12.2: who may see the habit beyond its owner: private (default), friends, public.
    visibility: Mapped[str] = mapped_column(String(8), default="private", server_default="private")
    # D12.3: the challenge this habit was made for (None: the member's own habit).
    challenge_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("challenges.id", ondelete="SET NULL"), index=True
    )
    # Changes with every write that touches the habit's days: a cache and ETag key.
    version: Mapped[int] = mapped_column(default=1)
    # Changes only when a write rewrites what a kept state has already walked (an old
    # day, the rules, a break): the key of `habit_states`. Today's check-ins leave it.
    history_version: Mapped[int] = mapped_column(default=1)
    # Issue 5: changes with every write that can change the habit's summaries (ETags of
    # heatmap and reports); `summary_through` is the last day the summaries cover.
    summary_version: Mapped[int] = mapped_column(default=1, server_default="1")
    summary_through: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
