"""A user's habits as the learning code sees them (D14.1): for each active habit, one
`DayFact` per day from its start (at most `MAX_DAYS` back) to yesterday, from the
engine's own day outcomes (D5), so a prediction's labels are the outcomes the user
sees. Four statements whatever the number of habits: habits, schedule versions,
breaks, entries.

Periodic habits (n times a week or month) have no day that is required on its own
(D6): their days carry no label, so the model never trains on them and their
prediction is the baseline's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.coach.learning import DayFact, HabitHistory
from habitus.core import time as core_time
from habitus.core.evaluate import window_timeline
from habitus.core.habits import Break, EntryFact
from habitus.core.outcomes import DONE, MISSED
from habitus.habits.evaluation import breaks_of, rules_of, today_of
from habitus.models import Entry, Habit, HabitBreak, HabitSchedule, User

# Two years of history is plenty for a per-user model, and bounds the work.
MAX_DAYS = 730


def _schedule_kind(schedule: object) -> str:
    kind = schedule.get("type") if isinstance(schedule, dict) else None
    return str(kind or "daily")


@dataclass(frozen=True, slots=True)
class Histories:
    today: date  # the user's
    items: list[HabitHistory]  # each active habit's, up to yesterday
    names: dict[str, str]  # habit id -> name (the page's words)


async def histories_of(session: AsyncSession, user: User) -> Histories:
    """The history of each active habit that started before today."""
    today = today_of(user)
    query = select(Habit).where(
        Habit.user_id == user.id, Habit.archived_at.is_(None), Habit.start_date < today
    )
    habits = list(await session.scalars(query.order_by(Habit.position, Habit.id)))
    names = {str(habit.id): habit.name for habit in habits}
    if not habits:
        return Histories(today, [], names)
    ids = [habit.id for habit in habits]
    versions: dict[uuid.UUID, list[HabitSchedule]] = defaultdict(list)
    for row in await session.scalars(
        select(HabitSchedule)
        .where(HabitSchedule.habit_id.in_(ids))
        .order_by(HabitSchedule.habit_id, HabitSchedule.effective_from)
    ):
        versions[row.habit_id].append(row)
    everyone: list[HabitBreak] = []
    each: dict[uuid.UUID, list[HabitBreak]] = defaultdict(list)
    for found in await session.scalars(
        select(HabitBreak).where(
            HabitBreak.user_id == user.id,
            or_(HabitBreak.habit_id.is_(None), HabitBreak.habit_id.in_(ids)),
        )
    ):
        (everyone if found.habit_id is None else each[found.habit_id]).append(found)
    yesterday = today - timedelta(days=1)
    earliest = today - timedelta(days=MAX_DAYS)
    firsts = {habit.id: max(habit.start_date, earliest) for habit in habits}
    entries: dict[uuid.UUID, dict[date, EntryFact]] = defaultdict(dict)
    for habit_id, day, status, value in await session.execute(
        select(Entry.habit_id, Entry.local_date, Entry.status, Entry.value).where(
            Entry.habit_id.in_(ids),
            Entry.local_date >= min(firsts.values()) - timedelta(days=31),
            Entry.local_date <= today,
        )
    ):
        entries[habit_id][day] = EntryFact(status, value)
    week_start = core_time.weekday_number(user.week_start)
    found_histories: list[HabitHistory] = []
    for habit in habits:
        if not versions.get(habit.id):
            continue
        rules = rules_of(habit, versions[habit.id])
        first = firsts[habit.id]
        breaks: list[Break] = [*breaks_of([*everyone, *each[habit.id]])]
        timeline = window_timeline(
            rules, entries[habit.id], breaks, first, yesterday, today, week_start
        )
        outcomes = timeline.day_outcomes()
        facts = []
        for offset in range((yesterday - first).days + 1):
            day = first + timedelta(days=offset)
            index = timeline.index_of(day)
            outcome = outcomes[index]
            facts.append(
                DayFact(
                    day=day,
                    required=outcome in (DONE, MISSED),
                    done=outcome == DONE,
                    in_break=timeline.in_break(index),
                )
            )
        current = versions[habit.id][-1].schedule
        found_histories.append(
            HabitHistory(
                habit_id=str(habit.id),
                start=first,
                schedule_kind=_schedule_kind(current),
                polarity=habit.polarity,
                facts=tuple(facts),
            )
        )
    return Histories(today, found_histories, names)
