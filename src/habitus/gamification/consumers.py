"""The achievements that need every habit's days (D10.1 perfect_day, perfect_week,
month_80, comeback), decided by the worker from the event log after the write committed
(registered in `habitus.wiring`): a check-in pays no cross-habit query. Each batch groups
the events by user and reads the days around the dates they touched, in a handful of
queries per user whatever the history's length; backfilled days count."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.achievements import Facts
from habitus.events.kinds import (
    BreakCreated,
    BreakDeleted,
    DayCompleted,
    DomainEvent,
    EntryLogged,
    EntryRemoved,
)
from habitus.events.service import StoredEvent, publish
from habitus.gamification import facts, repository
from habitus.gamification.earning import earn_from
from habitus.habits.evaluation import today_of
from habitus.models import User

CONSUMER = "achievements"
# What can make a day perfect or a unit done: a completion, a skip, a break.
KINDS: tuple[type[DomainEvent], ...] = (
    DayCompleted,
    EntryLogged,
    EntryRemoved,
    BreakCreated,
    BreakDeleted,
)
CROSS_HABIT = frozenset({"perfect_day", "perfect_week", "month_80", "comeback"})


async def decide(session: AsyncSession, found: list[StoredEvent]) -> None:
    """Earn what the touched days earn, user by user, in the consumer's transaction."""
    by_user: dict[uuid.UUID, list[DomainEvent]] = defaultdict(list)
    for item in found:
        by_user[item.user_id].append(item.event)
    for user_id, events in by_user.items():
        user = await session.get(User, user_id)
        if user is not None:
            await _decide_for(session, user, events)


async def _decide_for(session: AsyncSession, user: User, events: list[DomainEvent]) -> None:
    earned = await repository.earned_ids(session, user.id)
    if earned >= CROSS_HABIT:
        return
    today = today_of(user)
    dates = sorted(
        {e.local_date for e in events if e.local_date is not None and e.local_date <= today}
    )
    if not dates:
        return
    longest_perfect, _ = await facts.perfect_run_around(session, user, dates, today)
    best_month = (
        0 if "month_80" in earned else await facts.best_finished_month(session, user, dates, today)
    )
    comeback = 0
    if "comeback" not in earned:
        completed: set[tuple[uuid.UUID, date]] = {
            (e.habit_id, e.local_date)
            for e in events
            if isinstance(e, DayCompleted)
            and e.unit == "day"
            and e.habit_id is not None
            and e.local_date is not None
        }
        for habit_id, day in sorted(completed, key=lambda pair: pair[1]):
            comeback = max(comeback, await facts.comeback_of(session, user, habit_id, day, today))
    unlocked = await earn_from(
        session,
        user,
        Facts(
            perfect_days_in_a_row=longest_perfect,
            best_month_percent=best_month,
            comeback_after=comeback,
        ),
        earned,
        local_date=dates[-1],
    )
    if unlocked:
        await publish(session, user, unlocked)
