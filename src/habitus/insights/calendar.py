"""Pure pieces of the habit page and the History page: months, month grids, the state
of one day on a calendar, and the share of a day across habits. No I/O.

Dates are the user's local dates (D1.4); weeks start on the user's week start (D3.1),
given as a Python weekday number (0 = Monday).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from habitus.core.outcomes import DONE, FUTURE, MISSED, NOT_REQUIRED, PENDING, Outcome
from habitus.kit.templating import WEEKDAY_WORDS

# The words of each weekday by Python weekday number (0 = Monday), from the one table.
WEEKDAY_LONG = tuple(WEEKDAY_WORDS.values())  # "Monday"
WEEKDAY_SHORT = tuple(word[:3] for word in WEEKDAY_LONG)  # "Mon"
MONTH_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

# --- dates in words ----------------------------------------------------------------------


def short_date(day: date) -> str:
    """ "Sat 21 Nov" (issue 4: dates like "Sat 21 Nov")."""
    return f"{WEEKDAY_SHORT[day.weekday()]} {day.day} {MONTH_SHORT[day.month - 1]}"


def long_date(day: date) -> str:
    """ "Saturday 21 November 2026", for screen readers and titles."""
    return f"{WEEKDAY_LONG[day.weekday()]} {day.day} {MONTH_LONG[day.month - 1]} {day.year}"


def date_with_year(day: date, today: date) -> str:
    """ "Sat 21 Nov", with the year when it is not this year's."""
    text = short_date(day)
    return text if day.year == today.year else f"{text} {day.year}"


def month_title(month: date) -> str:
    return f"{MONTH_LONG[month.month - 1]} {month.year}"


# --- months --------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """ "2026-10" -> 2026-10-01. ValueError for anything else."""
    match = _MONTH.match(text.strip())
    if match is None:
        raise ValueError("a month looks like 2026-10")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError("a month looks like 2026-10")
    if not 1900 <= year <= 9998:
        raise ValueError("pick a month between 1900 and 9998")
    return date(year, month, 1)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month`'s (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def week_start_of(day: date, week_start: int) -> date:
    """The first day of `day`'s week (D3.1)."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def weekday_headers(week_start: int) -> list[tuple[str, str]]:
    """(short, long) weekday names in the order of the user's week."""
    order = [(week_start + offset) % 7 for offset in range(7)]
    return [(WEEKDAY_SHORT[day], WEEKDAY_LONG[day]) for day in order]


def month_grid(month: date, week_start: int) -> list[list[date | None]]:
    """The month's days as weeks of seven (rows), each starting on the user's week
    start; places before the 1st and after the last day are None."""
    first = month.replace(day=1)
    last = month_end(first)
    start = week_start_of(first, week_start)
    weeks: list[list[date | None]] = []
    day = start
    while day <= last:
        week: list[date | None] = []
        for _ in range(7):
            week.append(day if first <= day <= last else None)
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


# --- one habit's day -----------------------------------------------------------------------

DayState = Literal[
    "done",
    "missed",
    "skipped",
    "break",
    "not_required",
    "pending",
    "future",
    "before_start",
    "ended",
    "extra",
]

STATE_LABELS: dict[str, str] = {
    "done": "done",
    "extra": "done (not required)",
    "missed": "missed",
    "skipped": "skipped",
    "break": "break",
    "not_required": "not required",
    "pending": "to do today",
    "future": "upcoming",
    "before_start": "before the habit started",
    "ended": "after the habit ended",
}

# Shown in each calendar cell next to its colour, so a state never depends on colour.
STATE_MARKS: dict[str, str] = {
    "done": "✓",
    "extra": "✓",
    "missed": "✕",
    "skipped": "↷",
    "break": "‖",
    "not_required": "·",
    "pending": "○",
    "future": "",
    "before_start": "",
    "ended": "",
}

# The legend of the habit calendar, in reading order.
LEGEND: tuple[str, ...] = (
    "done",
    "missed",
    "skipped",
    "break",
    "not_required",
    "pending",
)


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What the calendar needs to know of one day of one habit."""

    outcome: Outcome  # D5 (days of a periodic habit: done or not_required, D6)
    status: str | None  # the entry's status, if any (D4.1)
    in_break: bool  # D3.2
    before_start: bool  # D2.3
    after_end: bool  # D2.3
    complete: bool  # D4.2, whether or not the day was required


def day_state(facts: DayFacts) -> DayState:
    """The state a calendar shows for a day: the D5 outcome, told apart by why a day was
    not required (before the start or after the end, D2.3; a break, D3.2; a skip,
    D3.3/D6.1), and a complete day that was not required shown as an extra (D5)."""
    if facts.outcome == FUTURE:
        return "future"
    if facts.before_start:
        return "before_start"
    if facts.after_end:
        return "ended"
    if facts.outcome == DONE:
        return "done"
    if facts.outcome == MISSED:
        return "missed"
    if facts.outcome == PENDING:
        return "pending"
    if facts.in_break:
        return "break"
    if facts.status == "skipped":
        return "skipped"
    if facts.outcome == NOT_REQUIRED and facts.complete:
        return "extra"
    return "not_required"


def day_title(
    day: date, state: str, value_text: str | None = None, today: date | None = None
) -> str:
    """ "Sat 21 Nov: done" (and ", 5 km" for a measurable habit's value); with the year
    when `today` is given and is in another year (an older year's heatmap)."""
    when = short_date(day) if today is None else date_with_year(day, today)
    text = f"{when}: {STATE_LABELS[state]}"
    return f"{text}, {value_text}" if value_text else text


def format_value(value: float | None, unit: str | None) -> str | None:
    """5.0 -> "5", 2.5 -> "2.5", with the unit after it."""
    if value is None:
        return None
    number = f"{value:g}" if value != int(value) else str(int(value))
    return f"{number} {unit}" if unit else number


# --- a day across habits (History) -------------------------------------------------------

ShareLevel = Literal["future", "none", "s0", "s1", "s2", "s3", "perfect"]


def share_level(done: int, required: int, *, future: bool = False) -> ShareLevel:
    """The colour step of a day on the History calendar: `perfect` (gold) when every
    required habit was completed, `none` (neutral) when nothing was required, `future`
    for days to come, else a step of the accent colour by share (s0 = none done)."""
    if future:
        return "future"
    if required <= 0:
        return "none"
    if done >= required:
        return "perfect"
    share = done / required
    if share <= 0:
        return "s0"
    if share < 0.5:
        return "s1"
    if share < 0.75:
        return "s2"
    return "s3"


def share_text(done: int, required: int) -> str:
    """ "3 of 4 (75%)"; "Nothing required" when no habit was required that day."""
    if required <= 0:
        return "Nothing required"
    return f"{done} of {required} ({round(100 * done / required)}%)"


def percent(rate: float | None) -> str:
    """0.857 -> "86%"; None (no units, D8.1) -> "No data yet"."""
    return "No data yet" if rate is None else f"{round(100 * rate)}%"
