"""What a summary row holds, computed by `core` (pure: no database, no I/O).

A **day row** is what `core.outcomes.Timeline` says about one day:

- `outcome`: D5 (`done`, `missed`, `pending`, `not_required`, `future`); days of a
  `times_per_period` habit are never required on their own (D6): a complete, available
  day is `done`, every other day `not_required`;
- `done` = 1 when the outcome is `done`; `required` = 1 when it is `done`, `missed` or
  `pending`. So a `times_per_period` day counts 1/1 when it was done and 0/0 otherwise:
  the heatmap shows activity, and the period's own verdict goes to the units below;
- `unit_done` / `unit_missed`: the streak units (D7.1: a required day, or a week or
  month of a periodic habit) that END on that day and are done / missed. D8.1 counts a
  window's units by their last day (`core.scores.completion_rate`), so a report over any
  window is the sum of its days' unit counts;
- `skipped`, `in_break`, `value`: the facts of the day.

Only settled days are stored: days before the user's today when the row was written.
Their outcome and the units ending on them can no longer change with the passing of
time (only with a write, which recomputes them), so stored rows plus rows computed
from raw entries for the days after them give the same answer as raw entries alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from habitus.core.evaluate import window_timeline
from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.outcomes import B_BREAK, DONE, MISSED, PENDING, S_SKIPPED, U_DONE, U_MISSED

REQUIRED = frozenset((DONE, MISSED, PENDING))


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    outcome: str
    done: int
    required: int
    skipped: int
    in_break: int
    value: float | None
    unit_done: int
    unit_missed: int


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date
    days: int
    done: int
    required: int
    missed: int
    skipped: int
    breaks: int
    value_sum: float
    unit_done: int
    unit_missed: int


def compute_days(
    rules: HabitRules,
    entries: Mapping[date, EntryFact],
    breaks: Iterable[Break],
    first: date,
    last: date,
    today: date,
    week_start: int,
) -> list[DayRow]:
    """One row for each day of [first, last] (inclusive). `entries` must hold every
    entry from `core.outcomes.unit_start(rules, first, week_start)` to the end of the
    unit that contains `last` (or to today)."""
    if last < first:
        return []
    timeline = window_timeline(rules, entries, breaks, first, last, today, week_start)
    outcomes = timeline.day_outcomes()
    ends: dict[int, list[int]] = {}
    for _, unit_last, code, _, _ in timeline.raw_units():
        if code == U_DONE:
            ends.setdefault(unit_last, [0, 0])[0] += 1
        elif code == U_MISSED:
            ends.setdefault(unit_last, [0, 0])[1] += 1
    rows = []
    start = timeline.index_of(first)
    for index in range(start, start + (last - first).days + 1):
        day = timeline.date_of(index)
        outcome = outcomes[index]
        unit_done, unit_missed = ends.get(day.toordinal(), (0, 0))
        status = timeline.status[index]
        rows.append(
            DayRow(
                day=day,
                outcome=outcome,
                done=int(outcome == DONE),
                required=int(outcome in REQUIRED),
                skipped=int(status == S_SKIPPED),
                in_break=int(timeline.blocked[index] == B_BREAK),
                value=entries[day].value if day in entries else None,
                unit_done=unit_done,
                unit_missed=unit_missed,
            )
        )
    return rows


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def months(rows: Sequence[DayRow]) -> list[MonthRow]:
    """Month rows summing `rows` (any order), one per month they touch."""
    sums: dict[date, list[float]] = {}
    for row in rows:
        acc = sums.setdefault(month_of(row.day), [0.0] * 9)
        acc[0] += 1
        acc[1] += row.done
        acc[2] += row.required
        acc[3] += row.required - row.done
        acc[4] += row.skipped
        acc[5] += row.in_break
        acc[6] += row.value or 0.0
        acc[7] += row.unit_done
        acc[8] += row.unit_missed
    return [
        MonthRow(
            month=month,
            days=int(acc[0]),
            done=int(acc[1]),
            required=int(acc[2]),
            missed=int(acc[3]),
            skipped=int(acc[4]),
            breaks=int(acc[5]),
            value_sum=acc[6],
            unit_done=int(acc[7]),
            unit_missed=int(acc[8]),
        )
        for month, acc in sorted(sums.items())
    ]
