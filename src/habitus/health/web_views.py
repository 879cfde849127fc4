"""What the health page shows, worked out (issue 19): the summary cards (latest value,
the change over 30 days with its arrow, progress towards the weight goal) and a chart's
points with their 7-day moving average. Values come out in the user's units
(`settings.Units`); the words around them are the template's.

The queries are a fixed handful per page whatever the number of logs: per summary field
the latest reading and the reading 30 days before it, and one series for the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core import time as core_time
from habitus.health import metrics, service
from habitus.health.settings import Units, plain
from habitus.models import User
from habitus.models.health import HealthGoal, HealthLog

# The chart windows the page offers (issue 19: 30, 90 and 365 days).
WINDOWS: tuple[int, ...] = (30, 90, 365)
DEFAULT_WINDOW = 90
# The moving average covers the readings of the last 7 calendar days (not the last 7
# readings): someone who weighs in twice a week gets a week's worth, not three weeks'.
AVERAGE_DAYS = 7
CHANGE_DAYS = 30

Trend = Literal["up", "down", "flat"]


@dataclass(frozen=True, slots=True)
class Reading:
    day: date
    value: float  # stored (metric)


@dataclass(frozen=True, slots=True)
class Summary:
    """One summary card: a field's latest reading and how it moved over 30 days."""

    field: str
    label: str
    latest: str  # "160.5 lb"
    latest_day: date
    change: str | None  # "-1.2 lb"; None when there is nothing to compare with
    since: date | None  # the reading the change is measured from
    trend: Trend


@dataclass(frozen=True, slots=True)
class GoalProgress:
    direction: str  # "lose" | "gain"
    target: str  # "150 lb"
    target_value: str  # in the user's unit, for the form
    start: str | None  # the weight when the goal was set
    to_go: str | None  # "4.5 lb"; None once reached or with no weight logged
    percent: int | None  # 0-100 of the way from start to target
    reached: bool


def moving_average(points: Sequence[tuple[date, float]], days: int = AVERAGE_DAYS) -> list[float]:
    """For each point, the mean of the points in the `days` calendar days ending on its
    date (itself included). Points are oldest first, one a date."""
    averages = []
    first = 0
    total = 0.0
    for index, (day, value) in enumerate(points):
        total += value
        while points[first][0] <= day - timedelta(days=days):
            total -= points[first][1]
            first += 1
        averages.append(total / (index - first + 1))
    return averages


def trend_of(change: float) -> Trend:
    return "up" if change > 0 else "down" if change < 0 else "flat"


def signed(number: float, decimals: int) -> str:
    """+1.5 / -0.3 / ±0: a change says its sign; the minus is a real minus sign."""
    text = plain(abs(number), decimals)
    if float(text) == 0:
        return "±0"
    return f"+{text}" if number > 0 else f"\u2212{text}"


