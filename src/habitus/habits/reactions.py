"""How habits follow changes elsewhere (subscribed in `habitus.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import BreakChanged, OnboardingFinished, UserSettingsChanged
from habitus.habits.schemas import HabitCreate
from habitus.habits.service import create_habit, refresh_states
from habitus.models import User


async def break_changed(session: AsyncSession, user: User, event: BreakChanged) -> None:
    """D3.2: the habits the break covers (all, for a break of every habit) walk their
    histories again from its first day."""
    await refresh_states(
        session,
        user,
        [event.habit_id] if event.habit_id is not None else None,
        changed_from=event.local_date,
    )


async def settings_changed(session: AsyncSession, user: User, event: UserSettingsChanged) -> None:
    """D1: another zone, day start or week start moves "today" or the weeks: walk again."""
    if event.calendar_changed:
        await refresh_states(session, user, None, changed_from=None)


async def onboarding_finished(session: AsyncSession, user: User, event: OnboardingFinished) -> None:
    """The starter habits the user kept: daily yes/no habits from today."""
    for name in event.starter_habits:
        body = HabitCreate.model_validate({"name": name, "schedule": {"type": "daily"}})
        await create_habit(session, user, body)
