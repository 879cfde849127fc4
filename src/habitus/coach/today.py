"""The coach's side of Today (`habits.today_tasks_port`): a plan's tasks of the day,
under its habit."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.coach import service
from habitus.habits.today_tasks_port import TodayTask
from habitus.models import User


async def tasks_on(
    session: AsyncSession, user: User, day: date
) -> dict[uuid.UUID, list[TodayTask]]:
    found = await service.today_tasks(session, user, day)
    return {
        habit_id: [
            TodayTask(task.id, task.position, task.text, task.done_at is not None) for task in tasks
        ]
        for habit_id, tasks in found.items()
    }
