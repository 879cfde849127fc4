"""Recording domain events, in the same transaction as the change that caused them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Event

# The kinds written today; consumers switch on these strings.
HABIT_CREATED = "habit_created"
HABIT_UPDATED = "habit_updated"
HABIT_ARCHIVED = "habit_archived"
HABIT_UNARCHIVED = "habit_unarchived"
HABIT_DELETED = "habit_deleted"
SCHEDULE_CHANGED = "schedule_changed"
HABIT_LOGGED = "habit_logged"
ENTRY_REMOVED = "entry_removed"
DAY_COMPLETED = "day_completed"
STREAK_EXTENDED = "streak_extended"
STREAK_BROKEN = "streak_broken"
BREAK_CREATED = "break_created"
BREAK_DELETED = "break_deleted"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    kind: str
    habit_id: uuid.UUID | None = None
    local_date: date | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def record(session: AsyncSession, user_id: uuid.UUID, events: list[DomainEvent]) -> None:
    """Append `events` to the log (written with the request's transaction)."""
    session.add_all(
        Event(
            user_id=user_id,
            habit_id=event.habit_id,
            kind=event.kind,
            local_date=event.local_date,
            payload=event.payload,
        )
        for event in events
    )
