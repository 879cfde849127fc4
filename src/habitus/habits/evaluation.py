"""From rows to the pure domain and back: rules, facts, kept states, evaluation.

Reading many habits costs a fixed number of queries: versions, breaks, kept states,
and the entries since each state (one or two queries, whatever the number of habits).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core import time as core_time
from habitus.core.evaluate import (
    HabitNow,
    HabitState,
    advance,
    entries_needed_from,
    initial_state,
)
from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.schedule import ScheduleVersion
from habitus.core.streaks import Run, StreakState
from habitus.core.time import missing_dates, weekday_number
from habitus.errors import NotFound
from habitus.habits import repository
from habitus.habits.schemas import schedule_from_json
from habitus.kit import clock
from habitus.models import Habit, HabitBreak, HabitSchedule, HabitStateRow, User

# Entries older than this (relative to today) are fetched apart, so one habit with a
# stale state does not make every other habit's query reach back years.
RECENT_DAYS = 400


def today_of(user: User) -> date:
    """D1.3: the user's today, from now, their zone and day start."""
    return core_time.today(clock.now(), user.timezone, user.day_start_hour)


def rules_of(habit: Habit, versions: Sequence[HabitSchedule]) -> HabitRules:
    return HabitRules(
        kind=habit.kind,
        polarity=habit.polarity,
        target=habit.target_value,
        direction=habit.direction,
        start_date=habit.start_date,
        end_date=habit.end_date,
        versions=tuple(
            ScheduleVersion(row.effective_from, schedule_from_json(row.schedule))
            for row in versions
        ),
    )


def breaks_of(rows: Iterable[HabitBreak]) -> list[Break]:
    return [Break(row.start_date, row.end_date) for row in rows]


def _days_that_never_happened(user: User, first: date, today: date) -> list[Break]:
    """Local days the user's zone skipped (Pacific/Apia's 2011-12-30): nobody could log
    them, so they count as one-day breaks (D1.2, D3.2)."""
    return [
        Break(day, day) for day in missing_dates(user.timezone, first, today, user.day_start_hour)
    ]


def state_from_row(row: HabitStateRow) -> HabitState:
    return HabitState(
        through=row.through,
        folded_until=row.folded_until,
        streak=StreakState(
            Run(row.current_length, row.current_first, row.current_last),
            Run(row.longest_length, row.longest_first, row.longest_last),
        ),
        score=row.score,
    )


def state_values(habit: Habit, basis: str, state: HabitState) -> dict[str, object]:
    return {
        "habit_id": habit.id,
        "user_id": habit.user_id,
        "history_version": habit.history_version,
        "basis": basis,
        "through": state.through,
        "folded_until": state.folded_until,
        "current_length": state.streak.current.length,
        "current_first": state.streak.current.first,
        "current_last": state.streak.current.last,
        "longest_length": state.streak.longest.length,
        "longest_first": state.streak.longest.first,
        "longest_last": state.streak.longest.last,
        "score": state.score,
    }


@dataclass(slots=True)
class HabitContext:
    """One habit, ready for the domain: its rules, breaks, and kept state (if usable)."""

    habit: Habit
    rules: HabitRules
    breaks: list[Break]
    state: HabitState
    state_is_kept: bool


async def contexts_for(
    session: AsyncSession,
    user: User,
    habits: Sequence[Habit],
    today: date,
    *,
    kept_states: bool = True,
) -> list[HabitContext]:
    """Three queries for any number of habits: versions, breaks, kept states. A kept
    state is used when it was computed at the habit's history version, for the same
    week start, and before today. `kept_states=False` (readers that walk a window and
    never fold a streak, like the summaries) skips the third query."""
    ids = [habit.id for habit in habits]
    versions = await repository.versions_of(session, ids)
    everyone, each = await repository.breaks_for(session, user.id, ids)
    kept = await repository.states_of(session, ids) if kept_states else {}
    contexts = []
    for habit in habits:
        if not versions.get(habit.id):
            # Every habit has a version from its creation on, so none means the habit was
            # deleted by a transaction that committed between our queries (PostgreSQL
            # reads committed data statement by statement): it is gone, leave it out.
            continue
        rules = rules_of(habit, versions[habit.id])
        row = kept.get(habit.id)
        usable = (
            row is not None
            and row.history_version == habit.history_version
            and row.basis == user.week_start
            and row.through < today
        )
        contexts.append(
            HabitContext(
                habit=habit,
                rules=rules,
                breaks=[
                    *breaks_of([*everyone, *each.get(habit.id, [])]),
                    *_days_that_never_happened(user, rules.start_date, today),
                ],
                state=state_from_row(row) if usable and row is not None else initial_state(rules),
                state_is_kept=usable,
            )
        )
    return contexts


async def context_of(session: AsyncSession, user: User, habit: Habit, today: date) -> HabitContext:
    """One habit's context; 404 when the habit was deleted meanwhile (see `contexts_for`)."""
    found = await contexts_for(session, user, [habit], today)
    if not found:
        raise NotFound("No such habit.")
    return found[0]


async def facts_for(
    session: AsyncSession, contexts: Sequence[HabitContext], today: date
) -> dict[uuid.UUID, dict[date, EntryFact]]:
    """Each habit's entries from the first day its evaluation reads (at most 2 queries)."""
    starts = {ctx.habit.id: entries_needed_from(ctx.state, ctx.rules) for ctx in contexts}
    cutoff = today - timedelta(days=RECENT_DAYS)
    recent = {key: day for key, day in starts.items() if day >= cutoff}
    older = {key: day for key, day in starts.items() if day < cutoff}
    facts: dict[uuid.UUID, dict[date, EntryFact]] = defaultdict(dict)
    for group in (recent, older):
        for habit_id, day, status, value in await repository.entry_facts(session, group):
            facts[habit_id][day] = EntryFact(status, value)
    return facts


def evaluate_context(
    ctx: HabitContext, facts: dict[date, EntryFact], today: date, week_start: str
) -> HabitNow:
    return advance(ctx.state, ctx.rules, facts, ctx.breaks, today, weekday_number(week_start))


@dataclass(frozen=True, slots=True)
class Evaluated:
    ctx: HabitContext
    now: HabitNow


async def evaluate(
    session: AsyncSession, user: User, habits: Sequence[Habit], today: date
) -> list[Evaluated]:
    """Every habit as of `today`, in the order given, in at most five queries."""
    contexts = await contexts_for(session, user, habits, today)
    facts = await facts_for(session, contexts, today)
    return [
        Evaluated(ctx, evaluate_context(ctx, facts.get(ctx.habit.id, {}), today, user.week_start))
        for ctx in contexts
    ]
