"""What the health analysis needs from the habits it compares weight with (issue 19), as
a port (`habitus.registry`): each active habit's days, required or not and done or not,
as the engine decides them (D5). `habitus.wiring` provides it (the coach's
`history.histories_of`, the same days the predictions learn from), so health never
imports the habits feature's service.

The Protocols below name only what the analysis reads, as read-only properties, so any
implementation whose values have these attributes fits (frozen dataclasses included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import User
from habitus.registry import Port


class HabitDay(Protocol):
    @property
    def day(self) -> date: ...

    @property
    def required(self) -> bool:
        """The day counts: the habit was due (not a break, not a free day)."""
        ...

    @property
    def done(self) -> bool: ...

    @property
    def in_break(self) -> bool:
        """A break day (D3.2): it counts neither way."""
        ...


class HabitDays(Protocol):
    @property
    def habit_id(self) -> str: ...

    @property
    def facts(self) -> Sequence[HabitDay]:
        """One a day, oldest first, up to yesterday."""
        ...


class HabitHistories(Protocol):
    @property
    def items(self) -> Sequence[HabitDays]:
        """Each active habit's days."""
        ...

    @property
    def names(self) -> Mapping[str, str]:
        """Habit id -> its name."""
        ...


class HabitCompletion(Protocol):
    async def histories_of(self, session: AsyncSession, user: User) -> HabitHistories:
        """The user's active habits and their days (a bounded number of statements)."""
        ...


HABIT_COMPLETION: Port[HabitCompletion] = Port("health.habit_completion")
