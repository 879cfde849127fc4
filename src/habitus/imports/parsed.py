"""What every importer produces: habits with their days, in Habitus terms, plus notes
for the import report. Pure data; `rules` checks it and the writer writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Habits one file may bring: more than anyone keeps, few enough that creating them stays
# a matter of seconds.
MAX_HABITS = 1000


class ImportRefused(Exception):
    """The file is not what its format says, or cannot be read: a 422 naming why."""

    def __init__(self, message: str, rule: str = "invalid_file") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


@dataclass(slots=True)
class ParsedEntry:
    day: date
    status: str  # done | skipped | failed
    value: float | None = None
    note: str | None = None
    # Known only from a Habitus export; otherwise noon of the day in the user's zone.
    logged_at: datetime | None = None
    logged_tz: str | None = None
    source: str | None = None


@dataclass(slots=True)
class ParsedHabit:
    name: str
    # Versions (effective_from, schedule); effective_from None means the start date.
    schedules: list[tuple[date | None, dict[str, Any]]]
    kind: str = "boolean"
    polarity: str = "build"
    target: dict[str, Any] | None = None
    description: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    backfill_days: int | None = 2
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    color: str | None = None
    icon: str | None = None
    visibility: str = "private"
    archived: bool = False
    archived_at: datetime | None = None
    created_at: datetime | None = None
    # One entry per day (D4.1), kept as the file is read: a day seen again is counted
    # in `Parsed.repeats`, never held twice (a file of one row repeated stays small).
    entries: dict[date, ParsedEntry] = field(default_factory=dict)
    # The id the file gives the habit (a Habitus export's breaks refer to it).
    source_id: str | None = None


@dataclass(slots=True)
class ParsedBreak:
    start_date: date
    end_date: date
    reason: str | None = None
    habit_source_id: str | None = None  # None: a break for all habits


@dataclass(slots=True)
class Parsed:
    habits: list[ParsedHabit] = field(default_factory=list)
    breaks: list[ParsedBreak] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    # Rows of the file that became nothing (auto checks, unreadable values, ...).
    ignored: int = 0
    # Days a habit had more than once in the file (the first one is kept).
    repeats: int = 0
    # Notes of foreign formats cut to the length Habitus keeps.
    notes_cut: int = 0

    def add_habit(self, habit: ParsedHabit) -> None:
        if len(self.habits) >= MAX_HABITS:
            raise ImportRefused(f"the file has more than {MAX_HABITS} habits", "too_many_habits")
        self.habits.append(habit)

    def add(self, habit: ParsedHabit, entry: ParsedEntry) -> None:
        """Keep `entry` unless its habit has that day already (then count a repeat)."""
        if entry.day in habit.entries:
            self.repeats += 1
        else:
            habit.entries[entry.day] = entry
