"""Writing a checked file (`rules.Plan`) into an account, in bounded steps (issue 11,
item 2).

Every step is a short transaction of its own (`Destination.transaction`, in the writer's
turn on SQLite): the new habits, a few at a time; the breaks; the days, ENTRY_BATCH rows
a statement and a transaction; each touched habit's kept state walked again
(`habits.service.refresh_states`, which rebuilds its summaries), a few habits at a time.
Nothing here refuses the file (`rules` did that before the first write): a failure now is
the infrastructure's, and running the same import again completes it, since habits match
by name and days by (habit, date).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import ValidationFailed
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import today_of
from habitus.imports import repository
from habitus.imports.destination import Destination
from habitus.imports.parsed import ParsedEntry
from habitus.imports.ports import HABIT_WRITER
from habitus.imports.rules import Plan, PlannedHabit
from habitus.kit import clock
from habitus.models import Habit, User
from habitus.registry import registry

# Rows of days per INSERT and per transaction: about 0.1 s of the writer's turn on SQLite
# (2 cores), so another user's check-in waits at most about that long.
ENTRY_BATCH = 2000
# New habits per transaction (each is a handful of statements: about 0.2 s for 10).
HABITS_PER_STEP = 10
# Days of history walked again per transaction: a habit's walk costs about 0.2 s per
# 10 years, so habits are grouped up to this many days (one long habit goes alone).
REFRESH_DAYS_PER_STEP = 3700
IMPORT_SOURCE = "import"

# (step done, steps in all, what is happening): for the CLI's progress bar.
Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class Written:
    """What the writing did, for the answer and the import's record."""

    habits_created: int = 0
    entries_created: int = 0
    duplicate: int = 0
    future: int = 0
    outside: int = 0
    invalid: int = 0
    report: list[str] = field(default_factory=list)

    def skipped(self) -> int:
        return self.duplicate + self.future + self.outside + self.invalid


@dataclass(slots=True)
class _Target:
    """The account's habit a habit of the file goes into."""

    habit_id: uuid.UUID
    name: str
    kind: str
    start_date: date
    end_date: date | None
    existed: bool
    added: int = 0


class _Steps:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self.done = 0
        self.total = total

    def advance(self, what: str) -> None:
        self.done += 1
        if self._progress:
            self._progress(min(self.done, self.total), self.total, what)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    assert user is not None, "the importing account is gone"
    return user


