"""Turning facts into earned achievements: the rows (once per user, whatever races) and
the events that announce them (`AchievementUnlocked`, in the write's answer and the log)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.achievements import BY_ID, Facts, newly_earned
from habitus.events.kinds import AchievementUnlocked, DomainEvent
from habitus.gamification import repository
from habitus.models import User


async def earn_from(
    session: AsyncSession,
    user: User,
    facts: Facts,
    earned: Iterable[str],
    *,
    habit_id: uuid.UUID | None = None,
    local_date: date | None = None,
) -> list[DomainEvent]:
    """Earn what `facts` earn that `earned` lacks (D10.1); an event per row this call wrote
    (another transaction may have written it first: then nothing, D10.1 at most once)."""
    candidates = newly_earned(facts, earned)
    if not candidates:
        return []
    written = await repository.earn(
        session,
        user.id,
        [achievement.id for achievement in candidates],
        local_date=local_date,
        habit_id=habit_id,
    )
    return [
        AchievementUnlocked(
            habit_id=habit_id,
            local_date=local_date,
            achievement=achievement_id,
            title=BY_ID[achievement_id].title,
            category=BY_ID[achievement_id].category,
        )
        for achievement_id in written
    ]
