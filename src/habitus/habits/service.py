"""Use cases of habits and their days. Services flush; the request boundary commits.

Every write to a habit's days starts with `repository.lock_for_write` (version bump +
row lock), evaluates the habit before and after the change, keeps the new state, and
publishes the domain events the change caused (`events.service.publish`: what reacts to
them, summaries and reminders among others, runs in the same transaction).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.core import time as core_time
from habitus.core.evaluate import (
    HabitNow,
    HabitState,
    entries_needed_from,
    initial_state,
    window_timeline,
)
from habitus.core.habits import EntryFact, Status
from habitus.core.outcomes import DONE, MISSED, Outcome, unit_start
from habitus.core.scores import Logged, best_times, completion_rate, moving_rates
from habitus.core.time import Weekday
from habitus.errors import AppError, NotFound, ValidationFailed
from habitus.events import kinds
from habitus.events.kinds import DomainEvent
from habitus.events.service import publish
from habitus.habits import repository, working_set
from habitus.habits.evaluation import (
    Evaluated,
    HabitContext,
    context_of,
    evaluate,
    evaluate_context,
    facts_for,
    state_values,
    today_of,
)
from habitus.habits.queries import get_habit
from habitus.habits.repository import EntryRecord
from habitus.habits.rules import check_rules
from habitus.habits.schemas import HabitCreate, HabitUpdate, schedule_to_json
from habitus.kit import clock
from habitus.kit.validation import check_window
from habitus.models import Entry, Habit, User
from habitus.plans.limits import UNLIMITED, PlanLimits, check_active_habits, check_restore

# A write keeps a newer walk of the history once the kept one is this far behind.
STATE_REFRESH = timedelta(days=7)
MILESTONES = (7, 14, 21, 30, 50, 66, 100, 150, 200, 365, 500, 730, 1000)


# --- habits ------------------------------------------------------------------------------


async def create_habit(
    session: AsyncSession, user: User, body: HabitCreate, *, limits: PlanLimits = UNLIMITED
) -> Habit:
    """A new habit. `limits`: the plan's (issue 21), given by the user's own requests;
    habits made on their behalf (starters, challenges, imports) pass none."""
    today = today_of(user)
    start = body.start_date or today
    target = body.target.model_dump() if body.target else None
    check_rules(
        kind=body.kind,
        polarity=body.polarity,
        target=target,
        start_date=start,
        end_date=body.end_date,
    )
    await check_active_habits(session, user, limits)
    habit = Habit(
        user_id=user.id,
        name=body.name,
        description=body.description,
        kind=body.kind,
        polarity=body.polarity,
        target_value=target["value"] if target else None,
        unit=target["unit"] if target else None,
        direction=target["direction"]
        if target
        else ("at_most" if body.polarity == "quit" else "at_least"),
        start_date=start,
        end_date=body.end_date,
        backfill_days=body.backfill_days,
        category=body.category or None,
        tags=body.tags or [],
        color=body.color,
        icon=body.icon or None,
        visibility=body.visibility,
        position=await repository.next_position(session, user.id),
    )
    session.add(habit)
    await session.flush()
    await repository.set_version(
        session,
        habit=habit,
        effective_from=start,
        schedule=schedule_to_json(body.schedule.to_core()),
    )
    await _keep_fresh_state(session, user, habit, today)
    # No summary rows yet (`summary_through` is None): reads fall back to raw entries and
    # the habit's first write builds them. An import, which creates habits and then
    # writes years of entries, builds them once (`refresh_states`), not twice.
    await publish(
        session, user, [kinds.HabitCreated(habit_id=habit.id, local_date=today, name=habit.name)]
    )
    return habit


async def _locked(session: AsyncSession, user: User, habit_id: uuid.UUID) -> Habit:
    """The habit, fresh, with its version bumped and its row held for this write."""
    habit = await repository.lock_for_write(session, user.id, habit_id)
    if habit is None:
        raise NotFound("No such habit.")
    return habit


async def update_habit(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    body: HabitUpdate,
    *,
    limits: PlanLimits = UNLIMITED,
) -> Habit:
    if "archived" in body.model_fields_set and body.archived is False:
        # Before the lock's write: a refusal leaves nothing changed, whatever the answer.
        await check_restore(session, user, habit_id, limits)
    habit = await _locked(session, user, habit_id)
    today = today_of(user)
    sent = body.model_fields_set
    recorded: list[DomainEvent] = []
    for name in ("kind", "polarity"):
        if name in sent and getattr(body, name) != getattr(habit, name):
            raise ValidationFailed.field(
                name,
                "cannot change once the habit exists; create a new habit instead",
                "immutable",
            )
    target: dict[str, Any] | None
    if "target" in sent:
        target = body.target.model_dump() if body.target is not None else None
    elif habit.kind == "measurable":
        target = {"value": habit.target_value, "unit": habit.unit, "direction": habit.direction}
    else:
        target = None
    start = body.start_date if "start_date" in sent and body.start_date else habit.start_date
    end = body.end_date if "end_date" in sent else habit.end_date
    check_rules(
        kind=habit.kind, polarity=habit.polarity, target=target, start_date=start, end_date=end
    )
    changed: dict[str, Any] = {}
    for name in (
        "name",
        "description",
        "backfill_days",
        "category",
        "tags",
        "color",
        "icon",
        "visibility",
    ):
        if name in sent:
            value = getattr(body, name)
            if name == "tags":
                value = value or []
            if name in {"category", "icon"}:
                value = value or None
            if getattr(habit, name) != value:
                changed[name] = value
                setattr(habit, name, value)
    history_changed = False
    if "target" in sent and target is not None and habit.kind == "measurable":
        value, unit, direction = target["value"], target["unit"], target["direction"]
        if (value, unit, direction) != (habit.target_value, habit.unit, habit.direction):
            history_changed |= (value, direction) != (habit.target_value, habit.direction)
            habit.target_value, habit.unit, habit.direction = value, unit, direction
            changed["target"] = target
    if (start, end) != (habit.start_date, habit.end_date):
        habit.start_date, habit.end_date = start, end
        changed["start_date"], changed["end_date"] = start.isoformat(), end and end.isoformat()
        history_changed = True
    if "schedule" in sent and body.schedule is not None:
        schedule = schedule_to_json(body.schedule.to_core())
        effective = max(today, habit.start_date)
        await repository.set_version(
            session, habit=habit, effective_from=effective, schedule=schedule
        )
        recorded.append(
            kinds.ScheduleChanged(habit_id=habit.id, local_date=effective, schedule=schedule)
        )
    if "archived" in sent and body.archived is not None:
        if body.archived and habit.archived_at is None:
            habit.archived_at = clock.now()
            recorded.append(kinds.HabitArchived(habit_id=habit.id, local_date=today))
        elif not body.archived and habit.archived_at is not None:
            habit.archived_at = None
            recorded.append(kinds.HabitUnarchived(habit_id=habit.id, local_date=today))
    if changed:
        recorded.insert(
            0,
            kinds.HabitUpdated(
                habit_id=habit.id,
                local_date=today,
                changed=tuple(sorted(changed)),
                history_changed=history_changed,
            ),
        )
    await session.flush()
    await _keep_fresh_state(session, user, habit, today, from_scratch=history_changed)
    await publish(session, user, recorded)
    return habit


async def delete_habit(session: AsyncSession, user: User, habit_id: uuid.UUID) -> None:
    """D2.4: the habit goes with its entries, schedule versions, breaks and state."""
    habit = await get_habit(session, user, habit_id)
    deleted = kinds.HabitDeleted(habit_id=habit.id, local_date=today_of(user), name=habit.name)
    await session.delete(habit)
    await session.flush()
    await publish(session, user, [deleted])


async def list_habits(
    session: AsyncSession, user: User, *, archived: bool | None = False
) -> list[Habit]:
    """The user's habits in their order (position, then id); `archived=None`: all."""
    return await repository.habits_of(session, user.id, archived=archived)