async def write(
    destination: Destination, user_id: uuid.UUID, plan: Plan, progress: Progress | None
) -> Written:
    """Write `plan` into the account of `user_id`, step by step (see the module)."""
    written = Written()
    async with destination.maker() as session:
        user = await _user(session, user_id)
        mine = await habits_repository.habits_of(session, user_id, archived=None)
    targets = _match(plan, mine)
    new = [planned for planned, target in zip(plan.habits, targets, strict=True) if not target]
    steps = _Steps(
        progress,
        -(-len(new) // HABITS_PER_STEP) + -(-plan.entries // ENTRY_BATCH) + len(plan.habits) + 2,
    )
    created = await _create_all(destination, user_id, new, steps)
    written.habits_created = len(created)
    fresh = iter(created)  # in the order of the file's new habits
    filled = [target or next(fresh) for target in targets]
    everyone = await _breaks(destination, user_id, plan, filled)
    steps.advance("breaks")
    await _days(destination, user, plan, filled, written, steps)
    # Every habit of the file, even one that got no new day now: an import that failed
    # after writing its days and before this step is completed by running it again.
    touched = {target.habit_id: target.start_date for target in filled}
    await _refresh(destination, user_id, touched, everyone, steps)
    for target in filled:
        if target.existed and target.added:
            written.report.append(
                f"'{target.name}' already existed: {target.added} new days were added to it"
            )
    steps.advance("done")
    return written


def _match(plan: Plan, mine: list[Habit]) -> list[_Target | None]:
    """The account's habit for each of the file's habits (None: a new one). A name may
    be there more than once (Loop allows it): the file's n-th habit of a name is the
    account's n-th habit of that name, or a new one."""
    by_name: dict[str, list[Habit]] = defaultdict(list)
    for habit in mine:
        by_name[habit.name.strip().casefold()].append(habit)
    targets: list[_Target | None] = []
    for planned in plan.habits:
        same_name = by_name[planned.parsed.name.strip().casefold()]
        if not same_name:
            targets.append(None)
            continue
        habit = same_name.pop(0)
        targets.append(
            _Target(habit.id, habit.name, habit.kind, habit.start_date, habit.end_date, True)
        )
    return targets


async def _create_all(
    destination: Destination, user_id: uuid.UUID, new: list[PlannedHabit], steps: _Steps
) -> list[_Target]:
    created: list[_Target] = []
    for group in _chunks(new, HABITS_PER_STEP):
        async with destination.transaction() as session:
            user = await _user(session, user_id)
            for planned in group:
                habit = await _create(session, user, planned)
                created.append(
                    _Target(
                        habit.id, habit.name, habit.kind, habit.start_date, habit.end_date, False
                    )
                )
        steps.advance(f"habits ({len(created)} of {len(new)} created)")
    return created


async def _create(session: AsyncSession, user: User, planned: PlannedHabit) -> Habit:
    """A new habit through the habits service (validation, first schedule version, a
    `habit_created` event), then its later schedule versions and dates."""
    parsed = planned.parsed
    try:
        habit = await registry.port(HABIT_WRITER).create_habit(session, user, planned.body)
    except ValidationFailed as failed:  # `rules` checked the same: not expected
        reason = "; ".join(f"{error.field} {error.message}" for error in failed.errors)
        raise ValidationFailed.field(
            "file", f"habit '{parsed.name}': {reason}", "invalid_habit"
        ) from failed
    for effective_from, schedule in planned.versions:
        await habits_repository.set_version(
            session, habit=habit, effective_from=effective_from, schedule=schedule
        )
    if parsed.archived:
        habit.archived_at = parsed.archived_at or clock.now()
    if parsed.created_at is not None:
        habit.created_at = parsed.created_at
    await session.flush()
    return habit


async def _breaks(
    destination: Destination, user_id: uuid.UUID, plan: Plan, targets: list[_Target]
) -> bool:
    """Add the file's breaks (those not there yet) in one transaction. True when a break
    for all habits was added: every habit of the account is then walked again (a break
    for one habit is for a habit of the file, which is walked again anyway)."""
    if not plan.breaks:
        return False
    by_source = {
        planned.parsed.source_id: target
        for planned, target in zip(plan.habits, targets, strict=True)
        if planned.parsed.source_id is not None
    }
    everyone = False
    async with destination.transaction() as session:
        for pause in plan.breaks:
            target = by_source.get(pause.habit_source_id) if pause.habit_source_id else None
            added = await repository.add_break(
                session,
                user_id=user_id,
                habit_id=target.habit_id if target else None,
                start=pause.start_date,
                end=pause.end_date,
                reason=pause.reason,
            )
            everyone |= added and target is None
    return everyone


def _noon(day: date, zone: ZoneInfo) -> datetime:
    """When an imported day was logged, when the file does not say: noon, local."""
    return datetime.combine(day, time(12), zone).astimezone(UTC)


def _row(
    user: User, target: _Target, entry: ParsedEntry, now: datetime, zone: ZoneInfo
) -> dict[str, Any] | None:
    """The entries row of `entry` in the account's habit `target`, or None when the
    habit's kind leaves the day nothing to say (a measurable habit done with no value)."""
    value = entry.value
    if target.kind == "boolean" or entry.status == "skipped":
        value = None
    elif entry.status == "done" and value is None:
        return None
    return {
        "habit_id": target.habit_id,
        "user_id": user.id,
        "local_date": entry.day,
        "status": entry.status,
        "value": value,
        "note": entry.note,
        "logged_at": entry.logged_at or _noon(entry.day, zone),
        "logged_tz": entry.logged_tz or user.timezone,
        "source": entry.source or IMPORT_SOURCE,
        "created_at": now,
        "updated_at": now,
    }


async def _days(
    destination: Destination,
    user: User,
    plan: Plan,
    targets: list[_Target],
    written: Written,
    steps: _Steps,
) -> None:
    """Insert the days, ENTRY_BATCH rows a transaction; a day the habit has already is
    left as it is and counted (as are days in the future and outside the habit's dates:
    imports are exempt from the backfill window, D4.3, not from those)."""
    today = today_of(user)
    now = clock.now()
    zone = ZoneInfo(user.timezone)
    batch: list[tuple[_Target, dict[str, Any]]] = []
    for planned, target in zip(plan.habits, targets, strict=True):
        for entry in planned.parsed.entries.values():
            if entry.day > today:
                written.future += 1
            elif entry.day < target.start_date or (target.end_date and entry.day > target.end_date):
                written.outside += 1
            elif (row := _row(user, target, entry, now, zone)) is None:
                written.invalid += 1
            else:
                batch.append((target, row))
                if len(batch) >= ENTRY_BATCH:
                    await _insert(destination, batch, written, steps)
                    batch = []
    await _insert(destination, batch, written, steps)


async def _insert(
    destination: Destination,
    batch: list[tuple[_Target, dict[str, Any]]],
    written: Written,
    steps: _Steps,
) -> None:
    if not batch:
        return
    async with destination.transaction() as session:
        inserted = await repository.insert_new_entries(session, [row for _, row in batch])
    per_habit = Counter(inserted)
    for target in {id(target): target for target, _ in batch}.values():
        target.added += per_habit.pop(target.habit_id, 0)
    written.entries_created += len(inserted)
    written.duplicate += len(batch) - len(inserted)
    steps.advance(f"days ({written.entries_created} written)")


async def _refresh(
    destination: Destination,
    user_id: uuid.UUID,
    touched: dict[uuid.UUID, date],
    everyone: bool,
    steps: _Steps,
) -> None:
    """Walk the history of every habit the import changed again, from scratch (kept
    states, summaries), up to REFRESH_DAYS_PER_STEP days of history a transaction.
    `touched`: habit -> its start date; `everyone`: all the account's habits."""
    async with destination.maker() as session:
        user = await _user(session, user_id)
        wanted = touched
        if everyone:
            mine = await habits_repository.habits_of(session, user_id, archived=None)
            wanted = {habit.id: habit.start_date for habit in mine}
    today = today_of(user)
    group: list[uuid.UUID] = []
    days = 0
    for habit_id, start in sorted(wanted.items(), key=lambda item: item[1]):
        length = max(1, (today - start).days)
        if group and days + length > REFRESH_DAYS_PER_STEP:
            await _refresh_group(destination, user_id, group, steps)
            group, days = [], 0
        group.append(habit_id)
        days += length
    if group:
        await _refresh_group(destination, user_id, group, steps)


async def _refresh_group(
    destination: Destination, user_id: uuid.UUID, group: list[uuid.UUID], steps: _Steps
) -> None:
    async with destination.transaction() as session:
        user = await _user(session, user_id)
        await registry.port(HABIT_WRITER).refresh_states(session, user, group, changed_from=None)
    for _ in group:
        steps.advance("updating streaks and scores")
