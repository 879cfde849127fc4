"""Every query of breaks; each filtered by the acting user."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit.pagination import after_time_id
from habitus.models import HabitBreak


async def break_of(
    session: AsyncSession, user_id: uuid.UUID, break_id: uuid.UUID
) -> HabitBreak | None:
    return await session.scalar(
        select(HabitBreak).where(HabitBreak.id == break_id, HabitBreak.user_id == user_id)
    )


async def breaks_of(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[HabitBreak]:
    """Newest first."""
    query = (
        select(HabitBreak)
        .where(HabitBreak.user_id == user_id)
        .order_by(HabitBreak.created_at.desc(), HabitBreak.id.desc())
        .limit(limit)
    )
    if (later := after_time_id(HabitBreak, after)) is not None:
        query = query.where(later)
    return list(await session.scalars(query))