async def move_habit(
    session: AsyncSession, user: User, habit_id: uuid.UUID, *, to_index: int
) -> Habit:
    """Put the habit at `to_index` (0 = first, clamped) among the user's habits that share
    its state (active or archived), in the order `GET /habits` lists them (position,
    then id). Positions are renumbered 0..n-1 across all the user's habits, so ties left
    by older data are settled too. Order is not history: no version or state changes."""
    habit = await get_habit(session, user, habit_id)
    everyone = await repository.habits_of(session, user.id, archived=None)
    archived = habit.archived_at is not None
    same = [item for item in everyone if (item.archived_at is not None) == archived]
    same.remove(next(item for item in same if item.id == habit.id))
    same.insert(max(0, min(to_index, len(same))), habit)
    reordered = iter(same)
    order = [
        next(reordered) if (item.archived_at is not None) == archived else item for item in everyone
    ]
    for index, item in enumerate(order):
        if item.position != index:
            item.position = index
    await session.flush()
    return habit


async def habit_order_index(session: AsyncSession, user: User, habit: Habit) -> int:
    """Where the habit stands (0 = first) among the user's habits of its state."""
    archived = habit.archived_at is not None
    same = await repository.habits_of(session, user.id, archived=archived)
    return next(index for index, item in enumerate(same) if item.id == habit.id)


