"""Every query of habits, schedule versions, entries, breaks and kept states.

Each takes the acting user and filters by it: another user's habit is simply not
found (a 404, never a 403).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol, cast

from sqlalchemy import (
    Float,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.core.habits import Status
from habitus.models import Entry, Habit, HabitBreak, HabitSchedule, HabitStateRow


async def habit_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    habit_id: uuid.UUID,
    *,
    fresh: bool = False,
    share_lock: bool = False,
) -> Habit | None:
    """`fresh`: a copy already in the session is overwritten with the row as it is now
    (what `session.refresh` does, without a second query). `share_lock`: the row is held
    (FOR SHARE on PostgreSQL) until commit, so a concurrent delete waits for this write
    of something that hangs off the habit instead of removing what it reads next."""
    query = select(Habit).where(Habit.id == habit_id, Habit.user_id == user_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    if share_lock:
        query = query.with_for_update(read=True)
    return await session.scalar(query)


async def habits_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    archived: bool | None = False,
    limit: int | None = None,
    after: tuple[int, uuid.UUID] | None = None,
) -> list[Habit]:
    """In the user's order (position, then id)."""
    query = select(Habit).where(Habit.user_id == user_id).order_by(Habit.position, Habit.id)
    if archived is not None:
        query = query.where(
            Habit.archived_at.is_not(None) if archived else Habit.archived_at.is_(None)
        )
    if after is not None:
        position, habit_id = after
        query = query.where(
            or_(Habit.position > position, and_(Habit.position == position, Habit.id > habit_id))
        )
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def next_position(session: AsyncSession, user_id: uuid.UUID) -> int:
    highest = await session.scalar(select(func.max(Habit.position)).where(Habit.user_id == user_id))
    return 0 if highest is None else highest + 1


_LOCK_FOR_WRITE = (
    update(Habit)
    .where(Habit.id == bindparam("lock_habit"), Habit.user_id == bindparam("lock_user"))
    # Every write through the lock changes what summaries answer: their version moves in
    # the same statement (analytics.service.keep_current then has nothing to bump).
    .values(version=Habit.version + 1, summary_version=Habit.summary_version + 1)
    .returning(Habit)
    .execution_options(populate_existing=True, synchronize_session=False)
)


async def lock_for_write(
    session: AsyncSession, user_id: uuid.UUID, habit_id: uuid.UUID
) -> Habit | None:
    """Start a write to a habit: bump its versions (cache keys, ETags) and, by doing so
    first, hold its row lock until commit, so concurrent writes to one habit run one
    after the other and each reads what the previous one committed. One statement:
    the bumped row comes back. None: not found (or another user's)."""
    result = await session.scalars(_LOCK_FOR_WRITE, {"lock_habit": habit_id, "lock_user": user_id})
    return result.one_or_none()


async def bump_history(session: AsyncSession, habit: Habit) -> None:
    """The write rewrites what kept states have walked: they are stale from now."""
    result = await session.execute(
        update(Habit)
        .where(Habit.id == habit.id)
        .values(history_version=Habit.history_version + 1)
        .returning(Habit.history_version)
    )
    habit.history_version = result.scalar_one()
    await session.flush()


# --- schedule versions ---------------------------------------------------------------


async def versions_of(
    session: AsyncSession, habit_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HabitSchedule]]:
    """Each habit's versions, oldest first."""
    found: dict[uuid.UUID, list[HabitSchedule]] = defaultdict(list)
    if not habit_ids:
        return found
    rows = await session.scalars(
        select(HabitSchedule)
        .where(HabitSchedule.habit_id.in_(habit_ids))
        .order_by(HabitSchedule.habit_id, HabitSchedule.effective_from)
    )
    for row in rows:
        found[row.habit_id].append(row)
    return found


async def set_version(
    session: AsyncSession,
    *,
    habit: Habit,
    effective_from: date,
    schedule: dict[str, Any],
) -> None:
    """Put `schedule` in effect from `effective_from`, replacing a version that starts
    that same day and any that would start later (they were planned on the old one)."""
    await session.execute(
        delete(HabitSchedule).where(
            HabitSchedule.habit_id == habit.id, HabitSchedule.effective_from >= effective_from
        )
    )
    session.add(
        HabitSchedule(
            habit_id=habit.id,
            user_id=habit.user_id,
            effective_from=effective_from,
            schedule=schedule,
        )
    )
    await session.flush()


# --- breaks ------------------------------------------------------------------------------


