"""Small builders for the example-based tests of habitus.core (plain values, no database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from habitus.core.evaluate import HabitNow, evaluate_from_scratch, window_timeline
from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.outcomes import Outcome, Unit
from habitus.core.schedule import Schedule, ScheduleVersion

DONE = EntryFact("done")
SKIPPED = EntryFact("skipped")
FAILED = EntryFact("failed")


def days(k: int) -> timedelta:
    return timedelta(days=k)


def d(text: str) -> date:
    return date.fromisoformat(text)


def span(first: date | str, last: date | str) -> list[date]:
    """Every date of [first, last]."""
    a = d(first) if isinstance(first, str) else first
    b = d(last) if isinstance(last, str) else last
    return [a + days(k) for k in range((b - a).days + 1)]


def habit(
    schedule: Schedule,
    start: date | str,
    *,
    kind: str = "boolean",
    polarity: str = "build",
    target: float | None = None,
    direction: str | None = None,
    end: date | str | None = None,
    changes: Iterable[tuple[date | str, Schedule]] = (),
) -> HabitRules:
    """A habit; `changes` are later schedule versions (effective date, schedule)."""
    first = d(start) if isinstance(start, str) else start
    versions = [ScheduleVersion(first, schedule)]
    for when, later in changes:
        versions.append(ScheduleVersion(d(when) if isinstance(when, str) else when, later))
    if direction is None:
        direction = "at_most" if polarity == "quit" else "at_least"
    return HabitRules(
        kind,  # type: ignore[arg-type]
        polarity,  # type: ignore[arg-type]
        target,
        direction,  # type: ignore[arg-type]
        first,
        d(end) if isinstance(end, str) else end,
        tuple(versions),
    )


def facts(
    entries: Mapping[date | str, EntryFact] | Iterable[date | str], fact: EntryFact = DONE
) -> dict[date, EntryFact]:
    """Entries by date: a mapping, or an iterable of dates that all get `fact`."""
    if isinstance(entries, Mapping):
        return {(d(k) if isinstance(k, str) else k): v for k, v in entries.items()}
    return {(d(k) if isinstance(k, str) else k): fact for k in entries}


def evaluate(
    rules: HabitRules,
    entries: Mapping[date, EntryFact] | None = None,
    today: date | str = "2024-06-30",
    *,
    breaks: Iterable[Break] = (),
    week_start: int = 0,
) -> HabitNow:
    day = d(today) if isinstance(today, str) else today
    return evaluate_from_scratch(rules, entries or {}, tuple(breaks), day, week_start)


def outcomes(
    rules: HabitRules,
    entries: Mapping[date, EntryFact] | None,
    first: date | str,
    last: date | str,
    today: date | str,
    *,
    breaks: Iterable[Break] = (),
    week_start: int = 0,
) -> dict[date, Outcome]:
    """D5: the outcome of each day of [first, last] (Timeline.day_outcomes)."""
    a = d(first) if isinstance(first, str) else first
    b = d(last) if isinstance(last, str) else last
    t = d(today) if isinstance(today, str) else today
    timeline = window_timeline(rules, entries or {}, tuple(breaks), a, b, t, week_start)
    per_day = timeline.day_outcomes()
    return {day: per_day[timeline.index_of(day)] for day in span(a, b)}


def outcome(
    rules: HabitRules,
    entries: Mapping[date, EntryFact] | None,
    day: date | str,
    today: date | str,
    *,
    breaks: Iterable[Break] = (),
) -> Outcome:
    return outcomes(rules, entries, day, day, today, breaks=breaks)[
        d(day) if isinstance(day, str) else day
    ]


def units(
    rules: HabitRules,
    entries: Mapping[date, EntryFact] | None,
    first: date | str,
    today: date | str,
    *,
    breaks: Iterable[Break] = (),
    week_start: int = 0,
) -> list[Unit]:
    """D7.1: the required units from `first` to today."""
    t = d(today) if isinstance(today, str) else today
    a = d(first) if isinstance(first, str) else first
    timeline = window_timeline(rules, entries or {}, tuple(breaks), a, t, t, week_start)
    return timeline.units()
