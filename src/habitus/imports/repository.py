"""Queries of imports: the record of each imported file, and bulk writes of days."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Entry, HabitBreak, ImportRecord


async def record_of(session: AsyncSession, user_id: uuid.UUID, sha256: str) -> ImportRecord | None:
    return await session.scalar(
        select(ImportRecord).where(ImportRecord.user_id == user_id, ImportRecord.sha256 == sha256)
    )


async def entry_dates(session: AsyncSession, habit_id: uuid.UUID) -> set[date]:
    rows = await session.scalars(select(Entry.local_date).where(Entry.habit_id == habit_id))
    return set(rows)


async def insert_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many new entries in one statement (the caller made sure none exists yet)."""
    if rows:
        for row in rows:
            row.setdefault("id", uuid.uuid4())
        await session.execute(insert(Entry), rows)


async def add_break(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    habit_id: uuid.UUID | None,
    start: date,
    end: date,
    reason: str | None,
) -> bool:
    """Add the break unless the same one is there already (True: added)."""
    found = await session.scalar(
        select(HabitBreak.id).where(
            HabitBreak.user_id == user_id,
            HabitBreak.habit_id.is_(None) if habit_id is None else HabitBreak.habit_id == habit_id,
            HabitBreak.start_date == start,
            HabitBreak.end_date == end,
        )
    )
    if found is not None:
        return False
    session.add(
        HabitBreak(
            user_id=user_id, habit_id=habit_id, start_date=start, end_date=end, reason=reason
        )
    )
    await session.flush()
    return True
