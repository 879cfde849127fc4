"""The upgrade note pages show where the API answers a 403 `plan-limit`: what the free
plan allows, and the way to Pro (Stripe's Checkout when billing is on, else the
administrator). Templates include `plans/_upgrade_note.html` with `upgrade` set."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.config import Settings
from habitus.models import User
from habitus.plans.limits import (
    PlanLimitReached,
    PlanLimits,
    active_habit_count,
    check_analytics_window,
    check_challenge_creation,
    check_exports,
)


@dataclass(frozen=True, slots=True)
class UpgradeNote:
    message: str
    limit: str
    checkout: bool  # a Checkout button (Stripe billing is on), else "ask your admin"


def note_for(error: PlanLimitReached, settings: Settings) -> UpgradeNote:
    return UpgradeNote(message=error.message, limit=error.limit, checkout=settings.billing_enabled)


async def habit_note(
    session: AsyncSession, user: User, limits: PlanLimits, settings: Settings
) -> UpgradeNote | None:
    """The note the new-habit form shows before anything is typed, when one more active
    habit would be refused (None otherwise, and always with plans off)."""
    if not limits.applies_to(user):
        return None
    if await active_habit_count(session, user.id) < limits.free_active_habits:
        return None
    count = limits.free_active_habits
    habits = "1 active habit" if count == 1 else f"{count} active habits"
    message = (
        f"You have {habits}, as many as the free plan keeps. "
        "Archive one to make room, or upgrade to Pro for more."
    )
    return UpgradeNote(message=message, limit="active_habits", checkout=settings.billing_enabled)


def challenge_note(user: User, limits: PlanLimits, settings: Settings) -> UpgradeNote | None:
    """The note the challenge form shows when creating one would be refused."""
    try:
        check_challenge_creation(user, limits)
    except PlanLimitReached as error:
        return note_for(error, settings)
    return None


def analytics_note(
    user: User, limits: PlanLimits, settings: Settings, days: int
) -> UpgradeNote | None:
    """The note the analytics page shows in place of a window longer than the free
    plan's (the page then shows the free window)."""
    try:
        check_analytics_window(user, limits, days)
    except PlanLimitReached as error:
        return note_for(error, settings)
    return None


def exports_note(user: User, limits: PlanLimits, settings: Settings) -> UpgradeNote | None:
    """The note a page shows in place of the CSV, iCalendar and analytics downloads when
    the user's plan does not include them."""
    try:
        check_exports(user, limits)
    except PlanLimitReached as error:
        return note_for(error, settings)
    return None
