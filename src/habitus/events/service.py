"""Recording domain events, in the same transaction as the change that caused them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, text, tuple_
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

_INSERT_EVENTS = insert(Event)
# On PostgreSQL each event carries the id of the transaction that wrote it.
_INSERT_EVENTS_PG = insert(Event).values(txid=text("pg_current_xact_id()::text::bigint"))


@dataclass(frozen=True, slots=True)
class DomainEvent:
    kind: str
    habit_id: uuid.UUID | None = None
    local_date: date | None = None
    payload: dict[str, Any] = field(default_factory=dict)


async def record(session: AsyncSession, user_id: uuid.UUID, events: list[DomainEvent]) -> None:
    """Append `events` to the log (written with the request's transaction), in one
    INSERT. How readers never miss one is `read_after`'s business; writers take no
    lock for it."""
    if not events:
        return
    now = clock.now()
    postgres = session.get_bind().dialect.name == "postgresql"
    await session.execute(
        _INSERT_EVENTS_PG if postgres else _INSERT_EVENTS,
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


@dataclass(frozen=True, slots=True)
class Position:
    """Where a reader of the log stands: (transaction id, event id) of the last event
    it has read (transaction id 0 on SQLite)."""

    txid: int = 0
    event_id: int = 0


async def read_after(
    session: AsyncSession, position: Position, limit: int = 500
) -> tuple[list[Event], Position]:
    """The next events after `position`, in an order no later commit can get ahead of.

    SQLite has one writer at a time, so ids follow commit order. PostgreSQL hands out
    ids when rows are written, and a transaction that took an id early may commit
    after one that took a later id: a reader by id alone could step past it. So each
    event records its transaction id, and only events of transactions older than the
    oldest one still running are read (they are all committed or gone), ordered by
    (transaction id, event id). A slow transaction delays readers; it never hides an
    event from them.
    """
    if session.get_bind().dialect.name == "postgresql":
        horizon = text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        query = (
            select(Event)
            .where(
                tuple_(Event.txid, Event.id) > tuple_(position.txid, position.event_id),
                Event.txid < horizon,
            )
            .order_by(Event.txid, Event.id)
        )
    else:
        query = select(Event).where(Event.id > position.event_id).order_by(Event.id)
    rows = list(await session.scalars(query.limit(limit)))
    if not rows:
        return rows, position
    last = rows[-1]
    return rows, Position(last.txid or 0, last.id)
