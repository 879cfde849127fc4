from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class HabitBreak(IdMixin, CreatedAtMixin, Base):
    """D3.2: an inclusive range of days off, for one habit or (habit_id NULL) for all."""

    __tablename__ = "breaks"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    habit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(200))
