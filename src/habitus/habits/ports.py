"""What the habit form needs from the reminders feature, as a port (`habitus.registry`):
reminders provide it in `habitus.wiring`. The reminders package reads habits, so habits
may not import it (no cycles between packages); the port takes plain values instead of
the reminders' own input model."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import User
from habitus.registry import Port


class HabitReminders(Protocol):
    def check(self, time: str, days: list[str] | None) -> None:
        """Raise `ValidationFailed` (fields `time`, `days`) unless POST
        /habits/{id}/reminders would accept this reminder."""
        ...

    async def add(
        self,
        session: AsyncSession,
        user: User,
        habit_id: uuid.UUID,
        *,
        time: str,
        days: list[str] | None,
    ) -> None:
        """Add a reminder to the habit, as POST /habits/{id}/reminders does (in the
        caller's transaction)."""
        ...


HABIT_REMINDERS: Port[HabitReminders] = Port("habits.reminders")
