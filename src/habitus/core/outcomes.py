"""D5 and D6: the outcome of each day and of each unit (a required day or period).

`Timeline` lays out the facts of a run of days in flat arrays (one pass over the
entries and breaks), and everything else reads those arrays: outcomes per day,
units for streaks (D7), inputs of the score (D8). Days are indexed from `first`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import compress
from typing import Final, Literal

from habitus.core.habits import Break, EntryFact, HabitRules, Status
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

# The small integers of `Timeline`'s arrays, by name. Each array has codes of its own
# (2 is a skip in `status` and a break in `blocked`): compare with these, never numbers.
#
# `status`: the day's entry (D4.1).
NO_ENTRY: Final = 0
S_DONE: Final = 1
S_SKIPPED: Final = 2
S_FAILED: Final = 3
_STATUS_CODE: dict[Status, int] = {"done": S_DONE, "skipped": S_SKIPPED, "failed": S_FAILED}
STATUS_OF_CODE: dict[int, Status] = {code: name for name, code in _STATUS_CODE.items()}
# `blocked`: whether the day can be required at all.
B_OPEN: Final = 0  # inside the active range, not in a break
B_OUTSIDE: Final = 1  # before start_date or after end_date (D2.3)
B_BREAK: Final = 2  # in a break (D3.2)


def code_table(codes: Iterable[int]) -> bytes:
    """A bytes.translate table mapping each of `codes` to 1 and every other byte to 0."""
    table = bytearray(256)
    for code in codes:
        table[code] = 1
    return bytes(table)


# bytes.translate tables from status codes to "complete" flags (0/1).
_DONE_ONLY = code_table([S_DONE])
_CLEAN = code_table([NO_ENTRY, S_DONE])  # a quit habit's day is clean unless slipped

_OPEN_ONLY = code_table([B_OPEN])
_NOT_SKIPPED = code_table([NO_ENTRY, S_DONE, S_FAILED])


def _both(left: bytes, right: bytes) -> bytes:
    """Byte-wise AND of two equally long 0/1 masks, through one big-integer AND."""
    length = len(left)
    return (int.from_bytes(left, "big") & int.from_bytes(right, "big")).to_bytes(length, "big")


# Unit outcome codes in raw units.
U_DONE: Final = 1
U_PENDING: Final = 2
U_MISSED: Final = 3
UNIT_OUTCOME: dict[int, Outcome] = {U_DONE: DONE, U_PENDING: PENDING, U_MISSED: MISSED}
RawUnit = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Unit:
    """A streak unit (D7.1): one required day, or one week or month of a periodic habit.
    `done_days`/`target` describe a period's progress (a day: 1 or 0 of 1)."""

    first: date
    last: date
    outcome: Outcome
    done_days: int = 0
    target: int = 1

    @classmethod
    def of(cls, raw: RawUnit) -> Unit:
        first, last, code, done, target = raw
        return cls(
            date.fromordinal(first), date.fromordinal(last), UNIT_OUTCOME[code], done, target
        )


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
        # blocked: B_OUTSIDE the active range, or in a B_BREAK (D2.3, D3.2).
        self.blocked = bytearray(n)
        lo = max(0, (rules.start_date - first).days)
        self.blocked[:lo] = bytes([B_OUTSIDE]) * min(lo, n)
        if rules.end_date is not None:
            hi = max(0, (rules.end_date - first).days + 1)
            if hi < n:
                self.blocked[hi:] = bytes([B_OUTSIDE]) * (n - hi)
        for pause in breaks:
            a = max(0, (pause.start - first).days)
            b = min(n, (pause.end - first).days + 1)
            for index in range(a, b):
                if self.blocked[index] == B_OPEN:
                    self.blocked[index] = B_BREAK
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

    def entry_status(self, index: int) -> Status | None:
        """The status of the day's entry (D4.1); None without one."""
        return STATUS_OF_CODE.get(self.status[index])

    def in_break(self, index: int) -> bool:
        """The day is in one of the habit's breaks, inside its active range (D3.2)."""
        return self.blocked[index] == B_BREAK

    def active(self, index: int) -> bool:
        """The day is inside the habit's active range (D2.3), in a break or not."""
        return self.blocked[index] != B_OUTSIDE

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
        return self.blocked[index] == B_OPEN and self.status[index] != S_SKIPPED

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

    def complete_flags(self) -> bytearray:
        """`complete(index)` for every day at once (one pass, mostly in C)."""
        rules = self.rules
        status = self.status
        if rules.kind == "measurable":
            target = rules.target or 0.0
            if rules.direction == "at_least":
                flags = bytearray(
                    code == S_DONE and value >= target
                    for code, value in zip(status, self.value, strict=True)
                )
            else:
                flags = bytearray(
                    code in (NO_ENTRY, S_DONE) and value <= target
                    for code, value in zip(status, self.value, strict=True)
                )
        elif rules.polarity == "quit":
            flags = bytearray(status.translate(_CLEAN))
        else:
            flags = bytearray(status.translate(_DONE_ONLY))
        today = self.today_index
        if rules.counts_slips and 0 <= today < self.n:
            # Today has not ended (D2.2): an at-most amount can still grow; a quit habit's
            # day is complete early only when the user says so.
            flags[today] = (
                rules.kind != "measurable" and status[today] == S_DONE and not self.lost(today)
            )
        return flags

    def _scheduled_mask(self, lo: int, hi: int, version: int) -> bytes:
        """1 for each day of [lo, hi) the day-based version requires (before availability)."""
        schedule = self.rules.versions[version].schedule
        length = hi - lo
        if isinstance(schedule, Daily):
            return b"\x01" * length
        if isinstance(schedule, Weekdays):
            weekday = (self.first_ordinal + lo - 1) % 7  # date.fromordinal(1) is a Monday
            week = bytes(day in schedule.days for day in range(7))
            tiled = week[weekday:] + week * (length // 7 + 1)
            return tiled[:length]
        if isinstance(schedule, EveryNDays):
            offset = (self.first_ordinal + lo - self.anchors[version].toordinal()) % schedule.n
            mask = bytearray(length)
            mask[(schedule.n - offset) % schedule.n :: schedule.n] = b"\x01" * len(
                range((schedule.n - offset) % schedule.n, length, schedule.n)
            )
            return bytes(mask)
        if isinstance(schedule, Dates):
            mask = bytearray(length)
            for day in schedule.dates:
                index = day.toordinal() - self.first_ordinal - lo
                if 0 <= index < length:
                    mask[index] = 1
            return bytes(mask)
        return bytes(length)

    def available_mask(self, lo: int, hi: int) -> bytes:
        """1 for each day of [lo, hi) that is active, not in a break and not skipped."""
        return _both(
            bytes(self.blocked[lo:hi]).translate(_OPEN_ONLY),
            bytes(self.status[lo:hi]).translate(_NOT_SKIPPED),
        )

    def raw_units(self, *, after: date | None = None) -> list[RawUnit]:
        """Streak units in date order as tuples (first ordinal, last ordinal, outcome
        code, done days, target), for required days and periods that end after `after`
        and start by today. Not-required units are left out: D7.2 makes them
        transparent. A period is judged over all its days inside the timeline, so build
        the timeline to cover whole periods."""
        start_index = 0 if after is None else max(0, (after - self.first).days + 1)
        complete = self.complete_flags()
        units: list[RawUnit] = []
        base = self.first_ordinal
        today = self.today_index
        for lo, hi, version in self.segments:
            if hi <= start_index:
                continue
            schedule = self.rules.versions[version].schedule
            if isinstance(schedule, TimesPerPeriod):
                self._period_units(units, complete, lo, hi, schedule, start_index)
                continue
            a, b = max(lo, start_index), min(hi, today + 1)
            if a >= b:
                continue
            required = _both(self._scheduled_mask(a, b, version), self.available_mask(a, b))
            for index in compress(range(a, b), required):
                ordinal = base + index
                if complete[index]:
                    units.append((ordinal, ordinal, U_DONE, 1, 1))
                elif index == today and not self.lost(index):
                    units.append((ordinal, ordinal, U_PENDING, 0, 1))
                else:
                    units.append((ordinal, ordinal, U_MISSED, 0, 1))
        return units

    def units(self, *, after: date | None = None) -> list[Unit]:
        """`raw_units` as `Unit` values (for callers outside the hot path)."""
        return [Unit.of(raw) for raw in self.raw_units(after=after)]

    def _period_units(
        self,
        units: list[RawUnit],
        complete: bytearray,
        lo: int,
        hi: int,
        schedule: TimesPerPeriod,
        start_index: int,
    ) -> None:
        """D6: each calendar period's target is ceil(times * available / length)."""
        available = self.available_mask(lo, hi)
        counted = _both(available, bytes(complete[lo:hi]))
        today = self.today_index
        base = self.first_ordinal
        index = lo
        while index < hi and index <= today:
            if schedule.period == "week":
                # Ordinal 1 (0001-01-01) was a Monday: weekday = (ordinal - 1) % 7.
                offset = (base + index - 1 - self.week_start) % 7
                length, stop = 7, min(hi, index - offset + 7)
            else:
                day = self.date_of(index)
                first_day = day.replace(day=1)
                last_day = period_end(day, "month", self.week_start)
                length = (last_day - first_day).days + 1
                stop = min(hi, last_day.toordinal() - base + 1)
            if stop > start_index:
                free = available.count(1, index - lo, stop - lo)
                if free:
                    done = counted.count(1, index - lo, min(stop, today + 1) - lo)
                    target = -(-(schedule.times * free) // length)  # ceil, in integers
                    if done >= target:
                        outcome = U_DONE
                    elif stop - 1 >= today:
                        outcome = U_PENDING
                    else:
                        outcome = U_MISSED
                    units.append((base + index, base + stop - 1, outcome, done, target))
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
