"""A process-local cache of what a write to a habit's days needs to read first.

A check-in must know the habit's rules, breaks, kept state and recent entries to
answer with the new streak and the events it caused: four queries. They are the
same as after this process's previous write to the habit, so that write leaves them
here, keyed by the habit's version. Every write to a habit (any process) bumps the
version in the database and the next write reads the bumped version back, so an
entry is used only if nothing happened in between: a stale entry is never used, only
missed. Entries are stored after the transaction commits, never before.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from habitus.core.evaluate import HabitState
from habitus.core.habits import Break, EntryFact, HabitRules

MAX_HABITS = 4096


@dataclass(frozen=True, slots=True)
class WorkingSet:
    version: int  # habits.version this reflects (committed)
    calendar: tuple[str, int, str]  # the user's zone, day start and week start
    rules: HabitRules
    breaks: tuple[Break, ...]
    state: HabitState
    state_is_kept: bool
    facts_from: date  # `facts` holds every entry on or after this day
    facts: dict[date, EntryFact]


_cache: OrderedDict[uuid.UUID, WorkingSet] = OrderedDict()


def lookup(habit_id: uuid.UUID, version: int, calendar: tuple[str, int, str]) -> WorkingSet | None:
    found = _cache.get(habit_id)
    if found is None or found.version != version or found.calendar != calendar:
        return None
    _cache.move_to_end(habit_id)
    return found


def store(habit_id: uuid.UUID, working_set: WorkingSet) -> None:
    """Call only once the write that produced `working_set` has committed."""
    _cache[habit_id] = working_set
    _cache.move_to_end(habit_id)
    while len(_cache) > MAX_HABITS:
        _cache.popitem(last=False)


def forget(habit_id: uuid.UUID) -> None:
    _cache.pop(habit_id, None)


def clear() -> None:
    _cache.clear()
