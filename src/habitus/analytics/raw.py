"""Summary rows computed from raw entries (through `core`): what the summaries store, and
what a read takes for the days they do not cover."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics.summaries import (
    DayRow,
    compute_days,
)
from habitus.core import time as core_time
from habitus.core.habits import EntryFact
from habitus.core.outcomes import unit_start
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import HabitContext, contexts_for
from habitus.models import Habit, User

ONE_DAY = timedelta(days=1)
# A schedule change takes effect today, but it cuts the period in progress short:
# recompute back over one whole month or week (and read raw entries that far past a window).
SCHEDULE_REACH = timedelta(days=31)


# --- computing from raw entries ---------------------------------------------------------


async def contexts(
    session: AsyncSession, user: User, habits: Sequence[Habit], today: date
) -> dict[uuid.UUID, HabitContext]:
    # Day rows walk a window from its unit start: a kept streak state is never read.
    found = await contexts_for(session, user, habits, today, kept_states=False)
    return {ctx.habit.id: ctx for ctx in found}


async def raw_days(
    session: AsyncSession,
    user: User,
    parts: Sequence[tuple[Habit, date, date]],
    today: date,
    read: list[int] | None = None,
) -> dict[uuid.UUID, list[DayRow]]:
    """Day rows of each (habit, first, last) computed from raw entries through `core`
    (four queries whatever the number of habits). `read` gets the entry rows read."""
    if not parts:
        return {}
    week_start = core_time.weekday_number(user.week_start)
    loaded = await contexts(session, user, [habit for habit, _, _ in parts], today)
    starts = {
        habit.id: unit_start(loaded[habit.id].rules, first, week_start) for habit, first, _ in parts
    }
    until = max(last for _, _, last in parts) + SCHEDULE_REACH
    facts: dict[uuid.UUID, dict[date, EntryFact]] = defaultdict(dict)
    rows = await habits_repository.entry_facts(session, starts, until)
    if read is not None:
        read.append(len(rows))
    for habit_id, day, status, value in rows:
        facts[habit_id][day] = EntryFact(status, value)
    found: dict[uuid.UUID, list[DayRow]] = {}
    for habit, first, last in parts:
        ctx = loaded[habit.id]
        found[habit.id] = compute_days(
            ctx.rules, facts[habit.id], ctx.breaks, first, last, today, week_start
        )
    return found
