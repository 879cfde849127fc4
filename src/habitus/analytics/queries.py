"""Reading heatmaps, reports and the overview through the summaries (other features read
them too: the weekly summary mail). A read of a window longer than
`Settings.summary_threshold_days` takes the covered days from the summaries, the days
after them from raw entries (through `core`), and falls back to raw entries for a habit
whose rows are not all there (a missing summary never gives a wrong answer).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics import repository
from habitus.analytics.raw import ONE_DAY, raw_days
from habitus.analytics.schemas import Source
from habitus.analytics.summaries import (
    month_end,
    month_of,
)
from habitus.core import time as core_time
from habitus.core.scores import completion_ratio
from habitus.errors import FieldError, NotFound, ValidationFailed
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import evaluate, today_of
from habitus.kit import responses
from habitus.kit.validation import DATE_RANGE_MESSAGE, check_window, in_supported_range
from habitus.models import Habit, User

# --- reads -----------------------------------------------------------------------------


async def all_habits(session: AsyncSession, user: User) -> list[Habit]:
    """Every habit of the user, archived ones too (they keep their history, D2.4): what
    `etag_of` and `heatmap` both need, read once (issue 22: one statement fewer)."""
    return await habits_repository.habits_of(session, user.id, archived=None)


async def _selected(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID | None,
    category: str | None,
    habits: Sequence[Habit] | None = None,
) -> list[Habit]:
    """The user's habits (`all_habits`, unless already read), filtered."""
    habits = list(habits) if habits is not None else await all_habits(session, user)
    if habit_id is not None:
        habits = [habit for habit in habits if habit.id == habit_id]
        if not habits:
            raise NotFound("habit_id: no such habit.")
    if category is not None:
        habits = [habit for habit in habits if (habit.category or "") == category]
    return habits


@dataclass(slots=True)
class Plan:
    """Which days of which habit come from summaries (`spans`) and which from raw
    entries (`raw`)."""

    spans: list[tuple[Habit, date, date]] = field(default_factory=list)
    raw: list[tuple[Habit, date, date]] = field(default_factory=list)
    rows_read: int = 0


def _plan(habits: Sequence[Habit], first: date, last: date, threshold: int) -> Plan:
    plan = Plan()
    long_window = (last - first).days + 1 > threshold
    for habit in habits:
        through = habit.summary_through
        a = max(first, habit.start_date)
        b = min(last, through) if through is not None else None
        if long_window and b is not None and a <= b:
            plan.spans.append((habit, a, b))
            if b < last:
                plan.raw.append((habit, b + ONE_DAY, last))
        else:
            plan.raw.append((habit, first, last))
    return plan


def _fall_back(plan: Plan, habit: Habit, first: date, last: date) -> None:
    """A summary row is missing: this habit's whole window from raw entries."""
    plan.spans = [span for span in plan.spans if span[0].id != habit.id]
    plan.raw = [part for part in plan.raw if part[0].id != habit.id]
    plan.raw.append((habit, first, last))


@dataclass(frozen=True, slots=True)
class HeatDay:
    day: date
    done: int
    required: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.required if self.required else None


@dataclass(frozen=True, slots=True)
class Heatmap:
    first: date
    last: date
    days: list[HeatDay]
    source: Source
    rows_read: int


