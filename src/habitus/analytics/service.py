"""Keeping the summaries current with every write (in the write's transaction, through
the subscriptions in `habitus.wiring`) and rebuilding them. Services flush; the boundary
commits.

Coverage: a habit's summaries hold one day row for every day from its `start_date` to
`habits.summary_through` (days before the user's today when they were written) and a
month row for every month those days touch. Reads are in `queries.py`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics import repository
from habitus.analytics.raw import ONE_DAY, raw_days
from habitus.analytics.summaries import (
    DayRow,
    MonthRow,
    month_of,
    months,
)
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import today_of
from habitus.models import Habit, User

# A schedule change takes effect today, but it cuts the period in progress short:
# recompute back over one whole month or week.
SCHEDULE_REACH = timedelta(days=31)


# --- keeping summaries current (same transaction as each write) ---------------------------


async def keep_current(
    session: AsyncSession,
    user: User,
    habit: Habit,
    *,
    changed_from: date | None = None,
    rebuild: bool = False,
    locked: bool = False,
) -> None:
    """After a write to `habit`: bump its summary version and recompute the rows of
    the days that may have changed: from `changed_from` (the start of the unit an entry
    belongs to, a break's start) and from the end of the current coverage, up to
    yesterday. `rebuild`: every row again (new rules, dates or calendar). `locked`: the
    write went through `habits.repository.lock_for_write`, which bumped the version."""
    today = today_of(user)
    last = today - ONE_DAY
    through = habit.summary_through
    if rebuild or through is None:
        await repository.delete_days(session, habit.id)
        await repository.delete_months(session, habit.id)
        if habit.start_date <= last:
            rows = (await raw_days(session, user, [(habit, habit.start_date, last)], today))[
                habit.id
            ]
            await repository.insert_days(session, habit, rows)
            await repository.insert_months(session, habit, months(rows))
        await repository.mark(session, habit, last)
        return
    first = through + ONE_DAY
    if changed_from is not None:
        first = min(first, changed_from)
    if first > last:
        # Rows stop at yesterday and the write's unit starts later (today's check-in
        # on a daily habit): no stored row can have changed. The hot path: no statement
        # at all when the lock already moved the version.
        if not (locked and through == last):
            await repository.mark(session, habit, last)
        return
    # Whole months (from the habit's start at the earliest), so each month row is the
    # sum of rows computed here: a write costs at most a month of days, no re-read.
    first = max(month_of(first), habit.start_date)
    stale_until = max(through, last)
    if first <= stale_until:
        await repository.delete_days(session, habit.id, first, stale_until)
        await repository.delete_months(session, habit.id, month_of(first), stale_until)
        if first <= last:
            rows = (await raw_days(session, user, [(habit, first, last)], today))[habit.id]
            await repository.insert_days(session, habit, rows)
            await repository.insert_months(session, habit, months(rows))
    await repository.mark(session, habit, last)


# --- repair --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    habit_id: uuid.UUID
    table: str
    key: date
    stored: object
    expected: object


def _same(stored: DayRow | MonthRow | None, expected: DayRow | MonthRow | None) -> bool:
    """Equal rows; a month's value sum may differ in the last bits (SQL sums)."""
    if isinstance(stored, MonthRow) and isinstance(expected, MonthRow):
        return replace(stored, value_sum=0.0) == replace(expected, value_sum=0.0) and math.isclose(
            stored.value_sum, expected.value_sum, rel_tol=1e-9, abs_tol=1e-9
        )
    return stored == expected


async def rebuild_user(session: AsyncSession, user: User) -> list[Difference]:
    """Recompute every summary row of the user's habits from raw entries, compare with
    what was stored, then store the recomputed rows. Returns every row that differed
    (missing, extra or changed)."""
    differences: list[Difference] = []
    habits = await habits_repository.habits_of(session, user.id, archived=None)
    today = today_of(user)
    last = today - ONE_DAY
    for habit in habits:
        stored_days = {
            row.day: row
            for row in await repository.stored_days(session, habit.id, date.min, date.max)
        }
        stored_months = {
            row.month: row for row in await repository.stored_months(session, habit.id)
        }
        rows: list[DayRow] = []
        if habit.start_date <= last:
            rows = (await raw_days(session, user, [(habit, habit.start_date, last)], today))[
                habit.id
            ]
        # Days after the stored coverage are not wrong, only not written yet.
        through = habit.summary_through or date.min
        covered = [row for row in rows if row.day <= through]
        expected_days = {row.day: row for row in covered}
        expected_months = {row.month: row for row in months(covered)}
        for key in sorted(stored_days.keys() | expected_days.keys()):
            if not _same(stored_days.get(key), expected_days.get(key)):
                differences.append(
                    Difference(habit.id, "day", key, stored_days.get(key), expected_days.get(key))
                )
        for key in sorted(stored_months.keys() | expected_months.keys()):
            if not _same(stored_months.get(key), expected_months.get(key)):
                differences.append(
                    Difference(
                        habit.id, "month", key, stored_months.get(key), expected_months.get(key)
                    )
                )
        await keep_current(session, user, habit, rebuild=True)
    return differences