async def breaks_for(
    session: AsyncSession, user_id: uuid.UUID, habit_ids: Sequence[uuid.UUID]
) -> tuple[list[HabitBreak], dict[uuid.UUID, list[HabitBreak]]]:
    """(breaks for all habits, breaks of each habit)."""
    rows = await session.scalars(
        select(HabitBreak).where(
            HabitBreak.user_id == user_id,
            or_(HabitBreak.habit_id.is_(None), HabitBreak.habit_id.in_(habit_ids)),
        )
    )
    everyone: list[HabitBreak] = []
    each: dict[uuid.UUID, list[HabitBreak]] = defaultdict(list)
    for row in rows:
        if row.habit_id is None:
            everyone.append(row)
        else:
            each[row.habit_id].append(row)
    return everyone, each


# --- entries -----------------------------------------------------------------------------

EntryRow = tuple[uuid.UUID, date, Status, float | None]


async def entry_facts(
    session: AsyncSession, starts: dict[uuid.UUID, date], until: date | None = None
) -> list[EntryRow]:
    """(habit_id, local_date, status, value) of each habit's entries from its start date
    in `starts` on. One query; habits that share a start date share a condition, so no
    habit's rows are read from before its own start (a monthly habit's 60-day window
    must not make every daily habit read 60 days)."""
    if not starts:
        return []
    by_start: dict[date, list[uuid.UUID]] = defaultdict(list)
    for habit_id, start in starts.items():
        by_start[start].append(habit_id)
    query = select(Entry.habit_id, Entry.local_date, Entry.status, Entry.value).where(
        or_(
            *(
                and_(Entry.habit_id.in_(ids), Entry.local_date >= start)
                for start, ids in sorted(by_start.items())
            )
        )
    )
    if until is not None:
        query = query.where(Entry.local_date <= until)
    rows = (await session.execute(query)).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


async def entries_between(
    session: AsyncSession, habit_id: uuid.UUID, first: date, last: date
) -> list[Entry]:
    return list(
        await session.scalars(
            select(Entry)
            .where(Entry.habit_id == habit_id, Entry.local_date >= first, Entry.local_date <= last)
            .order_by(Entry.local_date)
        )
    )


async def entry_on(session: AsyncSession, habit_id: uuid.UUID, day: date) -> Entry | None:
    return await session.scalar(
        select(Entry).where(Entry.habit_id == habit_id, Entry.local_date == day)
    )


def _insert(session: AsyncSession) -> Any:
    return db.insert_for(db.dialect_of(session))


class EntryRecord(Protocol):
    """An entry as a write hands it back (a row, not an ORM object)."""

    habit_id: uuid.UUID
    local_date: date
    status: Status
    value: float | None
    note: str | None
    logged_at: datetime
    source: str


_ENTRY_COLUMNS = (
    "id",
    "habit_id",
    "user_id",
    "local_date",
    "status",
    "value",
    "note",
    "logged_at",
    "logged_tz",
    "source",
    "created_at",
    "updated_at",
)


@lru_cache(maxsize=16)
def _add_to_entry_statement(dialect: str, adds: bool, has_note: bool) -> Any:
    """Built once per shape: a check-in is the hottest write; only its values change."""
    table = cast(Table, Entry.__table__)
    insert = db.insert_for(dialect)(table)
    statement = insert.values({name: bindparam(name) for name in _ENTRY_COLUMNS})
    changes: dict[str, Any] = {
        name: insert.excluded[name]
        for name in ("status", "logged_at", "logged_tz", "source", "updated_at")
    }
    if adds:
        # `value` holds max(add, 0) for a new row; an existing one takes the raw amount
        # (negative for a "-" tap), never going below 0.
        total = func.coalesce(table.c.value, 0.0) + bindparam("add", type_=Float)
        changes["value"] = case((total < 0, 0.0), else_=total)
    if has_note:
        changes["note"] = insert.excluded.note
    return statement.on_conflict_do_update(
        index_elements=["habit_id", "local_date"], set_=changes
    ).returning(*table.c)


