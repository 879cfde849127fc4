from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class HabitSchedule(IdMixin, CreatedAtMixin, Base):
    """One version of a habit's schedule (D3), in effect from `effective_from` until the
    next version. Past days keep being judged by the version they had."""

    __tablename__ = "habit_schedules"
    __table_args__ = (UniqueConstraint("habit_id", "effective_from"),)

    habit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("habits.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    effective_from: Mapped[date]
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
