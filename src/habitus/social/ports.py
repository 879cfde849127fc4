"""What the social feature needs from the habits feature, as a port (`habitus.registry`):
the habits service provides it in `habitus.wiring`, so a challenge creates and archives
its members' habits exactly as the API does (validation, schedule version, events)
without importing another feature's service."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.habits.schemas import HabitCreate, HabitUpdate
from habitus.models import Habit, User
from habitus.registry import Port


class HabitProvisioner(Protocol):
    async def create_habit(self, session: AsyncSession, user: User, body: HabitCreate) -> Habit:
        """Create a habit for `user` as POST /habits does."""
        ...

    async def update_habit(
        self, session: AsyncSession, user: User, habit_id: uuid.UUID, body: HabitUpdate
    ) -> Habit:
        """Change a habit as PATCH /habits/{id} does (here: archive it)."""
        ...


CHALLENGE_HABITS: Port[HabitProvisioner] = Port("social.challenge_habits")