async def entry_count(session: AsyncSession, user: User, habit_id: uuid.UUID) -> int:
    """Days with an entry on the user's habit (what deleting it loses, D2.4)."""
    habit = await get_habit(session, user, habit_id)
    return await repository.entry_count(session, habit.id)


async def _keep_fresh_state(
    session: AsyncSession, user: User, habit: Habit, today: date, *, from_scratch: bool = False
) -> HabitNow:
    """Evaluate the habit now and keep the result. `from_scratch`: the change rewrote
    the past (rules, dates, a break): bump the history version and walk it all again."""
    if from_scratch:
        await repository.bump_history(session, habit)
    ctx = await context_of(session, user, habit, today)
    facts = await facts_for(session, [ctx], today)
    now = evaluate_context(ctx, facts.get(habit.id, {}), today, user.week_start)
    await repository.save_state(session, state_values(habit, user.week_start, now.state))
    return now


def _without_state(ctx: HabitContext) -> HabitContext:
    return HabitContext(ctx.habit, ctx.rules, ctx.breaks, initial_state(ctx.rules), False)


# --- days: check-ins, entries (D4) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayWrite:
    """What a change to one day answers with."""

    habit: Habit
    entry: EntryRecord | None
    now: HabitNow
    events: list[DomainEvent]


def _check_day(habit: Habit, day: date, today: date) -> None:
    """D4.3: the backfill window, no future, inside the habit's life, not archived."""
    if day > today:
        raise ValidationFailed.field(
            "date", f"is in the future (today is {today.isoformat()})", "not_future"
        )
    if habit.backfill_days is not None and day < today - timedelta(days=habit.backfill_days):
        first = today - timedelta(days=habit.backfill_days)
        window = (
            f"today ({today.isoformat()})"
            if habit.backfill_days == 0
            else f"{first.isoformat()} to {today.isoformat()}"
        )
        raise ValidationFailed.field(
            "date",
            f"is outside the backfill window: entries can be changed for {window}",
            "backfill_window",
        )
    if day < habit.start_date:
        raise ValidationFailed.field(
            "date",
            f"is before the habit starts ({habit.start_date.isoformat()}); "
            "move its start date to log earlier days",
            "before_start",
        )
    if habit.end_date is not None and day > habit.end_date:
        raise ValidationFailed.field(
            "date", f"is after the habit ended ({habit.end_date.isoformat()})", "after_end"
        )
    if habit.archived_at is not None:
        raise AppError(
            "This habit is archived; restore it to log days.",
            status_code=409,
            code="habit-archived",
        )


def _unit_outcome(
    ctx: HabitContext, facts: dict[date, EntryFact], day: date, today: date, week_start: int
) -> Outcome | None:
    """The outcome of the unit that contains `day` (None when it is not required)."""
    timeline = window_timeline(ctx.rules, facts, ctx.breaks, day, day, today, week_start)
    for unit in timeline.units():
        if unit.first <= day <= unit.last:
            return unit.outcome
    return None


async def _load_for_write(
    session: AsyncSession, user: User, habit: Habit, day: date, today: date, week_start: int
) -> tuple[HabitContext, date, dict[date, EntryFact]]:
    """The habit's context and its entries from the first day this write reads: from the
    working set this process kept after its last write (no query), else from the
    database (four queries)."""
    calendar = (user.timezone, user.day_start_hour, user.week_start)
    kept = working_set.lookup(habit.id, habit.version - 1, calendar)
    if (
        kept is not None
        and kept.state.through < today
        and day > kept.state.through
        and day >= kept.facts_from
    ):
        ctx = HabitContext(habit, kept.rules, list(kept.breaks), kept.state, kept.state_is_kept)
        return ctx, kept.facts_from, dict(kept.facts)
    ctx = await context_of(session, user, habit, today)
    # Entries from where the kept state continues, and the whole unit of the day.
    first = min(entries_needed_from(ctx.state, ctx.rules), unit_start(ctx.rules, day, week_start))
    rows = await repository.entry_facts(session, {habit.id: first})
    return ctx, first, {row_day: EntryFact(status, value) for _, row_day, status, value in rows}


