"""A user's habits, schedule versions and breaks as plain JSON (GET /me/export; its
entries stream apart, `repository.export_entries`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.habits import repository
from habitus.models import User

Rows = list[dict[str, Any]]


async def export_habits(session: AsyncSession, user: User) -> tuple[Rows, Rows]:
    habits, versions, breaks = await repository.everything_of(session, user.id)
    schedules: dict[Any, Rows] = defaultdict(list)
    for version in versions:
        schedules[version.habit_id].append(
            {"effective_from": version.effective_from.isoformat(), "schedule": version.schedule}
        )
    return (
        [
            {
                "id": str(habit.id),
                "name": habit.name,
                "description": habit.description,
                "kind": habit.kind,
                "polarity": habit.polarity,
                "target": (
                    {"value": habit.target_value, "unit": habit.unit, "direction": habit.direction}
                    if habit.kind == "measurable"
                    else None
                ),
                "schedules": schedules[habit.id],
                "start_date": habit.start_date.isoformat(),
                "end_date": habit.end_date.isoformat() if habit.end_date else None,
                "backfill_days": habit.backfill_days,
                "category": habit.category,
                "tags": list(habit.tags or []),
                "color": habit.color,
                "icon": habit.icon,
                "visibility": habit.visibility,
                "position": habit.position,
                "archived_at": habit.archived_at.isoformat() if habit.archived_at else None,
                "created_at": habit.created_at.isoformat(),
            }
            for habit in habits
        ],
        [
            {
                "id": str(pause.id),
                "habit_id": str(pause.habit_id) if pause.habit_id else None,
                "start_date": pause.start_date.isoformat(),
                "end_date": pause.end_date.isoformat(),
                "reason": pause.reason,
            }
            for pause in breaks
        ],
    )
