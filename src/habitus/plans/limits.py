"""The free plan's limits, and the one check every service that could pass one calls.

Plans are off by default (`HABITUS_PLANS`): then `PlanLimits.enabled` is false, every
check returns at once and nobody sees a plan. On, a free account may keep
`plan_free_active_habits` habits active (not archived), may create challenges only if
`plan_free_challenges`, sees analytics over at most `plan_free_analytics_days` days and
without the monthly and yearly reports ("advanced analytics"; the weekly summary stays
free), and downloads CSV, iCalendar or the analytics page's JSON only if
`plan_free_exports`. The whole-account export (GET /me/export) is never limited: a
person may always take their data with them. A pro account has no limits. Going past a
limit is a 403 with problem type `urn:habitus:problem:plan-limit` naming the limit
(`limit`), which the pages turn into an upgrade note.

Services take the limits as an argument (`limits=`), given by the route from the
settings (`plans.dependencies.Plans`): creating or restoring a habit
(`habits.service`), creating a challenge (`social.challenges`); the analytics and
export routes check their windows and formats themselves (they write nothing). Habits made on the
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
LimitName = Literal["active_habits", "challenge_creation", "advanced_analytics", "exports"]


@dataclass(frozen=True, slots=True)
class PlanLimits:
    enabled: bool = False
    free_active_habits: int = 5
    free_challenges: bool = False
    free_analytics_days: int = 30
    free_exports: bool = False

    def applies_to(self, user: User) -> bool:
        """Whether this user is held to the free plan's limits."""
        return self.enabled and user.plan != "pro"


UNLIMITED = PlanLimits(enabled=False)


def limits_of(settings: Settings) -> PlanLimits:
    return PlanLimits(
        enabled=settings.plans,
        free_active_habits=settings.plan_free_active_habits,
        free_challenges=settings.plan_free_challenges,
        free_analytics_days=settings.plan_free_analytics_days,
        free_exports=settings.plan_free_exports,
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


def check_report(user: User, limits: PlanLimits, period: str) -> None:
    """Raise `PlanLimitReached` when the free plan does not include this report: the
    weekly one is the free plan's summary, the monthly and yearly ones are Pro's."""
    if limits.applies_to(user) and period != "weekly":
        raise PlanLimitReached(
            "advanced_analytics",
            f"The {period} report is part of Pro; the free plan has the weekly one.",
            allowed=limits.free_analytics_days,
        )


def check_analytics_window(user: User, limits: PlanLimits, days: int) -> None:
    """Raise `PlanLimitReached` when an analytics window of `days` days (both ends
    counted) is longer than the free plan shows."""
    if limits.applies_to(user) and days > limits.free_analytics_days:
        raise PlanLimitReached(
            "advanced_analytics",
            f"The free plan shows analytics over the last {limits.free_analytics_days} "
            "days; longer ranges are part of Pro.",
            allowed=limits.free_analytics_days,
        )


def check_exports(user: User, limits: PlanLimits) -> None:
    """Raise `PlanLimitReached` unless the user's plan includes CSV, iCalendar and the
    analytics JSON (never called for the whole-account export)."""
    if limits.applies_to(user) and not limits.free_exports:
        raise PlanLimitReached(
            "exports",
            "CSV, calendar and analytics downloads are part of Pro; "
            "Settings still has the download of all your data.",
            allowed=0,
        )


async def active_habit_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(Habit)
        .where(Habit.user_id == user_id, Habit.archived_at.is_(None))
    )
    return int(await session.scalar(query) or 0)