async def _change_day(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    day: date | None,
    change: Any,
    *,
    logged: bool,
    added: float | None = None,
) -> DayWrite:
    """Run `change(habit, day, previous fact) -> entry | None` as a write to one day,
    with everything that comes with it: lock, checks, before/after, state, events."""
    habit = await _locked(session, user, habit_id)
    today = today_of(user)
    day = day or today
    _check_day(habit, day, today)
    week_start = core_time.weekday_number(user.week_start)
    ctx, facts_from, facts = await _load_for_write(session, user, habit, day, today, week_start)
    previous = facts.get(day)
    entry = await change(habit, day, previous)
    before = evaluate_context(ctx, facts, today, user.week_start)
    before_unit = _unit_outcome(ctx, facts, day, today, week_start)
    after_facts = dict(facts)
    if entry is None:
        after_facts.pop(day, None)
    else:
        after_facts[day] = EntryFact(entry.status, entry.value)
    after_unit = _unit_outcome(ctx, after_facts, day, today, week_start)
    kept_state, kept_from, kept_facts = ctx.state, facts_from, after_facts
    if day <= ctx.state.through or not ctx.state_is_kept:
        # The kept state has already walked this day (or there is none): walk again.
        if ctx.state_is_kept:
            await repository.bump_history(session, habit)
        fresh = _without_state(ctx)
        all_facts = (await facts_for(session, [fresh], today)).get(habit.id, {})
        after = evaluate_context(fresh, all_facts, today, user.week_start)
        kept_state = after.state
        kept_from = entries_needed_from(kept_state, ctx.rules)
        kept_facts = {key: fact for key, fact in all_facts.items() if key >= kept_from}
        await repository.save_state(session, state_values(habit, user.week_start, kept_state))
    else:
        after = evaluate_context(ctx, after_facts, today, user.week_start)
        if after.state.through - ctx.state.through > STATE_REFRESH:
            # Keep the walk recent, so reads continue from a few days back.
            kept_state = after.state
            kept_from = entries_needed_from(kept_state, ctx.rules)
            kept_facts = {key: fact for key, fact in after_facts.items() if key >= kept_from}
            await repository.save_state(session, state_values(habit, user.week_start, kept_state))
    _remember(session, user, habit, ctx, kept_state, kept_from, kept_facts)
    caused = _consequences(habit, day, before, after, before_unit, after_unit)
    if logged and entry is not None:
        caused.insert(
            0,
            kinds.EntryLogged(
                habit_id=habit.id,
                local_date=day,
                status=entry.status,
                value=entry.value,
                source=entry.source,
                added=added,
            ),
        )
    elif not logged and previous is not None:
        caused.insert(
            0,
            kinds.EntryRemoved(
                habit_id=habit.id,
                local_date=day,
                status=previous.status,
                value=previous.value,
            ),
        )
    # The days of this entry's unit are what may read differently now (a period's verdict).
    written = kinds.DayWritten(
        habit_id=habit.id, local_date=day, unit_start=unit_start(ctx.rules, day, week_start)
    )
    return DayWrite(habit, entry, after, await publish(session, user, [written, *caused]))


def _remember(
    session: AsyncSession,
    user: User,
    habit: Habit,
    ctx: HabitContext,
    state: HabitState,
    facts_from: date,
    facts: dict[date, EntryFact],
) -> None:
    """Leave what the next write to this habit reads, once this one has committed."""
    kept = working_set.WorkingSet(
        version=habit.version,
        calendar=(user.timezone, user.day_start_hour, user.week_start),
        rules=ctx.rules,
        breaks=tuple(ctx.breaks),
        state=state,
        state_is_kept=True,
        facts_from=facts_from,
        facts=facts,
    )
    habit_id = habit.id
    db.after_commit(session, lambda: working_set.store(habit_id, kept))


def _consequences(
    habit: Habit,
    day: date,
    before: HabitNow,
    after: HabitNow,
    before_unit: Outcome | None,
    after_unit: Outcome | None,
) -> list[DomainEvent]:
    """D7.4: what the change did to the day and the streak."""
    caused: list[DomainEvent] = []
    if after_unit == DONE and before_unit != DONE:
        caused.append(kinds.DayCompleted(habit_id=habit.id, local_date=day, unit=after.unit))
    old, new = before.current.length, after.current.length
    if new > old:
        reached = [mark for mark in MILESTONES if old < mark <= new]
        caused.append(
            kinds.StreakExtended(
                habit_id=habit.id,
                local_date=day,
                current=new,
                previous=old,
                unit=after.unit,
                milestone=reached[-1] if reached else None,
            )
        )
    elif old > 0 and new < old and after_unit == MISSED:
        caused.append(
            kinds.StreakBroken(
                habit_id=habit.id, local_date=day, previous=old, current=new, unit=after.unit
            )
        )
    return caused


