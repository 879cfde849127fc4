"""What other features' pages may do to a habit's day, as a port (`habitus.registry`): the
habits service provides it in `habitus.wiring`, so the habit page's day editor
(insights) and the inbox's "Done" (reminders) write a day exactly as the API does
(events, D4.3 windows) without importing another feature's service."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import User
from habitus.registry import Port


class DayWriter(Protocol):
    async def set_entry(
        self,
        session: AsyncSession,
        user: User,
        habit_id: uuid.UUID,
        *,
        day: date,
        status: str,
        value: float | None,
        note: str | None,
        source: str,
    ) -> Any:
        """PUT /habits/{id}/entries/{date}."""
        ...

    async def remove_entry(
        self, session: AsyncSession, user: User, habit_id: uuid.UUID, *, day: date
    ) -> Any:
        """DELETE /habits/{id}/entries/{date}."""
        ...

    async def check_in(
        self,
        session: AsyncSession,
        user: User,
        habit_id: uuid.UUID,
        *,
        day: date | None,
        value: float | None,
        note: str | None,
        source: str,
    ) -> Any:
        """POST /habits/{id}/checkins."""
        ...


DAY_WRITER: Port[DayWriter] = Port("habits.day_writer")
