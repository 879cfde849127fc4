"""How the summaries stay current (issue 5), subscribed in `habitus.wiring`: in the same
transaction as every write that can change a habit's days."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics.raw import SCHEDULE_REACH
from habitus.analytics.service import keep_current
from habitus.events.kinds import (
    DayWritten,
    HabitChanged,
    HabitUpdated,
    HistoryRewritten,
    ScheduleChanged,
)
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import today_of
from habitus.models import Habit, User


async def _habit(session: AsyncSession, event: DayWritten | HabitChanged) -> Habit | None:
    # The writer holds the row (and its bumped versions) in the session already: no query.
    return None if event.habit_id is None else await session.get(Habit, event.habit_id)


async def day_written(session: AsyncSession, user: User, event: DayWritten) -> None:
    """The rows of the day's unit may change (a period's verdict); the write's habit
    lock bumped the summary version already."""
    habit = await _habit(session, event)
    if habit is not None:
        await keep_current(session, user, habit, changed_from=event.unit_start, locked=True)


async def habit_changed(session: AsyncSession, user: User, event: HabitChanged) -> None:
    """Every edit bumps the summary version (a category or an archive changes what a
    filtered heatmap shows); new rules or dates recompute every row, a new schedule the
    period it cuts short."""
    habit = await _habit(session, event)
    if habit is None:
        return
    rebuild = isinstance(event, HabitUpdated) and event.history_changed
    reach = today_of(user) - SCHEDULE_REACH if isinstance(event, ScheduleChanged) else None
    await keep_current(session, user, habit, rebuild=rebuild, changed_from=reach)


async def history_rewritten(session: AsyncSession, user: User, event: HistoryRewritten) -> None:
    """Rows from the first day walked again (all of them when that is unknown)."""
    habits = await habits_repository.habits_of(session, user.id, archived=None)
    wanted = None if event.habit_ids is None else set(event.habit_ids)
    for habit in habits:
        if wanted is None or habit.id in wanted:
            await keep_current(
                session,
                user,
                habit,
                changed_from=event.local_date,
                rebuild=event.local_date is None,
            )