async def check_in(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    *,
    day: date | None,
    value: float | None,
    note: str | None,
    source: str,
) -> DayWrite:
    """API.md check-in: a boolean day becomes done; a measurable day's value grows by
    `value` (default 1; negative takes away, never below 0). Idempotency is the
    caller's (the key); repeating a boolean check-in changes nothing."""

    async def change(habit: Habit, target_day: date, _previous: EntryFact | None) -> EntryRecord:
        if habit.kind == "boolean" and value is not None:
            raise ValidationFailed.field(
                "value", "only measurable habits take a value", "forbidden"
            )
        amount = (1.0 if value is None else value) if habit.kind == "measurable" else None
        return await repository.add_to_entry(
            session,
            habit=habit,
            day=target_day,
            status="done",
            add=amount,
            note=note,
            logged_at=clock.now(),
            logged_tz=user.timezone,
            source=source,
        )

    return await _change_day(session, user, habit_id, day, change, logged=True, added=value)


async def set_entry(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    *,
    day: date,
    status: str,
    value: float | None,
    note: str | None,
    source: str,
) -> DayWrite:
    """Set the day's entry exactly: done (with a value on a measurable habit), skipped
    (D3.3: the day is not required) or failed (an explicit miss, a quit habit's slip)."""

    async def change(habit: Habit, target_day: date, _previous: EntryFact | None) -> EntryRecord:
        if habit.kind == "boolean" and value is not None:
            raise ValidationFailed.field(
                "value", "only measurable habits take a value", "forbidden"
            )
        if habit.kind == "measurable" and status == "done" and value is None:
            raise ValidationFailed.field(
                "value", "is required to mark a measurable habit done", "required"
            )
        return await repository.put_entry(
            session,
            habit=habit,
            day=target_day,
            status=status,
            value=None if status == "skipped" else value,
            note=note,
            logged_at=clock.now(),
            logged_tz=user.timezone,
            source=source,
        )

    return await _change_day(session, user, habit_id, day, change, logged=True)


async def remove_entry(
    session: AsyncSession, user: User, habit_id: uuid.UUID, *, day: date
) -> DayWrite:
    """Undo: the day has no entry any more (nothing happens when there is none)."""

    async def change(habit: Habit, target_day: date, previous: EntryFact | None) -> None:
        if previous is not None:
            await repository.delete_entry(session, habit.id, target_day)

    return await _change_day(session, user, habit_id, day, change, logged=False)


# --- reading ------------------------------------------------------------------------------


async def list_entries(
    session: AsyncSession, user: User, habit_id: uuid.UUID, first: date, last: date
) -> list[Entry]:
    check_window(first, last)
    habit = await get_habit(session, user, habit_id)
    return await repository.entries_between(session, habit.id, first, last)


async def evaluate_habits(
    session: AsyncSession, user: User, habits: list[Habit]
) -> tuple[date, list[Evaluated]]:
    today = today_of(user)
    return today, await evaluate(session, user, habits, today)


@dataclass(frozen=True, slots=True)
class DayView:
    day: date
    outcome: Outcome
    value: float | None
    status: Status | None
    in_break: bool


@dataclass(frozen=True, slots=True)
class Stats:
    first: date
    last: date
    now: HabitNow
    done: int
    missed: int
    rate: float | None
    total_completions: int
    best_weekday: Weekday | None
    best_hour: int | None
    # D8.1 over the 7 and 30 days ending on each day of [first, min(last, today)].
    moving: list[MovingRate]

    @property
    def rate_7d(self) -> float | None:
        return self.moving[-1].rate_7d if self.moving else None

    @property
    def rate_30d(self) -> float | None:
        return self.moving[-1].rate_30d if self.moving else None


@dataclass(frozen=True, slots=True)
class MovingRate:
    day: date
    rate_7d: float | None
    rate_30d: float | None


# The widest moving rate reaches this many days before a window's first day.
MOVING_LEAD = timedelta(days=29)


