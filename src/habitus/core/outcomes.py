"""D5 and D6: the outcome of each day and of each unit (a required day or period).

`Timeline` lays out the facts of a run of days in flat arrays (one pass over the
entries and breaks), and everything else reads those arrays: outcomes per day,
units for streaks (D7), inputs of the score (D8). Days are indexed from `first`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.schedule import (
    Daily,
    Dates,
    EveryNDays,
    TimesPerPeriod,
    Weekdays,
    anchor_of,
    version_index,
)
from habitus.core.time import period_end, period_start

Outcome = Literal["done", "pending", "missed", "not_required", "future"]
DONE: Outcome = "done"
PENDING: Outcome = "pending"
MISSED: Outcome = "missed"
NOT_REQUIRED: Outcome = "not_required"
FUTURE: Outcome = "future"

# Entry status codes in the arrays.
NO_ENTRY, S_DONE, S_SKIPPED, S_FAILED = 0, 1, 2, 3
_STATUS_CODE = {"done": S_DONE, "skipped": S_SKIPPED, "failed": S_FAILED}


@dataclass(frozen=True, slots=True)
class Unit:
    """A streak unit (D7.1): one required day, or one week or month of a periodic habit.
    `done_days`/`target` describe a period's progress (a day: 1 or 0 of 1)."""

    first: date
    last: date
    outcome: Outcome
    done_days: int = 0
    target: int = 1


