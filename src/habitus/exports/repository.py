"""Queries of the export: entry rows for the CSV, entries for calendars, calendar feeds.

Each takes the acting user and filters by it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.db import rowcount
from habitus.models import CalendarFeed, Entry, Habit, User


def entry_rows(
    user_id: uuid.UUID,
    first: date | None,
    last: date | None,
    habit_id: uuid.UUID | None,
    category: str | None = None,
) -> Select[Any]:
    """The CSV's rows: (habit_id, habit name, date, status, value, note, logged_at), by
    date, then in the user's habit order; `category`: only habits of it ("" those
    without one, as the reports' filter)."""
    query: Any = (
        select(
            Entry.habit_id,
            Habit.name,
            Entry.local_date,
            Entry.status,
            Entry.value,
            Entry.note,
            Entry.logged_at,
        )
        .join(Habit, Habit.id == Entry.habit_id)
        .where(Entry.user_id == user_id)
        .order_by(Entry.local_date, Habit.position, Habit.id)
    )
    if habit_id is not None:
        query = query.where(Entry.habit_id == habit_id)
    if category is not None:
        query = query.where(func.coalesce(Habit.category, "") == category)
    if first is not None:
        query = query.where(Entry.local_date >= first)
    if last is not None:
        query = query.where(Entry.local_date <= last)
    return cast("Select[Any]", query)


async def entries_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    habit_ids: list[uuid.UUID],
    first: date | None,
    last: date | None,
) -> list[Row[Any]]:
    """(habit_id, local_date, status, value, note, updated_at) of each entry: plain rows,
    several times cheaper than ORM objects over years of history."""
    if not habit_ids:
        return []
    query = select(
        Entry.habit_id, Entry.local_date, Entry.status, Entry.value, Entry.note, Entry.updated_at
    ).where(Entry.user_id == user_id, Entry.habit_id.in_(habit_ids))
    if first is not None:
        query = query.where(Entry.local_date >= first)
    if last is not None:
        query = query.where(Entry.local_date <= last)
    return list(await session.execute(query))


# --- calendar feeds -------------------------------------------------------------------------


async def feed_of(session: AsyncSession, user_id: uuid.UUID) -> CalendarFeed | None:
    return await session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))


async def feeds_of(session: AsyncSession, user_id: uuid.UUID) -> list[CalendarFeed]:
    return list(
        await session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.user_id == user_id)
            .order_by(CalendarFeed.created_at)
        )
    )


async def user_of_feed(session: AsyncSession, token_hash: str) -> User | None:
    """The user whose feed has this token hash (an indexed equality lookup)."""
    return await session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == token_hash)
    )


async def put_feed(
    session: AsyncSession, user_id: uuid.UUID, token_hash: str, now: datetime
) -> CalendarFeed:
    """Create the user's feed or give it a new token, in one statement (two racing
    requests cannot make two feeds): `INSERT ... ON CONFLICT (user_id) DO UPDATE`."""
    insert: Any = db.insert_for(db.dialect_of(session))
    table = cast(Table, CalendarFeed.__table__)
    statement = insert(table).values(
        id=uuid.uuid4(), user_id=user_id, token_hash=token_hash, created_at=now, rotated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={"token_hash": statement.excluded.token_hash, "rotated_at": now},
    ).returning(table.c.id)
    feed_id = (await session.execute(statement)).scalar_one()
    feed = await session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.id == feed_id)
        .execution_options(populate_existing=True)
    )
    assert feed is not None
    return feed


async def delete_feed(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return rowcount(result)
