"""Reads of a user's notification state that other features (and pages) use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import User
from habitus.reminders import repository
from habitus.reminders.schemas import NotificationSettings, NudgeSetting, WeeklySetting


async def notification_settings(session: AsyncSession, user: User) -> NotificationSettings:
    found = {row.kind: row for row in await repository.reminders_of_user(session, user.id)}
    defaults = NotificationSettings()

    def nudge(kind: str, default: NudgeSetting) -> NudgeSetting:
        row = found.get(kind)
        return NudgeSetting(enabled=row.enabled, time=row.time) if row else default

    weekly = found.get("weekly_summary")
    return NotificationSettings(
        streak_at_risk=nudge("streak_at_risk", defaults.streak_at_risk),
        daily_digest=nudge("digest", defaults.daily_digest),
        weekly_summary=WeeklySetting(
            enabled=weekly.enabled, time=weekly.time, day=(weekly.days or ["mon"])[0]
        )
        if weekly
        else defaults.weekly_summary,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
    )


async def unread_count(session: AsyncSession, user: User) -> int:
    return await repository.unread_count(session, user.id)


async def unread_count_extra(session: AsyncSession, user: User) -> dict[str, Any]:
    """The header's Inbox badge (a page extra, registered in `habitus.wiring`)."""
    return {"unread_count": await unread_count(session, user)}
