"""What the importer needs from the habits feature, as a port (`habitus.registry`): the
habits service provides it in `habitus.wiring`, so this feature never imports another's
service. An import creates habits the way the API does (validation, schedule version,
`HabitCreated`) and has their history walked again once its days are in."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.habits.schemas import HabitCreate
from habitus.models import Habit, User
from habitus.registry import Port


class HabitWriter(Protocol):
    async def create_habit(self, session: AsyncSession, user: User, body: HabitCreate) -> Habit:
        """Create a habit as POST /habits does."""
        ...

    async def refresh_states(
        self,
        session: AsyncSession,
        user: User,
        habit_ids: list[uuid.UUID] | None,
        *,
        changed_from: date | None,
    ) -> None:
        """Walk these habits' histories again (streaks, scores, summaries, reminders)."""
        ...


HABIT_WRITER: Port[HabitWriter] = Port("imports.habit_writer")
