"""The coach's part of the account export (docs/EXPORT.md `coach`): every plan with
what the user told the coach and every task, done or not."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import CoachPlan, CoachTask


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> list[dict[str, Any]]:
    plans = list(
        await session.scalars(
            select(CoachPlan).where(CoachPlan.user_id == user_id).order_by(CoachPlan.created_at)
        )
    )
    tasks = list(
        await session.scalars(
            select(CoachTask)
            .where(CoachTask.user_id == user_id)
            .order_by(CoachTask.plan_id, CoachTask.date, CoachTask.position)
        )
    )
    by_plan: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for task in tasks:
        by_plan.setdefault(task.plan_id, []).append(
            {
                "id": str(task.id),
                "date": task.date.isoformat(),
                "position": task.position,
                "text": task.text,
                "done_at": task.done_at.isoformat() if task.done_at else None,
            }
        )
    return [
        {
            "id": str(plan.id),
            "goal": plan.goal,
            "kind": plan.kind,
            "habit_name": plan.habit_name,
            "habit_id": str(plan.habit_id) if plan.habit_id else None,
            "days": plan.days,
            "start_date": plan.start_date.isoformat(),
            "answers": plan.answers,
            "status": plan.status,
            "source": plan.source,
            "created_at": plan.created_at.isoformat(),
            "tasks": by_plan.get(plan.id, []),
        }
        for plan in plans
    ]
