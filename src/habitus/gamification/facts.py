"""The facts the achievement conditions read (`core.achievements.Facts`), gathered with a
bounded number of queries whatever the history's length.

Three gatherings, for three moments:
- a check-in (in its transaction, `reactions`): the streak from the write's own event,
  and the completed days from the ledger, in one statement (`repository.standing`);
- the worker, after the commit (`consumers`): what needs every habit's days, around the
  dates the writes touched: perfect days and weeks, finished months, comebacks;
- a health log (in its transaction, `reactions.health_logged`): the health counts and
  the written log against the goal, in one statement (`repository.health_standing`);
- the achievements page (`progress_facts`): all of it, for the progress shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics import queries as analytics
from habitus.config import Settings
from habitus.core.achievements import (
    Facts,
    longest_comeback,
    longest_run_of_days,
    month_percent,
    perfect_days,
)
from habitus.gamification import repository
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import evaluate, today_of
from habitus.models import User

# Windows are short: the analytics read them from raw entries below this many days.
SUMMARY_THRESHOLD = Settings.model_fields["summary_threshold_days"].default
# D10.1 perfect_week: a run of 7 around a touched date lies within 6 days either side.
WEEK_REACH = timedelta(days=6)
# D10.1 comeback: the units before a done day that can make it a comeback.
COMEBACK_LOOKBACK = timedelta(days=60)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_before(day: date) -> date:
    return first_of_month(first_of_month(day) - timedelta(days=1))


def month_end(first: date) -> date:
    following = (first + timedelta(days=32)).replace(day=1)
    return following - timedelta(days=1)


async def perfect_run_around(
    session: AsyncSession, user: User, dates: Iterable[date], today: date
) -> tuple[int, int]:
    """D10.1 perfect_day/perfect_week around the touched dates (never past today): the
    longest run of perfect days, and the run that ends today or yesterday (progress)."""
    touched = sorted(set(dates))
    if not touched:
        return 0, 0
    first = max(touched[0] - WEEK_REACH, today - timedelta(days=3650))
    last = min(touched[-1] + WEEK_REACH, today)
    if first > last:
        return 0, 0
    heat = await analytics.heatmap(session, user, first, last, threshold=SUMMARY_THRESHOLD)
    perfect = perfect_days(
        (day.day, day.required > 0, day.done == day.required) for day in heat.days
    )
    current = 0
    cursor = today if today in perfect else today - timedelta(days=1)
    while cursor in perfect:
        current += 1
        cursor -= timedelta(days=1)
    return longest_run_of_days(perfect), current


async def best_finished_month(
    session: AsyncSession, user: User, dates: Iterable[date], today: date
) -> int:
    """D10.1 month_80: the best pooled rate (whole percent) among the finished months the
    dates fall in, and the month before today's (finished by the passing of time)."""
    this_month = first_of_month(today)
    months = {first_of_month(day) for day in dates} | {month_before(today)}
    best = 0
    for month in sorted(m for m in months if m < this_month):
        report = await analytics.report(
            session, user, month, month_end(month), threshold=SUMMARY_THRESHOLD
        )
        best = max(best, month_percent(report.done + report.missed, report.done))
    return best


async def comeback_of(
    session: AsyncSession, user: User, habit_id: uuid.UUID, day: date, today: date
) -> int:
    """D10.1 comeback for one habit's day unit done on `day`: the missed units right
    before it (the required days of the lookback window, in order)."""
    first = max(day - COMEBACK_LOOKBACK, date(1900, 1, 1))
    heat = await analytics.heatmap(
        session, user, first, min(day, today), habit_id=habit_id, threshold=SUMMARY_THRESHOLD
    )
    # A pending today is not a miss yet: only settled days and a done today count.
    outcomes = [
        d.done == d.required
        for d in heat.days
        if d.required > 0 and (d.day < today or d.done == d.required)
    ]
    return longest_comeback(outcomes)


async def progress_facts(session: AsyncSession, user: User) -> Facts:
    """Everything, for the achievements page: streaks of every active habit, perfect days
    of the last five weeks, the last finished month, the counts."""
    today = today_of(user)
    habits = await habits_repository.habits_of(session, user.id, archived=False)
    evaluated = await evaluate(session, user, habits, today)
    best_streak = max((item.now.current.length for item in evaluated), default=0)
    _, current_run = await perfect_run_around(
        session, user, [today - timedelta(days=28), today], today
    )
    standing = await repository.standing(session, user.id)
    active, categories = await repository.active_habit_counts(session, user.id)
    health = await repository.health_standing(session, user.id)
    return Facts(
        best_current_streak=best_streak,
        perfect_days_in_a_row=current_run,
        best_month_percent=await best_finished_month(session, user, [], today),
        done_days=standing.done_days,
        active_habits=active,
        active_categories=categories,
        health_logs=health.logs,
        health_log_days=health.log_days,
    )
