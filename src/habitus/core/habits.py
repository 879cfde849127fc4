"""D2 and D4: what a habit is, and the facts of a day (entries, breaks), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from habitus.core.schedule import ScheduleVersion

Kind = Literal["boolean", "measurable"]
Polarity = Literal["build", "quit"]
Direction = Literal["at_least", "at_most"]
Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class HabitRules:
    """Everything about a habit that decides its outcomes (D2, D3)."""

    kind: Kind
    polarity: Polarity
    target: float | None  # measurable only
    direction: Direction
    start_date: date
    end_date: date | None  # inclusive
    versions: tuple[ScheduleVersion, ...]  # sorted by effective_from, at least one

    def __post_init__(self) -> None:
        # Every rule below reads "the version in force"; with none there is no answer,
        # and an index error deep inside a walk would hide where the rules came from.
        if not self.versions:
            raise ValueError("a habit's rules need at least one schedule version")

    @property
    def counts_slips(self) -> bool:
        """D2.2: quit habits and measurable at-most habits are complete unless something
        goes wrong; no entry is a good day."""
        return self.polarity == "quit" or (
            self.kind == "measurable" and self.direction == "at_most"
        )

    def active(self, day: date) -> bool:
        """D2.3: inside start_date .. end_date (inclusive)."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True, slots=True)
class EntryFact:
    """D4.1: the one entry of a (habit, local date)."""

    status: Status
    value: float | None = None


@dataclass(frozen=True, slots=True)
class Break:
    """D3.2: an inclusive range of days that are not required."""

    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end
