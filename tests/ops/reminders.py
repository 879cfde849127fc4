"""Reminders written straight to the table, due when a test wants them (issue 22): the
reminder engine's firing rules are tested elsewhere; here only the instants matter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from habitus.models import Reminder


async def add_due_reminders(
    engine: AsyncEngine, user_id: uuid.UUID, habit_id: uuid.UUID, due: Sequence[datetime]
) -> list[uuid.UUID]:
    """One reminder per instant in `due` (UTC), each firing once there: its next firing
    after that is tomorrow's 00:00, long after the test."""
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in due]
    rows: list[dict[str, Any]] = [
        {
            "id": reminder_id,
            "user_id": user_id,
            "habit_id": habit_id,
            "kind": "habit",
            "time": "00:00",
            "days": None,
            "only_if_pending": False,
            "channel_ids": [],
            "enabled": True,
            "next_fire_at": instant,
            "next_local_date": instant.date(),  # the users here live in UTC
            "created_at": now,
            "updated_at": now,
        }
        for reminder_id, instant in zip(ids, due, strict=True)
    ]
    async with async_sessionmaker(engine)() as session, session.begin():
        await session.execute(insert(Reminder), rows)
    return ids
