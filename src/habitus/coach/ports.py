"""What the coach needs from the habits feature, as a port (`habitus.registry`): the
habits service provides it in `habitus.wiring`, so starting a plan creates its habit
exactly as POST /habits does, and deleting a plan "with its habit" deletes it as
DELETE /habits/{id} does."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.habits.schemas import HabitCreate
from habitus.models import Habit, User
from habitus.registry import Port


class CoachHabits(Protocol):
    async def create_habit(self, session: AsyncSession, user: User, body: HabitCreate) -> Habit:
        """Create a habit for `user` as POST /habits does."""
        ...

    async def delete_habit(self, session: AsyncSession, user: User, habit_id: uuid.UUID) -> None:
        """Delete a habit as DELETE /habits/{id} does."""
        ...


COACH_HABITS: Port[CoachHabits] = Port("coach.habits")
