"""How reminders follow changes elsewhere (subscribed in `habitus.wiring`): a reminder on
"the habit's required days" (D9.1) fires at another instant once the schedule, the dates,
a break or the user's calendar change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import HabitChanged, HabitUpdated, HistoryRewritten, ScheduleChanged
from habitus.models import User
from habitus.reminders.schedule import recompute


async def habit_changed(session: AsyncSession, user: User, event: HabitChanged) -> None:
    """A new schedule, or new dates (`history_changed`), move the required days."""
    moved = isinstance(event, ScheduleChanged) or (
        isinstance(event, HabitUpdated) and event.history_changed
    )
    if moved and event.habit_id is not None:
        await recompute(session, user, [event.habit_id])


async def history_rewritten(session: AsyncSession, user: User, event: HistoryRewritten) -> None:
    await recompute(session, user, None if event.habit_ids is None else list(event.habit_ids))