async def _window(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    first: date,
    last: date,
    *,
    lead: timedelta = timedelta(0),
) -> tuple[Habit, HabitContext, list[Entry], Any, date]:
    """The habit's timeline over [first - lead, last] (`lead`: moving rates look back)."""
    check_window(first, last)
    first -= lead
    habit = await get_habit(session, user, habit_id)
    today = today_of(user)
    ctx = await context_of(session, user, habit, today)
    week_start = core_time.weekday_number(user.week_start)
    lo = unit_start(ctx.rules, first, week_start)
    hi = last + timedelta(days=31)  # whole periods at the end
    entries = await repository.entries_between(session, habit.id, lo, hi)
    facts = {entry.local_date: EntryFact(entry.status, entry.value) for entry in entries}
    timeline = window_timeline(ctx.rules, facts, ctx.breaks, first, last, today, week_start)
    return habit, ctx, entries, timeline, today


async def days(
    session: AsyncSession, user: User, habit_id: uuid.UUID, first: date, last: date
) -> list[DayView]:
    """Each day of [first, last] with its outcome (D5; days of a periodic habit: done or
    not_required), value and status."""
    _, _, entries, timeline, _ = await _window(session, user, habit_id, first, last)
    by_day = {entry.local_date: entry for entry in entries}
    outcomes = timeline.day_outcomes()
    views = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        index = timeline.index_of(day)
        entry = by_day.get(day)
        views.append(
            DayView(
                day=day,
                outcome=outcomes[index],
                value=entry.value if entry else None,
                status=entry.status if entry else None,
                in_break=timeline.in_break(index),
            )
        )
    return views


async def stats(
    session: AsyncSession, user: User, habit_id: uuid.UUID, first: date, last: date
) -> Stats:
    """Streaks and score as of today; rate, counts and best times over [first, last]."""
    habit, ctx, entries, timeline, today = await _window(
        session, user, habit_id, first, last, lead=MOVING_LEAD
    )
    facts = await facts_for(session, [ctx], today)
    now = evaluate_context(ctx, facts.get(habit.id, {}), today, user.week_start)
    units = list(timeline.units())
    end = min(last, today)
    rate = completion_rate(units, first, end)
    moving = [
        MovingRate(first + timedelta(days=offset), week.value, month.value)
        for offset, (week, month) in enumerate(
            zip(
                moving_rates(units, first, end, 7),
                moving_rates(units, first, end, 30),
                strict=True,
            )
        )
    ]
    complete_days = [
        entry
        for entry in entries
        if first <= entry.local_date <= min(last, today)
        and timeline.complete(timeline.index_of(entry.local_date))
    ]
    total = sum(
        1
        for offset in range((min(last, today) - first).days + 1)
        if timeline.complete(timeline.index_of(first + timedelta(days=offset)))
        and timeline.active(timeline.index_of(first + timedelta(days=offset)))
    )
    weekday, hour = best_times(Logged(entry.logged_at, entry.logged_tz) for entry in complete_days)
    return Stats(
        first=first,
        last=last,
        now=now,
        done=rate.done,
        missed=rate.missed,
        rate=rate.value,
        total_completions=total,
        best_weekday=weekday,
        best_hour=hour,
        moving=moving,
    )


# --- keeping states fresh after changes that span habits --------------------------------------


async def refresh_states(
    session: AsyncSession,
    user: User,
    habit_ids: list[uuid.UUID] | None,
    *,
    changed_from: date | None,
) -> None:
    """After a change that touches many habits (a break, a new week start or zone, an
    import): bump each affected habit's version and keep a fresh state, walking the
    history again where the kept state had folded a day on or after `changed_from` (None:
    always). Publishes `HistoryRewritten`, to which summaries and reminders react."""
    habits = await repository.habits_of(session, user.id, archived=None)
    if habit_ids is not None:
        wanted = set(habit_ids)
        habits = [habit for habit in habits if habit.id in wanted]
    today = today_of(user)
    for listed in habits:
        habit = await repository.lock_for_write(session, user.id, listed.id)
        assert habit is not None
        ctx = await context_of(session, user, habit, today)
        if changed_from is None or changed_from <= ctx.state.through:
            await repository.bump_history(session, habit)
            ctx = _without_state(ctx)
        facts = (await facts_for(session, [ctx], today)).get(habit.id, {})
        now = evaluate_context(ctx, facts, today, user.week_start)
        await repository.save_state(session, state_values(habit, user.week_start, now.state))
    await publish(
        session,
        user,
        [
            kinds.HistoryRewritten(
                local_date=changed_from,
                habit_ids=None if habit_ids is None else tuple(habit_ids),
            )
        ],
    )
