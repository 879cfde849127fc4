"""Webhooks for domain events (issue 6: "also used for events: check-in, streak
extended, streak broken"): a durable consumer of the event log (`events.consumers` runs it
in the worker, registered in `habitus.wiring`) that adds a delivery per webhook channel
that asked for events; `source_key` `event:<id>` keeps each event to one delivery per
channel whatever workers race."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import DomainEvent, EntryLogged, StreakBroken, StreakExtended
from habitus.events.service import StoredEvent
from habitus.kit import clock
from habitus.models import Channel, Habit
from habitus.reminders import repository
from habitus.reminders.channel_types import event_channel_types

CONSUMER = "webhooks"
# What a webhook receiver hears about, and the words for it.
FORWARDED: dict[type[DomainEvent], str] = {
    EntryLogged: "checkin",
    StreakExtended: "streak_extended",
    StreakBroken: "streak_broken",
}
KINDS = tuple(FORWARDED)
TITLES = {
    "checkin": "{name}: checked in",
    "streak_extended": "{name}: streak extended",
    "streak_broken": "{name}: streak broken",
}


def _streak_words(event: DomainEvent) -> str:
    if isinstance(event, StreakExtended | StreakBroken):
        return f": streak {event.current} {event.unit}(s)"
    return ""


async def forward(session: AsyncSession, found: list[StoredEvent]) -> None:
    """Deliveries for the events that webhook channels asked for (in the consumer's own
    transaction, with its cursor's move)."""
    now = clock.now()
    user_ids = {item.user_id for item in found}
    hooks: dict[uuid.UUID, list[Channel]] = {}
    for channel in await session.scalars(
        select(Channel).where(
            Channel.user_id.in_(user_ids),
            Channel.type.in_(event_channel_types()),
            Channel.events.is_(True),
            Channel.enabled.is_(True),
        )
    ):
        hooks.setdefault(channel.user_id, []).append(channel)
    if not hooks:
        return
    habit_ids = {item.event.habit_id for item in found if item.event.habit_id is not None}
    names = {
        row.id: row.name
        for row in await session.scalars(select(Habit).where(Habit.id.in_(habit_ids)))
    }
    rows = []
    for item in found:
        event = item.event
        kind = FORWARDED[type(event)]
        name = names.get(event.habit_id, "A habit") if event.habit_id else "A habit"
        title = TITLES[kind].format(name=name)
        body = f"{title} on {event.local_date}" + _streak_words(event)
        for channel in hooks.get(item.user_id, []):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "created_at": now,
                    "user_id": item.user_id,
                    "channel_id": channel.id,
                    "source_key": f"event:{item.id}",
                    "event": kind,
                    "title": title[:200],
                    "body": body,
                    "habit_id": event.habit_id,
                    "habit_name": names.get(event.habit_id) if event.habit_id else None,
                    "local_date": event.local_date,
                    "state": "pending",
                    "attempts": 0,
                    "due_at": item.created_at,
                    "next_attempt_at": now,
                }
            )
    await repository.add_deliveries(session, rows)
