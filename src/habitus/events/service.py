"""Recording domain events, in the same transaction as the change that caused them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
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

# PostgreSQL transaction-level advisory lock that orders writers of the log (any
# constant no other feature uses; the bytes of "hbevents").
EVENT_LOG_LOCK = int.from_bytes(b"hbevents", "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True, slots=True)
class DomainEvent:
    kind: str
    habit_id: uuid.UUID | None = None
    local_date: date | None = None
    payload: dict[str, Any] = field(default_factory=dict)


async def record(session: AsyncSession, user_id: uuid.UUID, events: list[DomainEvent]) -> None:
    """Append `events` to the log (written with the request's transaction).

    Consumers read the log by id and keep their place, so ids must be handed out in
    commit order: a reader that has seen id n must never later find a new id below n.
    A sequence alone does not promise that on PostgreSQL (a transaction can take an id,
    then commit after a later one), so the writer first takes a transaction-level lock
    that it holds until it commits; SQLite's single writer already orders them. Call
    this after the change's own writes, so the lock is the last one a writer takes.
    """
    if not events:
        return
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOG_LOCK})
    now = clock.now()
    # One INSERT for all of them (no ORM objects: nobody reads them back here).
    await session.execute(
        insert(Event),
        [
            {
                "user_id": user_id,
                "habit_id": event.habit_id,
                "kind": event.kind,
                "local_date": event.local_date,
                "payload": event.payload,
                "created_at": now,
            }
            for event in events
        ],
    )
