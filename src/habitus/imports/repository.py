"""Queries of imports: the record of each imported file, and bulk writes of days."""

from __future__ import annotations

import uuid
from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.models import Entry, HabitBreak, ImportRecord

_RECORDS = cast(Table, ImportRecord.__table__)
_ENTRIES = cast(Table, Entry.__table__)


async def record_of(session: AsyncSession, user_id: uuid.UUID, sha256: str) -> ImportRecord | None:
    return await session.scalar(
        select(ImportRecord)
        .where(ImportRecord.user_id == user_id, ImportRecord.sha256 == sha256)
        .execution_options(populate_existing=True)
    )


async def drop_unfinished(session: AsyncSession, record_id: uuid.UUID) -> None:
    """Delete a claim that never finished (a failed import's, or a crashed one's)."""
    await session.execute(
        delete(_RECORDS).where(_RECORDS.c.id == record_id, _RECORDS.c.finished_at.is_(None))
    )


async def finish(session: AsyncSession, record_id: uuid.UUID, **counts: Any) -> None:
    """Write what the import did into its record, and mark it finished."""
    await session.execute(update(_RECORDS).where(_RECORDS.c.id == record_id).values(**counts))


@lru_cache(maxsize=4)
def _insert_new(dialect: str) -> Any:
    insert: Any = db.insert_for(dialect)
    return (
        insert(_ENTRIES)
        .on_conflict_do_nothing(index_elements=["habit_id", "local_date"])
        .returning(_ENTRIES.c.habit_id)
    )


async def insert_new_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert each row whose (habit, day) has no entry yet (D4.1), in one statement;
    the habit of every row inserted (a day already there is left as it is)."""
    if not rows:
        return []
    for row in rows:
        row.setdefault("id", uuid.uuid4())
    result = await session.execute(_insert_new(db.dialect_of(session)), rows)
    return list(result.scalars())


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