class Timeline:
    """The facts of each day in [first, last] for one habit."""

    __slots__ = (
        "anchors",
        "blocked",
        "first",
        "first_ordinal",
        "last",
        "n",
        "rules",
        "segments",
        "status",
        "today",
        "today_index",
        "value",
        "week_start",
    )

    def __init__(
        self,
        rules: HabitRules,
        entries: Mapping[date, EntryFact],
        breaks: Iterable[Break],
        first: date,
        last: date,
        today: date,
        week_start: int = 0,
    ) -> None:
        self.rules = rules
        self.first = first
        self.last = last
        self.first_ordinal = first.toordinal()
        self.n = max(0, (last - first).days + 1)
        self.today = today
        self.today_index = (today - first).days
        self.week_start = week_start
        n = self.n
        self.status = bytearray(n)
        self.value = [0.0] * n
        for day, entry in entries.items():
            index = day.toordinal() - self.first_ordinal
            if 0 <= index < n:
                self.status[index] = _STATUS_CODE[entry.status]
                if entry.value is not None:
                    self.value[index] = entry.value
        # blocked: 1 = outside the active range, 2 = in a break (D2.3, D3.2).
        self.blocked = bytearray(n)
        lo = max(0, (rules.start_date - first).days)
        self.blocked[:lo] = b"\x01" * min(lo, n)
        if rules.end_date is not None:
            hi = max(0, (rules.end_date - first).days + 1)
            if hi < n:
                self.blocked[hi:] = b"\x01" * (n - hi)
        for pause in breaks:
            a = max(0, (pause.start - first).days)
            b = min(n, (pause.end - first).days + 1)
            for index in range(a, b):
                if not self.blocked[index]:
                    self.blocked[index] = 2
        # Version segments: (first index, last index + 1, version index).
        self.segments: list[tuple[int, int, int]] = []
        self.anchors: list[date] = []
        versions = rules.versions
        for vi in range(len(versions)):
            self.anchors.append(anchor_of(versions, vi, rules.start_date))
        if n:
            current = version_index(versions, first)
            start = 0
            for vi in range(current + 1, len(versions)):
                cut = (versions[vi].effective_from - first).days
                if cut <= 0:
                    current = vi
                    continue
                if cut >= n:
                    break
                self.segments.append((start, cut, current))
                start, current = cut, vi
            self.segments.append((start, n, current))

    # --- single days ----------------------------------------------------------------

    def date_of(self, index: int) -> date:
        return date.fromordinal(self.first_ordinal + index)

    def index_of(self, day: date) -> int:
        return day.toordinal() - self.first_ordinal

    def complete(self, index: int) -> bool:
        """D4.2: the day counts as complete. For slip-counting habits (quit, at-most) a day
        that has not ended is complete only when explicitly marked done."""
        status = self.status[index]
        rules = self.rules
        if status in (S_FAILED, S_SKIPPED):
            return False
        if rules.kind == "measurable":
            target = rules.target or 0.0
            if rules.direction == "at_least":
                return self.value[index] >= target
            return self.value[index] <= target and index < self.today_index
        if rules.polarity == "quit":
            return index < self.today_index or status == S_DONE
        return status == S_DONE

    def lost(self, index: int) -> bool:
        """D5: today can no longer be completed (a slip, or an at-most value over target)."""
        if self.status[index] == S_FAILED:
            return True
        rules = self.rules
        return (
            rules.kind == "measurable"
            and rules.direction == "at_most"
            and self.value[index] > (rules.target or 0.0)
        )

    def scheduled(self, index: int, version: int) -> bool:
        schedule = self.rules.versions[version].schedule
        if isinstance(schedule, Daily):
            return True
        day = self.date_of(index)
        if isinstance(schedule, Weekdays):
            return day.weekday() in schedule.days
        if isinstance(schedule, EveryNDays):
            return (day - self.anchors[version]).days % schedule.n == 0
        if isinstance(schedule, Dates):
            return day in schedule.dates
        return False

    def available(self, index: int) -> bool:
        """Active, not in a break, not skipped (D6.1; for day schedules, add "scheduled")."""
        return not self.blocked[index] and self.status[index] != S_SKIPPED

    def day_outcome(self, index: int, version: int) -> Outcome:
        """D5 for a day of a day-based schedule."""
        if index > self.today_index:
            return FUTURE
        if not self.available(index) or not self.scheduled(index, version):
            return NOT_REQUIRED
        if self.complete(index):
            return DONE
        if index == self.today_index:
            return MISSED if self.lost(index) else PENDING
        return MISSED

    # --- whole ranges ---------------------------------------------------------------

    def day_outcomes(self) -> list[Outcome]:
        """The outcome of every day. Days of a periodic schedule are never required on
        their own: a complete one is `done`, the rest `not_required` (or `future`)."""
        outcomes: list[Outcome] = []
        for lo, hi, version in self.segments:
            periodic = isinstance(self.rules.versions[version].schedule, TimesPerPeriod)
            for index in range(lo, hi):
                if not periodic:
                    outcomes.append(self.day_outcome(index, version))
                elif index > self.today_index:
                    outcomes.append(FUTURE)
                elif self.available(index) and self.complete(index):
                    outcomes.append(DONE)
                else:
                    outcomes.append(NOT_REQUIRED)
        return outcomes

    def units(self, *, after: date | None = None) -> list[Unit]:
        """Streak units in order, for required days and periods that end after `after`
        (not_required units are left out: D7.2 makes them transparent). A period is
        judged over all its days inside the timeline, so build the timeline to cover
        whole periods."""
        start_index = 0 if after is None else max(0, (after - self.first).days + 1)
        units: list[Unit] = []
        for lo, hi, version in self.segments:
            if hi <= start_index:
                continue
            schedule = self.rules.versions[version].schedule
            if isinstance(schedule, TimesPerPeriod):
                self._period_units(units, lo, hi, schedule, start_index)
                continue
            today = self.today_index
            for index in range(max(lo, start_index), hi):
                if index > today:
                    break
                if self.blocked[index] or self.status[index] == S_SKIPPED:
                    continue
                if not self.scheduled(index, version):
                    continue
                day = self.date_of(index)
                if self.complete(index):
                    units.append(Unit(day, day, DONE, 1, 1))
                elif index == today:
                    units.append(Unit(day, day, MISSED if self.lost(index) else PENDING, 0, 1))
                else:
                    units.append(Unit(day, day, MISSED, 0, 1))
        return units

    def _period_units(
        self, units: list[Unit], lo: int, hi: int, schedule: TimesPerPeriod, start_index: int
    ) -> None:
        """D6: each calendar period's target is ceil(times * available / length)."""
        index = lo
        while index < hi:
            day = self.date_of(index)
            period_first = period_start(day, schedule.period, self.week_start)
            period_last = period_end(day, schedule.period, self.week_start)
            length = (period_last - period_first).days + 1
            stop = min(hi, (period_last - self.first).days + 1)
            if stop <= start_index:
                index = stop
                continue
            if index > self.today_index:
                break
            available = done = 0
            for position in range(index, stop):
                if self.available(position):
                    available += 1
                    if position <= self.today_index and self.complete(position):
                        done += 1
            if available:
                target = -(-(schedule.times * available) // length)  # ceil, in integers
                if done >= target:
                    outcome: Outcome = DONE
                elif stop - 1 >= self.today_index:
                    outcome = PENDING
                else:
                    outcome = MISSED
                units.append(
                    Unit(self.date_of(index), self.date_of(stop - 1), outcome, done, target)
                )
            index = stop


def timeline_end(rules: HabitRules, today: date, week_start: int) -> date:
    """Where a timeline up to `today` must end so the current period is whole."""
    schedule = rules.versions[version_index(rules.versions, today)].schedule
    if isinstance(schedule, TimesPerPeriod):
        return period_end(today, schedule.period, week_start)
    return today


def unit_start(rules: HabitRules, day: date, week_start: int) -> date:
    """First day of the unit that contains `day` (the day itself, or its period's start,
    not before the version's own start)."""
    index = version_index(rules.versions, day)
    schedule = rules.versions[index].schedule
    if not isinstance(schedule, TimesPerPeriod):
        return day
    start = period_start(day, schedule.period, week_start)
    if index > 0:
        start = max(start, rules.versions[index].effective_from)
    return start


def days_between(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)
