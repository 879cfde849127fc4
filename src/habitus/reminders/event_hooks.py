"""Webhooks for domain events (issue 6: "also used for events: check-in, streak
extended, streak broken"). The dispatcher reads the event log after its cursor
(`events.service.read_after`, which never skips a late commit) and adds a delivery per
webhook channel that asked for events; `source_key` `event:<id>` keeps each event to one
delivery per channel whatever workers race."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.events import service as events
from habitus.events.service import Position
from habitus.models import Channel, EventCursor, Habit
from habitus.reminders import repository

CONSUMER = "webhooks"
BATCH = 500
# What a webhook receiver hears about, and the words for it.
FORWARDED = {
    events.HABIT_LOGGED: "checkin",
    events.STREAK_EXTENDED: "streak_extended",
    events.STREAK_BROKEN: "streak_broken",
}
TITLES = {
    "checkin": "{name}: checked in",
    "streak_extended": "{name}: streak extended",
    "streak_broken": "{name}: streak broken",
}


async def _position(session: AsyncSession) -> Position:
    cursor = await session.get(EventCursor, CONSUMER)
    if cursor is None:
        session.add(EventCursor(consumer=CONSUMER, last_txid=0, last_event_id=0))
        await session.flush()
        return Position(0, 0)
    return Position(cursor.last_txid, cursor.last_event_id)


async def forward(maker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """One batch of events to the webhooks that subscribed; events read. The
    cursor moves by a conditional UPDATE, so two workers never both forward a batch
    (and if they did, the unique source key would drop the copy)."""
    async with db.job_transaction(maker) as session:
        start = await _position(session)
        found, end = await events.read_after(session, start, BATCH)
        if not found:
            return 0
        moved = await session.execute(
            update(EventCursor)
            .where(
                EventCursor.consumer == CONSUMER,
                EventCursor.last_txid == start.txid,
                EventCursor.last_event_id == start.event_id,
            )
            .values(last_txid=end.txid, last_event_id=end.event_id)
        )
        if db.rowcount(moved) != 1:
            return 0
        wanted = [event for event in found if event.kind in FORWARDED]
        if not wanted:
            return len(found)
        user_ids = {event.user_id for event in wanted}
        hooks: dict[uuid.UUID, list[Channel]] = {}
        for channel in await session.scalars(
            select(Channel).where(
                Channel.user_id.in_(user_ids),
                Channel.type == "webhook",
                Channel.events.is_(True),
                Channel.enabled.is_(True),
            )
        ):
            hooks.setdefault(channel.user_id, []).append(channel)
        if not hooks:
            return len(found)
        habit_ids = {event.habit_id for event in wanted if event.habit_id is not None}
        names = {
            row.id: row.name
            for row in await session.scalars(select(Habit).where(Habit.id.in_(habit_ids)))
        }
        rows = []
        for event in wanted:
            kind = FORWARDED[event.kind]
            name = names.get(event.habit_id, "A habit") if event.habit_id else "A habit"
            title = TITLES[kind].format(name=name)
            streak = event.payload.get("current")
            body = f"{title} on {event.local_date}" + (
                f": streak {streak} {event.payload.get('unit', 'day')}(s)"
                if streak is not None
                else ""
            )
            for channel in hooks.get(event.user_id, []):
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "created_at": now,
                        "user_id": event.user_id,
                        "channel_id": channel.id,
                        "source_key": f"event:{event.id}",
                        "event": kind,
                        "title": title[:200],
                        "body": body,
                        "habit_id": event.habit_id,
                        "habit_name": names.get(event.habit_id) if event.habit_id else None,
                        "local_date": event.local_date,
                        "state": "pending",
                        "attempts": 0,
                        "due_at": event.created_at,
                        "next_attempt_at": now,
                    }
                )
        await repository.add_deliveries(session, rows)
        return len(found)
