"""A habit's streaks, score and today, from a kept state plus the days since.

Walking ten years of history for every page view is wasted work: the past does not
change unless someone edits it. `HabitState` is what a walk leaves behind, folded up
to the day before the unit in progress; `advance` continues it to today from the
entries since (cheap), and the service keeps the new state. An edit of a day the
state has already folded invalidates it, and the walk starts again from
`initial_state` (services/tests call `evaluate_from_scratch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.outcomes import (
    DONE,
    MISSED,
    NOT_REQUIRED,
    PENDING,
    Outcome,
    Timeline,
    Unit,
    timeline_end,
    unit_start,
)
from habitus.core.schedule import TimesPerPeriod, version_index
from habitus.core.scores import initial_score, score_series, window_days
from habitus.core.streaks import Run, StreakState, fold

ONE_DAY = timedelta(days=1)
UnitName = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class HabitState:
    """A walk of the history, kept between requests.

    Units ending on or before `folded_until` are folded into `streak`; every day up to
    `through` (inclusive) is stepped into `score`. Both lie before today's unit.
    """

    through: date
    folded_until: date
    streak: StreakState
    score: float


@dataclass(frozen=True, slots=True)
class HabitNow:
    """The habit as of `today`: what the API shows on every habit object."""

    today: date
    outcome: Outcome  # today's outcome (D5), or the current period's (D6)
    required: bool
    unit: UnitName
    current: Run
    longest: Run
    score: float
    current_unit: Unit | None  # today's unit in progress: progress of a period
    today_entry: EntryFact | None
    state: HabitState  # to keep: folded through the day before today's unit


def initial_state(rules: HabitRules) -> HabitState:
    before = rules.start_date - ONE_DAY
    return HabitState(before, before, StreakState(), initial_score(rules))


def entries_needed_from(state: HabitState, rules: HabitRules) -> date:
    """The first day whose entries `advance` reads."""
    return min(
        state.folded_until + ONE_DAY,
        state.through + ONE_DAY - timedelta(days=window_days(rules)),
    )


def unit_name(rules: HabitRules, day: date) -> UnitName:
    schedule = rules.versions[version_index(rules.versions, day)].schedule
    return schedule.period if isinstance(schedule, TimesPerPeriod) else "day"


def advance(
    state: HabitState,
    rules: HabitRules,
    entries: Mapping[date, EntryFact],
    breaks: Iterable[Break],
    today: date,
    week_start: int = 0,
) -> HabitNow:
    """Continue `state` to `today`. `entries` must hold every entry from
    `entries_needed_from(state, rules)` on; `state.through` must be before today."""
    if state.through >= today:
        if state.through >= rules.start_date:
            raise ValueError("the state reaches today or later; start from initial_state")
        # A habit that has not started yet (D2.3): nothing before its start is stepped
        # or folded, so the state can be moved back to the day before today.
        before = today - ONE_DAY
        state = HabitState(before, min(state.folded_until, before), state.streak, state.score)
    first = entries_needed_from(state, rules)
    last = timeline_end(rules, today, week_start)
    timeline = Timeline(rules, entries, breaks, first, last, today, week_start)
    units = timeline.raw_units(after=state.folded_until)
    current_start = unit_start(rules, today, week_start)
    boundary = current_start.toordinal()
    final = [unit for unit in units if unit[1] < boundary]
    raw_progress = next((unit for unit in units if unit[1] >= boundary), None)
    in_progress = Unit.of(raw_progress) if raw_progress is not None else None
    folded = fold(state.streak, final)

    start = timeline.index_of(state.through + ONE_DAY)
    stop = timeline.index_of(today)
    if stop >= start:
        score_yesterday, score_today = score_series(
            timeline, start=start, stop=stop, initial=state.score, keep_all=False
        )
    else:
        score_yesterday = score_today = state.score

    current, longest = folded.current, folded.longest
    if in_progress is not None:
        if in_progress.outcome == DONE:
            current = current.extended(in_progress)
            if current.length >= longest.length:
                longest = current
        elif in_progress.outcome == MISSED:
            current = Run()

    unit = unit_name(rules, today)
    if unit == "day":
        index = timeline.index_of(today)
        outcome = timeline.day_outcome(index, version_index(rules.versions, today))
    else:
        outcome = in_progress.outcome if in_progress is not None else NOT_REQUIRED
    kept = HabitState(
        through=today - ONE_DAY,
        folded_until=current_start - ONE_DAY,
        streak=folded,
        score=score_yesterday,
    )
    return HabitNow(
        today=today,
        outcome=outcome,
        required=outcome in (DONE, PENDING, MISSED),
        unit=unit,
        current=current,
        longest=longest,
        score=score_today,
        current_unit=in_progress,
        today_entry=entries.get(today),
        state=kept,
    )


def evaluate_from_scratch(
    rules: HabitRules,
    entries: Mapping[date, EntryFact],
    breaks: Iterable[Break],
    today: date,
    week_start: int = 0,
) -> HabitNow:
    """The whole history walked at once (`entries`: all of them)."""
    return advance(initial_state(rules), rules, entries, breaks, today, week_start)


def window_timeline(
    rules: HabitRules,
    entries: Mapping[date, EntryFact],
    breaks: Iterable[Break],
    first: date,
    last: date,
    today: date,
    week_start: int = 0,
) -> Timeline:
    """A timeline covering [first, last] with whole units at both ends (for rates, day
    outcomes and per-window stats). `entries` must cover its range."""
    return Timeline(
        rules,
        entries,
        breaks,
        unit_start(rules, first, week_start),
        max(last, timeline_end(rules, min(last, today), week_start)),
        today,
        week_start,
    )
