"""Next firing instants of stored reminders (D9.1, D9.2), from `core.reminders`, and
keeping them true when a reminder, a habit's schedule, a break or the user's zone
changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.reminders import ReminderRule, next_firing, required_day_predicate
from habitus.core.time import WEEKDAYS
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import HabitContext, contexts_for, today_of
from habitus.kit import clock
from habitus.models import Habit, Reminder, User
from habitus.reminders import repository


def parse_time(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def rule_of(reminder: Reminder) -> ReminderRule:
    weekdays = frozenset(WEEKDAYS.index(name) for name in reminder.days) if reminder.days else None
    return ReminderRule(parse_time(reminder.time), weekdays)


def next_of(
    reminder: Reminder, user: User, ctx: HabitContext | None, after: datetime
) -> tuple[datetime | None, date | None]:
    """The first firing strictly after `after`: on the habit's required days unless the
    reminder names weekdays; None when disabled or nothing is ahead (an ended habit)."""
    if not reminder.enabled:
        return None, None
    predicate = None
    if reminder.kind == "habit" and not reminder.days and ctx is not None:
        predicate = required_day_predicate(ctx.rules, ctx.breaks)
    firing = next_firing(
        rule_of(reminder),
        user.timezone,
        after,
        day_start_hour=user.day_start_hour,
        is_required=predicate,
    )
    return (firing.at, firing.local_date) if firing is not None else (None, None)


async def contexts_by_habit(
    session: AsyncSession, user: User, habits: Sequence[Habit]
) -> dict[uuid.UUID, HabitContext]:
    if not habits:
        return {}
    today = today_of(user)
    found = await contexts_for(session, user, habits, today, kept_states=False)
    return {ctx.habit.id: ctx for ctx in found}


async def recompute(session: AsyncSession, user: User, habit_ids: list[uuid.UUID] | None) -> None:
    """After a change of zone, day start, schedule, dates or breaks (or of the reminder
    itself): every affected reminder's next instant again, from now."""
    reminders = await repository.reminders_of_user(session, user.id)
    if habit_ids is not None:
        wanted = set(habit_ids)
        reminders = [row for row in reminders if row.habit_id in wanted]
    if not reminders:
        return
    needed = {row.habit_id for row in reminders if row.habit_id is not None}
    habits = [
        habit
        for habit in await habits_repository.habits_of(session, user.id, archived=None)
        if habit.id in needed
    ]
    contexts = await contexts_by_habit(session, user, habits)
    now = clock.now()
    for row in reminders:
        ctx = contexts.get(row.habit_id) if row.habit_id is not None else None
        row.next_fire_at, row.next_local_date = next_of(row, user, ctx, now)
    await session.flush()
