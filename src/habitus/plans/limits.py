"""The free plan's limits, and the one check every service that could pass one calls.

Plans are off by default (`HABITUS_PLANS`): then `PlanLimits.enabled` is false, every
check returns at once and nobody sees a plan. On, a free account may keep
`plan_free_active_habits` habits active (not archived) and may create challenges only
if `plan_free_challenges`; a pro account has no limits. Going past a limit is a 403
with problem type `urn:habitus:problem:plan-limit` naming the limit (`limit`), which
the pages turn into an upgrade note.

Services take the limits as an argument (`limits=`), given by the route from the
settings (`plans.dependencies.Plans`): creating or restoring a habit
(`habits.service`) and creating a challenge (`social.challenges`). Habits made on the
user's behalf (onboarding's starters, a joined challenge's habits, imports) are not
refused; they still count towards the limit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.config import Settings
from habitus.errors import Forbidden
from habitus.models import Habit, User

Plan = Literal["free", "pro"]
PLANS: tuple[Plan, ...] = ("free", "pro")
LimitName = Literal["active_habits", "challenge_creation"]


@dataclass(frozen=True, slots=True)
class PlanLimits:
    enabled: bool = False
    free_active_habits: int = 5
    free_challenges: bool = False

    def applies_to(self, user: User) -> bool:
        """Whether this user is held to the free plan's limits."""
        return self.enabled and user.plan != "pro"


UNLIMITED = PlanLimits(enabled=False)


def limits_of(settings: Settings) -> PlanLimits:
    return PlanLimits(
        enabled=settings.plans,
        free_active_habits=settings.plan_free_active_habits,
        free_challenges=settings.plan_free_challenges,
    )


class PlanLimitReached(Forbidden):
    """403 `plan-limit`: the free plan does not allow this (`limit` names which)."""

    code = "plan-limit"

    def __init__(self, limit: LimitName, message: str, *, allowed: int) -> None:
        super().__init__(message, extra={"limit": limit, "plan": "free", "allowed": allowed})
        self.limit = limit
        self.allowed = allowed


def _habits_word(count: int) -> str:
    return "1 active habit" if count == 1 else f"{count} active habits"


async def check_active_habits(session: AsyncSession, user: User, limits: PlanLimits) -> None:
    """Raise `PlanLimitReached` unless the user may have one more active habit (before
    creating or restoring one). The user's row is locked first (PostgreSQL; SQLite has
    one writer), so two creations at once cannot both see room for one."""
    if not limits.applies_to(user):
        return
    await session.execute(select(User.id).where(User.id == user.id).with_for_update())
    active = await active_habit_count(session, user.id)
    if active >= limits.free_active_habits:
        raise PlanLimitReached(
            "active_habits",
            f"The free plan keeps up to {_habits_word(limits.free_active_habits)}; "
            "archive one or upgrade to Pro for more.",
            allowed=limits.free_active_habits,
        )


async def check_restore(
    session: AsyncSession, user: User, habit_id: uuid.UUID, limits: PlanLimits
) -> None:
    """Before restoring (unarchiving) a habit: `check_active_habits` when the habit is
    the user's and archived (anything else is the caller's business: a 404, a no-op)."""
    if not limits.applies_to(user):
        return
    query = select(Habit.archived_at).where(Habit.id == habit_id, Habit.user_id == user.id)
    if await session.scalar(query) is not None:
        await check_active_habits(session, user, limits)


def check_challenge_creation(user: User, limits: PlanLimits) -> None:
    """Raise `PlanLimitReached` unless the user's plan lets them create a challenge."""
    if limits.applies_to(user) and not limits.free_challenges:
        raise PlanLimitReached(
            "challenge_creation",
            "Creating challenges is part of Pro; on the free plan you can join them.",
            allowed=0,
        )


async def active_habit_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(Habit)
        .where(Habit.user_id == user_id, Habit.archived_at.is_(None))
    )
    return int(await session.scalar(query) or 0)
