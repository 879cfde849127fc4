from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base


class HabitStateRow(Base):
    """A kept walk of a habit's history (core.evaluate.HabitState), so a page view
    continues from yesterday instead of walking years of entries again."""

    __tablename__ = "habit_states"

    habit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The habit's history_version when this was computed: a later rewrite of the past
    # makes it stale...
    history_version: Mapped[int]
    # ...and so does a change of what the walk assumed beyond the data (the week start).
    basis: Mapped[str] = mapped_column(String(16))
    through: Mapped[date]
    folded_until: Mapped[date]
    current_length: Mapped[int]
    current_first: Mapped[date | None]
    current_last: Mapped[date | None]
    longest_length: Mapped[int]
    longest_first: Mapped[date | None]
    longest_last: Mapped[date | None]
    score: Mapped[float]
    computed_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
