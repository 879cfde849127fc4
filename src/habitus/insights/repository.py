"""Queries of the habit page and the History page. Each filters by the acting user."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.habits import Status
from habitus.models import Entry

DayRow = tuple[date, Status, float | None, datetime | None, str | None]


async def day_rows(
    session: AsyncSession,
    user_id: uuid.UUID,
    habit_id: uuid.UUID,
    first: date,
    last: date,
    *,
    logged_from: date,
) -> list[DayRow]:
    """(local_date, status, value, logged_at, logged_tz) of the habit's entries in
    [first, last]: the columns the evaluation reads, and when entries from
    `logged_from` on were logged (None before it; the best times look at those)."""
    recent = Entry.local_date >= logged_from
    rows = await session.execute(
        select(
            Entry.local_date,
            Entry.status,
            Entry.value,
            case((recent, Entry.logged_at), else_=None),
            case((recent, Entry.logged_tz), else_=None),
        )
        .where(
            Entry.habit_id == habit_id,
            Entry.user_id == user_id,
            Entry.local_date >= first,
            Entry.local_date <= last,
        )
        .order_by(Entry.local_date)
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]


async def latest_entries(
    session: AsyncSession,
    user_id: uuid.UUID,
    habit_id: uuid.UUID,
    *,
    before: date | None,
    limit: int,
) -> list[Entry]:
    """The habit's entries newest first, older than `before` when given (keyset)."""
    query = (
        select(Entry)
        .where(Entry.habit_id == habit_id, Entry.user_id == user_id)
        .order_by(Entry.local_date.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Entry.local_date < before)
    return list(await session.scalars(query))


async def notes_on(session: AsyncSession, user_id: uuid.UUID, day: date) -> dict[uuid.UUID, str]:
    """{habit id: note} of the user's entries with a note on `day`."""
    rows = await session.execute(
        select(Entry.habit_id, Entry.note).where(
            Entry.user_id == user_id, Entry.local_date == day, Entry.note.is_not(None)
        )
    )
    return {row[0]: row[1] for row in rows if row[1]}