async def add_to_entry(
    session: AsyncSession,
    *,
    habit: Habit,
    day: date,
    status: str,
    add: float | None,
    note: str | None,
    logged_at: datetime,
    logged_tz: str,
    source: str,
) -> EntryRecord:
    """One atomic statement: create the day's entry or update it, adding `add` to its
    value (never below 0). Concurrent check-ins add up exactly (D4.4)."""
    statement = _add_to_entry_statement(
        session.get_bind().dialect.name, add is not None, note is not None
    )
    parameters: dict[str, Any] = {
        "id": uuid.uuid4(),
        "habit_id": habit.id,
        "user_id": habit.user_id,
        "local_date": day,
        "status": status,
        "value": max(add, 0.0) if add is not None else None,
        "note": note,
        "logged_at": logged_at,
        "logged_tz": logged_tz,
        "source": source,
        "created_at": logged_at,
        "updated_at": logged_at,
    }
    if add is not None:
        parameters["add"] = add
    row: EntryRecord = (await session.execute(statement, parameters)).one()
    return row


async def put_entry(
    session: AsyncSession,
    *,
    habit: Habit,
    day: date,
    status: str,
    value: float | None,
    note: str | None,
    logged_at: datetime,
    logged_tz: str,
    source: str,
) -> EntryRecord:
    """Set the day's entry to exactly this (create or replace)."""
    insert = _insert(session)(Entry)
    values = {
        "id": uuid.uuid4(),
        "habit_id": habit.id,
        "user_id": habit.user_id,
        "local_date": day,
        "status": status,
        "value": value,
        "note": note,
        "logged_at": logged_at,
        "logged_tz": logged_tz,
        "source": source,
        "created_at": logged_at,
        "updated_at": logged_at,
    }
    statement = (
        insert.values(**values)
        .on_conflict_do_update(
            index_elements=["habit_id", "local_date"],
            set_={
                name: insert.excluded[name]
                for name in (
                    "status",
                    "value",
                    "note",
                    "logged_at",
                    "logged_tz",
                    "source",
                    "updated_at",
                )
            },
        )
        .returning(*Entry.__table__.c)
    )
    row: EntryRecord = (await session.execute(statement)).one()
    return row


async def delete_entry(session: AsyncSession, habit_id: uuid.UUID, day: date) -> None:
    await session.execute(delete(Entry).where(Entry.habit_id == habit_id, Entry.local_date == day))


# --- kept states ---------------------------------------------------------------------------


async def states_of(
    session: AsyncSession, habit_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, HabitStateRow]:
    ids = list(habit_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(HabitStateRow).where(HabitStateRow.habit_id.in_(ids)))
    return {row.habit_id: row for row in rows}


async def save_state(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace a habit's kept state (one statement, safe under concurrency)."""
    insert = _insert(session)(HabitStateRow)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["habit_id"],
        set_={name: insert.excluded[name] for name in values if name != "habit_id"},
    )
    await session.execute(statement)


async def everything_of(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[list[Habit], list[HabitSchedule], list[HabitBreak]]:
    """All of a user's habits, schedule versions and breaks (for the export; entries
    are streamed apart, `export_entries`)."""
    habits = list(
        await session.scalars(
            select(Habit).where(Habit.user_id == user_id).order_by(Habit.position, Habit.id)
        )
    )
    versions = list(
        await session.scalars(
            select(HabitSchedule)
            .where(HabitSchedule.user_id == user_id)
            .order_by(HabitSchedule.habit_id, HabitSchedule.effective_from)
        )
    )
    breaks = list(
        await session.scalars(
            select(HabitBreak).where(HabitBreak.user_id == user_id).order_by(HabitBreak.start_date)
        )
    )
    return habits, versions, breaks


def export_entries(user_id: uuid.UUID) -> Select[Any]:
    """Every entry of the user as the export's fields (`date` for `local_date`), by
    habit then date."""
    query: Any = (
        select(
            Entry.habit_id,
            Entry.local_date.label("date"),
            Entry.status,
            Entry.value,
            Entry.note,
            Entry.logged_at,
            Entry.logged_tz,
            Entry.source,
        )
        .where(Entry.user_id == user_id)
        .order_by(Entry.habit_id, Entry.local_date)
    )
    return cast("Select[Any]", query)


# --- order and counts (the Habits page) ----------------------------------------------------


async def entry_count(session: AsyncSession, habit_id: uuid.UUID) -> int:
    """How many days the habit has an entry for (what deleting it would lose)."""
    found = await session.scalar(
        select(func.count()).select_from(Entry).where(Entry.habit_id == habit_id)
    )
    return int(found or 0)


async def note_count(session: AsyncSession, habit_id: uuid.UUID) -> int:
    """How many of the habit's days have a note (the delete page says what it loses)."""
    found = await session.scalar(
        select(func.count())
        .select_from(Entry)
        .where(Entry.habit_id == habit_id, Entry.note.is_not(None), Entry.note != "")
    )
    return int(found or 0)
