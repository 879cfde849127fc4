"""The Analytics page's figures (issue 21), in one place for the page and its JSON
download: a window and a category, the heatmap's days summed into weeks (the weekly
consistency chart) and months (the monthly trend), the overview's consistency score and
per-habit lines (D8.1, D8.2).

Everything comes from `analytics.queries` (no SQL of its own): one heatmap and one
overview, each a fixed number of statements whatever the number of habits, plus one read
of the user's habits for the category choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics import queries
from habitus.core import time as core_time
from habitus.core.scores import completion_ratio
from habitus.errors import ValidationFailed
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import today_of
from habitus.kit.validation import DATE_RANGE_MESSAGE, check_window, in_supported_range
from habitus.models import User

PRESETS = (30, 90, 365)
DEFAULT_DAYS = 30
CATEGORY_MAX = 60  # as the reports' `category` query (analytics.api)


@dataclass(frozen=True, slots=True)
class Filters:
    first: date
    last: date
    category: str | None
    preset: int | None  # the preset the window matches (ending today), if any

    @property
    def days(self) -> int:
        """How many days the window holds, both ends counted."""
        return (self.last - self.first).days + 1

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for the export links."""
        found = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.category is not None:
            found["category"] = self.category
        return found


def _date(params: dict[str, str], name: str) -> date | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.field(name, "must be a date like 2026-12-24", "date") from None
    if len(text) != 10 or not in_supported_range(day):
        raise ValidationFailed.field(name, DATE_RANGE_MESSAGE, "date_range")
    return day


def filters_of(params: dict[str, str], today: date) -> Filters:
    """The window from `days` (a preset ending today), else `from`/`to` (each defaults
    from the other or to the last 30 days), and the category (blank: all). Bad input
    raises ValidationFailed naming the field."""
    category = params.get("category", "").strip() or None
    if category is not None and len(category) > CATEGORY_MAX:
        raise ValidationFailed.field(
            "category", f"must be at most {CATEGORY_MAX} characters", "string_too_long"
        )
    days_text = params.get("days", "").strip()
    if days_text:
        if days_text not in {str(days) for days in PRESETS}:
            choices = ", ".join(str(days) for days in PRESETS)
            raise ValidationFailed.field("days", f"must be one of {choices}", "preset")
        days = int(days_text)
        return Filters(today - timedelta(days=days - 1), today, category, days)
    first, last = _date(params, "from"), _date(params, "to")
    if last is None:
        last = today if first is None or first <= today else first + timedelta(DEFAULT_DAYS - 1)
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    check_window(first, last)
    span = (last - first).days + 1
    preset = span if last == today and span in PRESETS else None
    return Filters(first, last, category, preset)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A week or a month of the window: required days done, and required."""

    start: date
    done: int
    required: int

    @property
    def rate(self) -> float | None:
        return self.done / self.required if self.required else None


@dataclass(frozen=True, slots=True)
class HabitRow:
    id: str
    name: str
    category: str | None
    done: int
    missed: int
    rate: float | None
    current_streak: int
    score: float


@dataclass(frozen=True, slots=True)
class Figures:
    filters: Filters
    today: date
    categories: list[str]
    weeks: list[Bucket]
    months: list[Bucket]
    consistency: float | None
    done: int
    missed: int
    habits: list[HabitRow]
    source: str
    week_start: str

    @property
    def rate(self) -> float | None:
        return completion_ratio(self.done, self.missed)

    def as_json(self) -> dict[str, Any]:
        """The JSON download: the page's figures with the filters that made them."""

        def bucket(item: Bucket) -> dict[str, Any]:
            return {
                "start": item.start.isoformat(),
                "done": item.done,
                "required": item.required,
                "rate": _rounded(item.rate),
            }

        return {
            "from": self.filters.first.isoformat(),
            "to": self.filters.last.isoformat(),
            "category": self.filters.category,
            "consistency": _rounded(self.consistency),
            "completion_rate": _rounded(self.rate),
            "done": self.done,
            "missed": self.missed,
            "weeks": [bucket(item) for item in self.weeks],
            "months": [bucket(item) for item in self.months],
            "habits": [
                {
                    "habit_id": row.id,
                    "name": row.name,
                    "category": row.category,
                    "done": row.done,
                    "missed": row.missed,
                    "rate": _rounded(row.rate),
                    "current_streak": row.current_streak,
                    "score": _rounded(row.score),
                }
                for row in self.habits
            ],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _buckets(days: list[queries.HeatDay], start_of: Any) -> list[Bucket]:
    sums: dict[date, list[int]] = {}
    for day in days:
        key = start_of(day.day)
        found = sums.setdefault(key, [0, 0])
        found[0] += day.done
        found[1] += day.required
    return [Bucket(key, done, required) for key, (done, required) in sums.items()]


async def figures(
    session: AsyncSession, user: User, filters: Filters, *, threshold: int
) -> Figures:
    today = today_of(user)
    habits = await habits_repository.habits_of(session, user.id, archived=None)
    categories = sorted({habit.category for habit in habits if habit.category})
    heat = await queries.heatmap(
        session, user, filters.first, filters.last, category=filters.category, threshold=threshold
    )
    week_start = core_time.weekday_number(user.week_start)
    weeks = _buckets(heat.days, lambda day: core_time.period_start(day, "week", week_start))
    months = _buckets(heat.days, lambda day: day.replace(day=1))
    overview = await queries.overview(
        session, user, filters.first, filters.last, threshold=threshold
    )
    lines = [
        line
        for line in overview.habits
        if filters.category is None or (line.habit.category or "") == filters.category
    ]
    rows = [
        HabitRow(
            id=str(line.habit.id),
            name=line.habit.name,
            category=line.habit.category,
            done=line.done,
            missed=line.missed,
            rate=line.rate,
            current_streak=line.current_streak,
            score=line.score,
        )
        for line in lines
    ]
    return Figures(
        filters=filters,
        today=today,
        categories=categories,
        weeks=weeks,
        months=months,
        consistency=queries.consistency(lines, today),
        done=sum(line.done for line in lines),
        missed=sum(line.missed for line in lines),
        habits=rows,
        source=heat.source,
        week_start=user.week_start,
    )
