"""The shape of one category of the offline coach's library.

A category is data, not code: the words that recognise a goal, its natural polarity, its
questions (each with the role its answer plays in the plan), and tasks in difficulty
tiers. Fixed tasks are the curated core; `Ramp`s are tasks with a number that grows
("Read 12 pages", "Read 14 pages"), so even a 66-day plan (198 tasks) never repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["build", "quit"]
# What an answer is used for: the reason (reminder tasks), what gets in the way (obstacle
# tasks), when/where it happens (task wording), the starting point (the last day's review).
Role = Literal["motivation", "obstacle", "when", "level"]
TIERS = 5


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    role: Role


@dataclass(frozen=True, slots=True)
class Ramp:
    """A task whose number grows over the plan: `template` has "{n}" (and may have
    "{when}"); the values are spread over the tiers in order, smallest first."""

    template: str
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    # Single words (stemmed when loaded, so "books" finds "book") and phrases of words.
    keywords: tuple[str, ...]
    phrases: tuple[str, ...]
    polarity: Kind
    questions: tuple[Question, ...]
    build_name: str
    quit_name: str
    # The words for the habit in day-numbered tasks: "your {noun} plan".
    noun: str
    # Used where a task says "{when}" and the user gave no usable time or place.
    default_when: str
    # tiers[0] is the easiest; each holds fixed tasks (may contain "{when}").
    tiers: tuple[tuple[str, ...], ...]
    ramps: tuple[Ramp, ...]
    # Only for a category whose quit plan differs from its build plan (the fallback):
    # None means the same questions and tasks serve both kinds.
    quit_questions: tuple[Question, ...] | None = None
    quit_tiers: tuple[tuple[str, ...], ...] | None = None
    quit_ramps: tuple[Ramp, ...] | None = None

    def questions_for(self, kind: Kind) -> tuple[Question, ...]:
        return self.quit_questions if kind == "quit" and self.quit_questions else self.questions

    def tiers_for(self, kind: Kind) -> tuple[tuple[str, ...], ...]:
        return self.quit_tiers if kind == "quit" and self.quit_tiers else self.tiers

    def ramps_for(self, kind: Kind) -> tuple[Ramp, ...]:
        return self.quit_ramps if kind == "quit" and self.quit_ramps else self.ramps


def steps(start: int, stop: int, step: int) -> tuple[int, ...]:
    """start, start + step, ... up to and including stop."""
    return tuple(range(start, stop + 1, step))


def words(text: str) -> tuple[str, ...]:
    """Keywords written as one space-separated string (easier to read and edit)."""
    return tuple(text.split())


def phrases(text: str) -> tuple[str, ...]:
    """Phrases written as one comma-separated string."""
    return tuple(part.strip() for part in text.split(",") if part.strip())
