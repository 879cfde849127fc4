"""The health part of the account export (docs/EXPORT.md `health`): every log with its
fields (metric units, as stored), the weight goal, and the units the user reads them in
(kg/lb, cm/in; null until chosen). Health data is personal data
(issue 19): it goes out with the account, in full."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.health.service import values_of
from habitus.models.health import HealthGoal, HealthLog, HealthSettings


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    logs = await session.scalars(
        select(HealthLog)
        .where(HealthLog.user_id == user_id)
        .order_by(HealthLog.date, HealthLog.time, HealthLog.created_at, HealthLog.id)
    )
    goal = await session.get(HealthGoal, user_id)
    units = await session.get(HealthSettings, user_id)
    return {
        "logs": [
            {
                "id": str(log.id),
                "date": log.date.isoformat(),
                "time": log.time.strftime("%H:%M"),
                "source": log.source,
                "fields": values_of(log),
                "created_at": log.created_at.isoformat(),
            }
            for log in logs
        ],
        "goal": (
            {
                "weight_kg": goal.weight_kg,
                "direction": goal.direction,
                "updated_at": goal.updated_at.isoformat(),
            }
            if goal is not None
            else None
        ),
        "settings": (
            {
                "mass_unit": units.mass_unit,
                "length_unit": units.length_unit,
                "updated_at": units.updated_at.isoformat(),
            }
            if units is not None
            else None
        ),
    }
