"""What Today shows of coach plans (issue 17, D13.3), as a port (`habitus.registry`):
the coach provides it in `habitus.wiring`, so Today lists a plan's tasks under its
habit without importing that feature (which itself creates habits)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import User
from habitus.registry import Port


@dataclass(frozen=True, slots=True)
class TodayTask:
    id: uuid.UUID
    position: int
    text: str
    done: bool


class TodayTasks(Protocol):
    async def tasks_on(
        self, session: AsyncSession, user: User, day: date
    ) -> dict[uuid.UUID, list[TodayTask]]:
        """The day's coach tasks by habit id (one statement)."""
        ...


TODAY_TASKS: Port[TodayTasks] = Port("habits.today.tasks")