async def heatmap(
    session: AsyncSession,
    user: User,
    first: date,
    last: date,
    *,
    habit_id: uuid.UUID | None = None,
    category: str | None = None,
    threshold: int,
    habits: Sequence[Habit] | None = None,
) -> Heatmap:
    """API.md: each day of [first, last] with the number of required days done and
    required across the selected habits (see `analytics.summaries` for what counts).
    `habits`: `all_habits`, when the caller has read them already."""
    check_window(first, last)
    habits = await _selected(session, user, habit_id, category, habits)
    today = today_of(user)
    plan = _plan(habits, first, last, threshold)
    spans = [(habit.id, a, b) for habit, a, b in plan.spans]
    totals = await repository.day_totals(session, user.id, spans)
    rows_read = len(totals)
    if sum(row[3] for row in totals) != sum((b - a).days + 1 for _, a, b in spans):
        # A row is missing: find whose, read those habits raw, sum the others again.
        counts = await repository.day_counts(session, user.id, spans)
        rows_read += len(counts)
        for habit, a, b in list(plan.spans):
            if counts.get(habit.id, (0, 0, 0))[0] != (b - a).days + 1:
                _fall_back(plan, habit, first, last)
        spans = [(habit.id, a, b) for habit, a, b in plan.spans]
        totals = await repository.day_totals(session, user.id, spans)
        rows_read += len(totals)
    done: dict[date, int] = defaultdict(int)
    required: dict[date, int] = defaultdict(int)
    for day, day_done, day_required, _ in totals:
        done[day] += day_done
        required[day] += day_required
    read: list[int] = []
    raw = await raw_days(session, user, plan.raw, today, read)
    rows_read += sum(read)
    for rows in raw.values():
        for row in rows:
            done[row.day] += row.done
            required[row.day] += row.required
    days = [
        HeatDay(day, done[day], required[day])
        for day in (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    ]
    return Heatmap(first, last, days, _source(plan), rows_read)


def _source(plan: Plan) -> Source:
    if not plan.spans:
        return "raw"
    return "summaries" if not plan.raw else "mixed"


@dataclass(frozen=True, slots=True)
class HabitLine:
    habit: Habit
    done: int
    missed: int

    @property
    def rate(self) -> float | None:
        return completion_ratio(self.done, self.missed)


@dataclass(frozen=True, slots=True)
class Report:
    first: date
    last: date
    habits: list[HabitLine]
    done: int
    missed: int
    source: Source
    rows_read: int

    @property
    def rate(self) -> float | None:
        return completion_ratio(self.done, self.missed)


def _split_months(a: date, b: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """[a, b] as (whole months: first of the first, first of the last) and edge days."""
    m1 = a if a.day == 1 else month_end(a) + ONE_DAY
    m2_end = b if b == month_end(b) else month_of(b) - ONE_DAY
    if m1 > m2_end:
        return None, [(a, b)]
    edges = []
    if a < m1:
        edges.append((a, m1 - ONE_DAY))
    if m2_end < b:
        edges.append((m2_end + ONE_DAY, b))
    return (m1, month_of(m2_end)), edges


async def report(
    session: AsyncSession,
    user: User,
    first: date,
    last: date,
    *,
    habit_id: uuid.UUID | None = None,
    category: str | None = None,
    threshold: int,
) -> Report:
    """Per habit and overall: units (D7.1) ending in [first, last] done and missed, and
    the completion rate (D8.1). Whole months come from month rows, other days from
    day rows, days after the summaries from raw entries."""
    check_window(first, last)
    habits = await _selected(session, user, habit_id, category)
    return await _report_of(session, user, habits, first, last, threshold)


async def _report_of(
    session: AsyncSession,
    user: User,
    habits: Sequence[Habit],
    first: date,
    last: date,
    threshold: int,
) -> Report:
    today = today_of(user)
    plan = _plan(habits, first, last, threshold)
    month_spans: list[repository.Span] = []
    day_spans: list[repository.Span] = []
    expected_days: dict[uuid.UUID, int] = defaultdict(int)
    expected_months: dict[uuid.UUID, tuple[int, int]] = {}
    for habit, a, b in plan.spans:
        whole, edges = _split_months(a, b)
        if whole is not None:
            month_spans.append((habit.id, whole[0], whole[1]))
            count = (whole[1].year - whole[0].year) * 12 + whole[1].month - whole[0].month + 1
            expected_months[habit.id] = (count, (month_end(whole[1]) - whole[0]).days + 1)
        for lo, hi in edges:
            day_spans.append((habit.id, lo, hi))
            expected_days[habit.id] += (hi - lo).days + 1
    by_month = await repository.month_counts(session, user.id, month_spans)
    by_day = await repository.day_counts(session, user.id, day_spans)
    rows_read = len(by_month) + len(by_day)
    sums: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for habit, _, _ in list(plan.spans):
        month_found = by_month.get(habit.id, (0, 0, 0, 0))
        day_found = by_day.get(habit.id, (0, 0, 0))
        if month_found[:2] != expected_months.get(habit.id, (0, 0)) or day_found[0] != (
            expected_days.get(habit.id, 0)
        ):
            _fall_back(plan, habit, first, last)
            continue
        sums[habit.id][0] += month_found[2] + day_found[1]
        sums[habit.id][1] += month_found[3] + day_found[2]
    read: list[int] = []
    raw = await raw_days(session, user, plan.raw, today, read)
    rows_read += sum(read)
    for key, rows in raw.items():
        for row in rows:
            sums[key][0] += row.unit_done
            sums[key][1] += row.unit_missed
    lines = [HabitLine(habit, sums[habit.id][0], sums[habit.id][1]) for habit in habits]
    return Report(
        first,
        last,
        lines,
        sum(line.done for line in lines),
        sum(line.missed for line in lines),
        _source(plan),
        rows_read,
    )


@dataclass(frozen=True, slots=True)
class OverviewLine(HabitLine):
    """A report line with the habit's strength and streak today."""

    score: float
    current_streak: int


@dataclass(frozen=True, slots=True)
class Overview:
    first: date
    last: date
    habits: list[OverviewLine]
    done: int
    missed: int
    week: tuple[int, int]  # units done, missed ending in the last 7 days
    month: tuple[int, int]  # ... and in the last 30 days

    @property
    def rate(self) -> float | None:
        return completion_ratio(self.done, self.missed)

    @property
    def rate_7d(self) -> float | None:
        return completion_ratio(*self.week)

    @property
    def rate_30d(self) -> float | None:
        return completion_ratio(*self.month)

    consistency: float | None


def consistency(lines: Sequence[OverviewLine], today: date) -> float | None:
    """The mean strength score (D8.2) of the active habits that have started: each
    habit weighs the same, whatever its frequency, and a long record survives a bad
    week (docs/SCORE.md "Consistency"). None without such a habit."""
    started = [line.score for line in lines if line.habit.start_date <= today]
    return sum(started) / len(started) if started else None


async def overview(
    session: AsyncSession, user: User, first: date, last: date, *, threshold: int
) -> Overview:
    """Across the active habits (archived ones are left out, D2.4): each habit's
    strength and streak today, units done and missed ending in [first, last] (through
    the summaries for long windows), the overall rate over the last 7 and 30 days, and
    the consistency score."""
    check_window(first, last)
    habits = await habits_repository.habits_of(session, user.id, archived=False)
    today = today_of(user)
    evaluated = {
        item.ctx.habit.id: item.now for item in await evaluate(session, user, habits, today)
    }
    month_first = today - 29 * ONE_DAY
    recent = await raw_days(session, user, [(habit, month_first, today) for habit in habits], today)
    week, month = [0, 0], [0, 0]
    for rows in recent.values():
        for row in rows:
            month[0] += row.unit_done
            month[1] += row.unit_missed
            if row.day > today - 7 * ONE_DAY:
                week[0] += row.unit_done
                week[1] += row.unit_missed
    if month_first <= first and last <= today:
        # The window (the default: the last 30 days) lies in the rows just computed.
        counts = {
            habit.id: (
                sum(row.unit_done for row in recent[habit.id] if first <= row.day <= last),
                sum(row.unit_missed for row in recent[habit.id] if first <= row.day <= last),
            )
            for habit in habits
        }
    else:
        report = await _report_of(session, user, habits, first, last, threshold)
        counts = {line.habit.id: (line.done, line.missed) for line in report.habits}
    lines = [
        OverviewLine(
            habit=habit,
            done=counts[habit.id][0],
            missed=counts[habit.id][1],
            score=evaluated[habit.id].score,
            current_streak=evaluated[habit.id].current.length,
        )
        for habit in habits
    ]
    return Overview(
        first,
        last,
        lines,
        sum(line.done for line in lines),
        sum(line.missed for line in lines),
        (week[0], week[1]),
        (month[0], month[1]),
        consistency(lines, today),
    )


def week_window(text: str, week_start: str) -> tuple[date, date]:
    """`2026-W47`: the ISO week, starting on the user's week start (D3.1): the week
    that holds the ISO week's Monday."""
    try:
        year, week = text.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError as error:
        raise ValidationFailed(
            [FieldError("week", "must be an ISO week like 2026-W47", "format", "query")]
        ) from error
    _check_range("week", monday, monday)
    first = core_time.period_start(monday, "week", core_time.weekday_number(week_start))
    return first, first + timedelta(days=6)


def month_window(text: str) -> tuple[date, date]:
    """`2026-11`: the calendar month."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(text)
        first = date(int(year), int(month), 1)
    except ValueError as error:
        raise ValidationFailed(
            [FieldError("month", "must be a month like 2026-11", "format", "query")]
        ) from error
    _check_range("month", first, first)
    return first, month_end(first)


def _check_range(field: str, first: date, last: date) -> None:
    """Issue 11 item 7: a period outside the supported dates is a 422, not an overflow."""
    if not (in_supported_range(first) and in_supported_range(last)):
        raise ValidationFailed([FieldError(field, DATE_RANGE_MESSAGE, "date_range", "query")])


def year_window(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


async def etag(
    session: AsyncSession, user: User, habit_id: uuid.UUID | None, *parts: object
) -> str:
    """API.md: heavy reads send an ETag. It changes with every habit's summary version
    (bumped by every write that can change a summary), the user's calendar, today and
    the query. One query on `habits`; no entry or summary is read."""
    return _etag(user, await repository.versions_of(session, user.id), habit_id, *parts)


def etag_of(user: User, habits: Sequence[Habit], habit_id: uuid.UUID | None, *parts: object) -> str:
    """`etag` from the habit rows already read (`all_habits`): the same value, no query."""
    versions = sorted((habit.id, habit.summary_version, habit.category) for habit in habits)
    return _etag(user, versions, habit_id, *parts)


def _etag(
    user: User,
    versions: list[tuple[uuid.UUID, int, str | None]],
    habit_id: uuid.UUID | None,
    *parts: object,
) -> str:
    if habit_id is not None and all(found != habit_id for found, _, _ in versions):
        raise NotFound("habit_id: no such habit.")
    return responses.etag(
        user.id,
        user.timezone,
        user.day_start_hour,
        user.week_start,
        today_of(user),
        versions,
        habit_id,
        *parts,
    )
