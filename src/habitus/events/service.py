"""Publishing domain events: subscribers in the same transaction as the change that caused
them, then the log; and reading the log in an order no later commit can get ahead of."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events import codec
from habitus.events.kinds import DomainEvent
from habitus.kit import clock
from habitus.models import Event, User
from habitus.registry import registry

_INSERT_EVENTS = insert(Event)
# On PostgreSQL each event carries the id of the transaction that wrote it.
_INSERT_EVENTS_PG = insert(Event).values(txid=text("pg_current_xact_id()::text::bigint"))
# Subscribers may publish in turn; a chain longer than this is a loop.
MAX_CASCADE = 8


async def publish(
    session: AsyncSession, user: User, events: Sequence[DomainEvent]
) -> list[DomainEvent]:
    """What a write does with the events it caused: run their subscribers (registered in
    `habitus.wiring`) in this transaction, in order, then publish whatever they returned
    the same way, then append everything to the log in one INSERT (the log's lock is the
    last a writer takes). Returns the events recorded (those `logged`), the write's own
    first."""
    recorded: list[DomainEvent] = []
    pending = list(events)
    for _ in range(MAX_CASCADE):
        if not pending:
            break
        recorded.extend(pending)
        produced: list[DomainEvent] = []
        for event in pending:
            for handler in registry.handlers_for(event):
                more = await handler(session, user, event)
                if more:
                    produced.extend(more)
        pending = produced
    else:
        if pending:
            raise RuntimeError(f"events published each other more than {MAX_CASCADE} deep")
    logged = [event for event in recorded if event.logged]
    await record(session, user.id, logged)
    return logged


async def record(session: AsyncSession, user_id: uuid.UUID, events: list[DomainEvent]) -> None:
    """Append `events` to the log (written with the request's transaction), in one
    INSERT. How readers never miss one is `read_after`'s business; writers take no
    lock for it. Use `publish`, which runs the subscribers first."""
    if not events:
        return
    now = clock.now()
    postgres = session.get_bind().dialect.name == "postgresql"
    await session.execute(
        _INSERT_EVENTS_PG if postgres else _INSERT_EVENTS,
        [{**codec.row_of(event), "user_id": user_id, "created_at": now} for event in events],
    )


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the log keeps it, for durable consumers."""

    id: int
    user_id: uuid.UUID
    created_at: datetime
    event: DomainEvent


def stored(row: Event) -> StoredEvent:
    return StoredEvent(
        row.id,
        row.user_id,
        row.created_at,
        codec.event_of(row.kind, row.habit_id, row.local_date, row.payload or {}),
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
