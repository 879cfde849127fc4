"""Every query of the summary tables. Callers pass habits they already own (the
acting user's), so every query is also filtered by `user_id`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from habitus.analytics.summaries import DayRow, MonthRow
from habitus.models import Habit, HabitDaySummary, HabitMonthSummary

Span = tuple[uuid.UUID, date, date]  # (habit id, first, last), inclusive


async def delete_days(
    session: AsyncSession, habit_id: uuid.UUID, first: date | None = None, last: date | None = None
) -> None:
    query = delete(HabitDaySummary).where(HabitDaySummary.habit_id == habit_id)
    if first is not None:
        query = query.where(HabitDaySummary.local_date >= first)
    if last is not None:
        query = query.where(HabitDaySummary.local_date <= last)
    await session.execute(query)


async def delete_months(
    session: AsyncSession, habit_id: uuid.UUID, first: date | None = None, last: date | None = None
) -> None:
    query = delete(HabitMonthSummary).where(HabitMonthSummary.habit_id == habit_id)
    if first is not None:
        query = query.where(HabitMonthSummary.month >= first)
    if last is not None:
        query = query.where(HabitMonthSummary.month <= last)
    await session.execute(query)


def day_values(habit: Habit, row: DayRow) -> dict[str, Any]:
    return {
        "habit_id": habit.id,
        "user_id": habit.user_id,
        "local_date": row.day,
        "outcome": row.outcome,
        "done": row.done,
        "required": row.required,
        "skipped": row.skipped,
        "in_break": row.in_break,
        "value": row.value,
        "unit_done": row.unit_done,
        "unit_missed": row.unit_missed,
    }


def month_values(habit: Habit, row: MonthRow) -> dict[str, Any]:
    return {
        "habit_id": habit.id,
        "user_id": habit.user_id,
        "month": row.month,
        "days": row.days,
        "done": row.done,
        "required": row.required,
        "missed": row.missed,
        "skipped": row.skipped,
        "breaks": row.breaks,
        "value_sum": row.value_sum,
        "unit_done": row.unit_done,
        "unit_missed": row.unit_missed,
    }


async def insert_days(session: AsyncSession, habit: Habit, rows: Sequence[DayRow]) -> None:
    if rows:
        await session.execute(insert(HabitDaySummary), [day_values(habit, row) for row in rows])


async def insert_months(session: AsyncSession, habit: Habit, rows: Sequence[MonthRow]) -> None:
    if rows:
        await session.execute(insert(HabitMonthSummary), [month_values(habit, row) for row in rows])


async def stored_days(
    session: AsyncSession, habit_id: uuid.UUID, first: date, last: date
) -> list[DayRow]:
    """The stored day rows of one habit in [first, last], by date."""
    rows = await session.scalars(
        select(HabitDaySummary)
        .where(
            HabitDaySummary.habit_id == habit_id,
            HabitDaySummary.local_date >= first,
            HabitDaySummary.local_date <= last,
        )
        .order_by(HabitDaySummary.local_date)
    )
    return [
        DayRow(
            day=row.local_date,
            outcome=row.outcome,
            done=row.done,
            required=row.required,
            skipped=row.skipped,
            in_break=row.in_break,
            value=row.value,
            unit_done=row.unit_done,
            unit_missed=row.unit_missed,
        )
        for row in rows
    ]


async def stored_months(session: AsyncSession, habit_id: uuid.UUID) -> list[MonthRow]:
    rows = await session.scalars(
        select(HabitMonthSummary)
        .where(HabitMonthSummary.habit_id == habit_id)
        .order_by(HabitMonthSummary.month)
    )
    return [
        MonthRow(
            month=row.month,
            days=row.days,
            done=row.done,
            required=row.required,
            missed=row.missed,
            skipped=row.skipped,
            breaks=row.breaks,
            value_sum=row.value_sum,
            unit_done=row.unit_done,
            unit_missed=row.unit_missed,
        )
        for row in rows
    ]


def _grouped(spans: Sequence[Span]) -> list[tuple[date, date, list[uuid.UUID]]]:
    """Spans that share their bounds share one condition (most habits do)."""
    groups: dict[tuple[date, date], list[uuid.UUID]] = defaultdict(list)
    for habit_id, first, last in spans:
        groups[(first, last)].append(habit_id)
    return [(first, last, ids) for (first, last), ids in sorted(groups.items())]


def _day_spans(user_id: uuid.UUID, spans: Sequence[Span]) -> Any:
    """The spans' day rows: `(user_id, local_date)` bounds the index range scanned."""
    return and_(
        HabitDaySummary.user_id == user_id,
        HabitDaySummary.local_date >= min(first for _, first, _ in spans),
        HabitDaySummary.local_date <= max(last for _, _, last in spans),
        or_(
            *(
                and_(
                    HabitDaySummary.habit_id.in_(ids),
                    HabitDaySummary.local_date >= first,
                    HabitDaySummary.local_date <= last,
                )
                for first, last, ids in _grouped(spans)
            )
        ),
    )