async def _latest(session: AsyncSession, user: User, field: str) -> Reading | None:
    column = getattr(HealthLog, field)
    row = (
        await session.execute(
            select(HealthLog.date, column)
            .where(HealthLog.user_id == user.id, column.is_not(None))
            .order_by(HealthLog.date.desc(), HealthLog.time.desc(), HealthLog.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else Reading(row[0], float(row[1]))


async def _reading_at(
    session: AsyncSession, user: User, field: str, day: date, *, before: bool
) -> Reading | None:
    """The last reading on or before `day` (before=True), else the first one after it."""
    column = getattr(HealthLog, field)
    query = select(HealthLog.date, column).where(HealthLog.user_id == user.id, column.is_not(None))
    if before:
        query = query.where(HealthLog.date <= day).order_by(
            HealthLog.date.desc(), HealthLog.time.desc(), HealthLog.id.desc()
        )
    else:
        query = query.where(HealthLog.date > day).order_by(
            HealthLog.date, HealthLog.time, HealthLog.id
        )
    row = (await session.execute(query.limit(1))).first()
    return None if row is None else Reading(row[0], float(row[1]))


async def summary_of(
    session: AsyncSession, user: User, units: Units, field: str, today: date
) -> Summary | None:
    """The field's card, or None when it was never logged. The change is measured from
    the last reading 30 days or more before today; for a field first logged less than 30
    days ago, from its first reading (the card says since when)."""
    latest = await _latest(session, user, field)
    if latest is None:
        return None
    cutoff = today - timedelta(days=CHANGE_DAYS)
    base = await _reading_at(session, user, field, cutoff, before=True)
    if base is None:
        base = await _reading_at(session, user, field, cutoff, before=False)
    change_text: str | None = None
    since: date | None = None
    trend: Trend = "flat"
    if base is not None and base.day < latest.day:
        change = units.show(field, latest.value) - units.show(field, base.value)
        decimals = units.decimals_of(field)
        unit = units.unit_of(field)
        change_text = signed(change, decimals) + (f" {unit}" if unit else "")
        since = base.day
        trend = trend_of(round(change, decimals))
    return Summary(
        field=field,
        label=metrics.metric(field).label,
        latest=units.text(field, latest.value),
        latest_day=latest.day,
        change=change_text,
        since=since,
        trend=trend,
    )


async def goal_progress(
    session: AsyncSession, user: User, units: Units, goal: HealthGoal | None
) -> GoalProgress | None:
    """How far the latest weight has come from the weight when the goal was set (the
    last reading on or before that local date, else the first after) to the goal."""
    if goal is None:
        return None
    set_on = goal.updated_at.astimezone(core_time.zone(user.timezone)).date()
    start = await _reading_at(session, user, "weight_kg", set_on, before=True)
    if start is None:
        start = await _reading_at(session, user, "weight_kg", set_on, before=False)
    latest = await _latest(session, user, "weight_kg")
    progress = GoalProgress(
        direction=goal.direction,
        target=units.text("weight_kg", goal.weight_kg),
        target_value=units.number("weight_kg", goal.weight_kg),
        start=None if start is None else units.text("weight_kg", start.value),
        to_go=None,
        percent=None,
        reached=False,
    )
    if latest is None:
        return progress
    losing = goal.direction == "lose"
    left = latest.value - goal.weight_kg if losing else goal.weight_kg - latest.value
    if left <= 0:
        return _with(progress, percent=100, reached=True)
    whole = (
        (start.value - goal.weight_kg if losing else goal.weight_kg - start.value)
        if start is not None
        else 0.0
    )
    percent = 0 if whole <= 0 else max(0, min(100, round(100 * (whole - left) / whole)))
    return _with(progress, to_go=units.text("weight_kg", left), percent=percent)


def _with(progress: GoalProgress, **changes: Any) -> GoalProgress:
    values = {name: getattr(progress, name) for name in GoalProgress.__slots__}
    values.update(changes)
    return GoalProgress(**values)


@dataclass(frozen=True, slots=True)
class ChartPoint:
    day: date
    value: float  # in the user's unit
    average: float

    def value_text(self, decimals: int) -> str:
        return plain(self.value, decimals)

    def average_text(self, decimals: int) -> str:
        return plain(self.average, decimals)


async def chart_points(
    session: AsyncSession, user: User, units: Units, field: str, days: int, today: date
) -> list[ChartPoint]:
    """The field over the last `days` days (one point a date, that day's last reading)
    with its 7-day moving average, in the user's unit. The average of the window's first
    points also counts readings from the week before the window, so it does not start
    over at every window's edge."""
    first = today - timedelta(days=days - 1)
    points = await service.series(
        session, user, field, first=first - timedelta(days=AVERAGE_DAYS - 1), last=today
    )
    shown = [(day, units.show(field, value)) for day, value in points]
    averages = moving_average(shown)
    decimals = units.decimals_of(field)
    return [
        ChartPoint(day=day, value=value, average=round(average, decimals))
        for (day, value), average in zip(shown, averages, strict=True)
        if day >= first
    ]
