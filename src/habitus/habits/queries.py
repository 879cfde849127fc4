"""Reads of a user's habits that other features may use (they do not write): the habit
itself, with access control in the query (another user's habit is a 404)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import NotFound
from habitus.habits import repository
from habitus.models import Habit, User


async def get_habit(
    session: AsyncSession, user: User, habit_id: uuid.UUID, *, share_lock: bool = False
) -> Habit:
    """The user's habit or 404. `share_lock` holds it until commit (see
    `repository.habit_of`) for writes to rows that belong to the habit."""
    habit = await repository.habit_of(session, user.id, habit_id, share_lock=share_lock)
    if habit is None:
        raise NotFound("No such habit.")
    return habit