async def day_counts(
    session: AsyncSession, user_id: uuid.UUID, spans: Sequence[Span]
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """habit id -> (stored day rows, units done, units missed) inside its span."""
    if not spans:
        return {}
    rows = await session.execute(
        select(
            HabitDaySummary.habit_id,
            func.count(),
            func.coalesce(func.sum(HabitDaySummary.unit_done), 0),
            func.coalesce(func.sum(HabitDaySummary.unit_missed), 0),
        )
        .where(_day_spans(user_id, spans))
        .group_by(HabitDaySummary.habit_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


async def day_totals(
    session: AsyncSession, user_id: uuid.UUID, spans: Sequence[Span]
) -> list[tuple[date, int, int, int]]:
    """(date, done, required, rows) summed over the spans' habits, one row per date."""
    if not spans:
        return []
    rows = await session.execute(
        select(
            HabitDaySummary.local_date,
            func.sum(HabitDaySummary.done),
            func.sum(HabitDaySummary.required),
            func.count(),
        )
        .where(_day_spans(user_id, spans))
        .group_by(HabitDaySummary.local_date)
    )
    return [(row[0], int(row[1]), int(row[2]), int(row[3])) for row in rows]


async def month_counts(
    session: AsyncSession, user_id: uuid.UUID, spans: Sequence[Span]
) -> dict[uuid.UUID, tuple[int, int, int, int]]:
    """habit id -> (month rows, days they sum, units done, units missed); spans name
    first days of months."""
    if not spans:
        return {}
    rows = await session.execute(
        select(
            HabitMonthSummary.habit_id,
            func.count(),
            func.coalesce(func.sum(HabitMonthSummary.days), 0),
            func.coalesce(func.sum(HabitMonthSummary.unit_done), 0),
            func.coalesce(func.sum(HabitMonthSummary.unit_missed), 0),
        )
        .where(
            HabitMonthSummary.user_id == user_id,
            HabitMonthSummary.month >= min(first for _, first, _ in spans),
            HabitMonthSummary.month <= max(last for _, _, last in spans),
            or_(
                *(
                    and_(
                        HabitMonthSummary.habit_id.in_(ids),
                        HabitMonthSummary.month >= first,
                        HabitMonthSummary.month <= last,
                    )
                    for first, last, ids in _grouped(spans)
                )
            ),
        )
        .group_by(HabitMonthSummary.habit_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}


async def mark(session: AsyncSession, habit: Habit, through: date | None) -> None:
    """Bump the habit's summary version and record how far its summaries reach."""
    result = await session.execute(
        update(Habit)
        .where(Habit.id == habit.id)
        .values(summary_version=Habit.summary_version + 1, summary_through=through)
        .returning(Habit.summary_version)
        .execution_options(synchronize_session=False)
    )
    # Not a change to flush: the row already holds these values.
    set_committed_value(habit, "summary_version", result.scalar_one())
    set_committed_value(habit, "summary_through", through)


async def versions_of(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[uuid.UUID, int, str | None]]:
    """(habit id, summary version, category) of every habit of the user: the ETag."""
    rows = await session.execute(
        select(Habit.id, Habit.summary_version, Habit.category)
        .where(Habit.user_id == user_id)
        .order_by(Habit.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def users_to_rebuild(session: AsyncSession, email: str | None) -> list[Any]:
    from habitus.models import User

    query = select(User).order_by(User.email)
    if email is not None:
        query = query.where(func.lower(User.email) == email.lower())
    return list(await session.scalars(query))


async def habit_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Habit).where(Habit.user_id == user_id)
    )
    return int(found or 0)
