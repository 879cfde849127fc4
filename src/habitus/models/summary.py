"""Per-habit daily and monthly summaries (issue 5: fast reads over long windows).

A day row holds what `core.outcomes` says about one settled day (a day before the
user's today at the time it was written): its outcome, whether it was required and
done, and the streak units (D7.1) that END on that day (a required day of a day-based
schedule ends on itself; a week or month of a `times_per_period` habit ends on its
last day). A month row sums the day rows of one calendar month.
Rows are derived data: `habitus rebuild-summaries` recomputes them from entries.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.core.outcomes import Outcome
from habitus.models.base import Base


class HabitDaySummary(Base):
    __tablename__ = "habit_day_summaries"
    # Covering: a heatmap or report over a user's habits reads the index alone.
    __table_args__ = (
        Index(
            "ix_habit_day_summaries_user_id_local_date",
            "user_id",
            "local_date",
            "habit_id",
            "done",
            "required",
            "unit_done",
            "unit_missed",
        ),
    )

    habit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # D5 outcome of the day (periodic habits: done or not_required, D6).
    outcome: Mapped[Outcome] = mapped_column(String(16))
    done: Mapped[int]  # 1 when the outcome is done
    required: Mapped[int]  # 1 when the outcome is done or missed
    skipped: Mapped[int]  # D3.3
    in_break: Mapped[int]  # D3.2
    value: Mapped[float | None] = mapped_column(Float)
    # Streak units ending this day: done / missed (D8.1 counts units by their last day).
    unit_done: Mapped[int]
    unit_missed: Mapped[int]


class HabitMonthSummary(Base):
    __tablename__ = "habit_month_summaries"
    __table_args__ = (Index("ix_habit_month_summaries_user_id_month", "user_id", "month"),)

    habit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    days: Mapped[int]  # how many day rows it sums (a whole month: all its days)
    done: Mapped[int]
    required: Mapped[int]
    missed: Mapped[int]
    skipped: Mapped[int]
    breaks: Mapped[int]
    value_sum: Mapped[float] = mapped_column(Float)
    unit_done: Mapped[int]
    unit_missed: Mapped[int]
