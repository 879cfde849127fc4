"""D3: schedules, which days are required, and their versions over time.

A habit's schedule can change; each change is a version with the date it takes
effect. A day is judged by the version in effect on it (the newest whose
`effective_from` is on or before the day; days before every version use the first).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal

PERIOD_DAYS = {"week": 7, "month": 30}  # "month" means 30 days in frequencies (Loop's rule)


@dataclass(frozen=True, slots=True)
class Daily:
    """Every day."""


@dataclass(frozen=True, slots=True)
class Weekdays:
    """Some weekdays; `days` holds Python weekday numbers (0 = Monday)."""

    days: frozenset[int]


@dataclass(frozen=True, slots=True)
class EveryNDays:
    """`anchor + k*n` for whole k; the anchor is the version's first day (D3)."""

    n: int


@dataclass(frozen=True, slots=True)
class TimesPerPeriod:
    """`times` complete days per calendar week or month; no single day is required (D6)."""

    times: int
    period: Literal["week", "month"]


@dataclass(frozen=True, slots=True)
class Dates:
    """Exactly these dates."""

    dates: frozenset[date]


Schedule = Daily | Weekdays | EveryNDays | TimesPerPeriod | Dates


@dataclass(frozen=True, slots=True)
class ScheduleVersion:
    effective_from: date
    schedule: Schedule


def is_periodic(schedule: Schedule) -> bool:
    return isinstance(schedule, TimesPerPeriod)


def frequency(schedule: Schedule) -> tuple[int, int]:
    """(numerator, denominator): required days per days, as Loop Habit Tracker counts
    them (D8.2). `dates` has no Loop equivalent: its dates over the span they cover."""
    if isinstance(schedule, Daily):
        return 1, 1
    if isinstance(schedule, Weekdays):
        ratio = Fraction(len(schedule.days), 7)
        return ratio.numerator, ratio.denominator
    if isinstance(schedule, EveryNDays):
        return 1, schedule.n
    if isinstance(schedule, TimesPerPeriod):
        return schedule.times, PERIOD_DAYS[schedule.period]
    if not schedule.dates:
        return 1, 1
    span = (max(schedule.dates) - min(schedule.dates)).days + 1
    ratio = Fraction(len(schedule.dates), span)
    return ratio.numerator, ratio.denominator


def version_index(versions: Sequence[ScheduleVersion], day: date) -> int:
    """Index of the version in effect on `day` (versions sorted by effective_from)."""
    starts = [version.effective_from for version in versions]
    return max(0, bisect.bisect_right(starts, day) - 1)


def anchor_of(versions: Sequence[ScheduleVersion], index: int, start_date: date) -> date:
    """Where an every-n-days version counts from: its first day, not before the habit's."""
    if index == 0:
        return start_date
    return max(versions[index].effective_from, start_date)


def is_scheduled(schedule: Schedule, day: date, anchor: date) -> bool:
    """Is `day` a required day of a day-based schedule? (Period schedules: never one day.)"""
    if isinstance(schedule, Daily):
        return True
    if isinstance(schedule, Weekdays):
        return day.weekday() in schedule.days
    if isinstance(schedule, EveryNDays):
        return (day - anchor).days % schedule.n == 0
    if isinstance(schedule, Dates):
        return day in schedule.dates
    return False
