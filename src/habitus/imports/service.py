"""Import a file into a user's account, in the caller's transaction (one for the whole
file: a failure anywhere leaves nothing behind).

Idempotent twice over: a file already imported (same SHA-256 for the user) creates
nothing, and habits are matched by name, days by (habit, date), so overlapping files
add only what is new. Habits are created through the habits service (validation,
schedule version, `habit.created` event); days go in in bulk, outside the backfill
window on purpose (D4.3: imports are exempt), and every touched habit's kept state is
then walked again from scratch (`habits.service.refresh_states`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import AppError, ValidationFailed
from habitus.habits import repository as habits_repository
from habitus.habits import service as habits
from habitus.habits.schemas import (
    EARLIEST_DATE,
    LATEST_DATE,
    HabitCreate,
    ScheduleIn,
    schedule_to_json,
)
from habitus.imports import loop, others, repository
from habitus.imports.parsed import ImportRefused, Parsed, ParsedEntry, ParsedHabit
from habitus.kit import clock
from habitus.models import Habit, ImportRecord, User

FORMATS: dict[str, Callable[[bytes], Parsed]] = {
    "loop_db": loop.parse_loop_db,
    "loop_csv": loop.parse_loop_csv,
    "habitus_json": others.parse_habitus_json,
    "habitbull_csv": others.parse_habitbull_csv,
}
FORMAT_NAMES = tuple(FORMATS)
CHUNK = 1000
IMPORT_SOURCE = "import"
_schedule_adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ScheduleIn)

# (step done, steps in all, what is happening): for the CLI's progress bar.
Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class ImportResult:
    format: str
    sha256: str
    habits_created: int = 0
    entries_created: int = 0
    entries_skipped: int = 0
    already_imported: bool = False
    report: list[str] = field(default_factory=list)


def sniff(data: bytes) -> str | None:
    """The format a file looks like, from its first bytes (None: no idea)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"SQLite format 3\x00"):
        return "loop_db"
    if head.startswith(b"PK\x03\x04"):
        return "loop_csv"
    if head.lstrip().startswith(b"{"):
        return "habitus_json"
    if head.startswith(b"HabitName"):
        return "habitbull_csv"
    return None


def parse(data: bytes, fmt: str) -> Parsed:
    """Read the file (no database). A bad or foreign file: a 422 on `file`."""
    try:
        return FORMATS[fmt](data)
    except ImportRefused as refused:
        raise ValidationFailed.field("file", refused.message, refused.rule) from refused


async def import_file(
    session: AsyncSession,
    user: User,
    *,
    data: bytes,
    fmt: str | None,
    progress: Progress | None = None,
) -> ImportResult:
    chosen = fmt or sniff(data)
    if chosen is None:
        raise ValidationFailed.field(
            "format",
            f"could not tell the file's format: name one of {', '.join(FORMAT_NAMES)}",
            "required",
        )
    if chosen not in FORMATS:
        raise ValidationFailed.field(
            "format", f"must be one of {', '.join(FORMAT_NAMES)}", "one_of"
        )
    digest = hashlib.sha256(data).hexdigest()
    earlier = await repository.record_of(session, user.id, digest)
    if earlier is not None:
        when = earlier.created_at.date().isoformat()
        return ImportResult(
            format=chosen,
            sha256=digest,
            already_imported=True,
            report=[f"this file was already imported on {when}: nothing was created"],
        )
    # Claimed first: a concurrent import of the same file waits here (the unique
    # key) and then fails cleanly instead of importing the file a second time.
    record = ImportRecord(
        user_id=user.id,
        format=chosen,
        sha256=digest,
        size_bytes=len(data),
        habits_created=0,
        entries_created=0,
        entries_skipped=0,
        report=[],
    )
    session.add(record)
    try:
        await session.flush()
    except IntegrityError as error:
        raise AppError(
            "This file is being imported right now; it will not be imported twice.",
            status_code=409,
            code="import-in-progress",
        ) from error
    parsed = await asyncio.to_thread(parse, data, chosen)
    result = ImportResult(format=chosen, sha256=digest, report=list(parsed.report))
    await _write(session, user, parsed, result, progress)
    record.habits_created = result.habits_created
    record.entries_created = result.entries_created
    record.entries_skipped = result.entries_skipped
    record.report = result.report
    await session.flush()
    return result


def _habit_body(parsed: ParsedHabit, start: date) -> HabitCreate:
    first = parsed.schedules[0][1] if parsed.schedules else {"type": "daily"}
    fields: dict[str, Any] = {
        "name": parsed.name,
        "description": parsed.description,
        "kind": parsed.kind,
        "polarity": parsed.polarity,
        "target": parsed.target,
        "schedule": first,
        "start_date": start,
        "end_date": parsed.end_date,
        "backfill_days": parsed.backfill_days,
        "category": parsed.category,
        "tags": parsed.tags,
        "color": parsed.color,
    }
    try:
        return HabitCreate.model_validate(fields)
    except pydantic.ValidationError as error:
        first_error = error.errors()[0]
        where = ".".join(str(part) for part in first_error["loc"])
        raise ValidationFailed.field(
            "file", f"habit '{parsed.name}': {where} {first_error['msg']}", "invalid_habit"
        ) from error


async def _create(session: AsyncSession, user: User, parsed: ParsedHabit, today: date) -> Habit:
    start = min(max(parsed.start_date or today, EARLIEST_DATE), LATEST_DATE)
    body = _habit_body(parsed, start)
    try:
        habit = await habits.create_habit(session, user, body)
        for effective_from, schedule in parsed.schedules[1:]:
            checked = _schedule_adapter.validate_python(schedule)
            await habits_repository.set_version(
                session,
                habit=habit,
                effective_from=effective_from or start,
                schedule=schedule_to_json(checked.to_core()),
            )
    except ValidationFailed as failed:
        reason = "; ".join(f"{error.field} {error.message}" for error in failed.errors)
        raise ValidationFailed.field(
            "file", f"habit '{parsed.name}': {reason}", "invalid_habit"
        ) from failed
    except pydantic.ValidationError as error:
        raise ValidationFailed.field(
            "file", f"habit '{parsed.name}': a schedule is not valid", "invalid_habit"
        ) from error
    if parsed.archived:
        habit.archived_at = parsed.archived_at or clock.now()
    if parsed.created_at is not None:
        habit.created_at = parsed.created_at
    await session.flush()
    return habit


def _noon(day: date, zone: ZoneInfo) -> datetime:
    """When an imported day was logged, when the file does not say: noon, local."""
    return datetime.combine(day, time(12), zone).astimezone(UTC)


@dataclass(slots=True)
class _Left:
    duplicate: int = 0
    future: int = 0
    outside: int = 0
    invalid: int = 0

    def total(self) -> int:
        return self.duplicate + self.future + self.outside + self.invalid


def _entry_row(
    user: User, habit: Habit, entry: ParsedEntry, now: datetime, zone: ZoneInfo
) -> dict[str, Any] | None:
    value = entry.value
    if habit.kind == "boolean" or entry.status == "skipped":
        value = None
    elif entry.status == "done" and value is None:
        return None
    if value is not None and value < 0:
        return None
    logged_tz = entry.logged_tz if entry.logged_tz and len(entry.logged_tz) <= 64 else None
    source = entry.source if entry.source and len(entry.source) <= 16 else IMPORT_SOURCE
    return {
        "habit_id": habit.id,
        "user_id": user.id,
        "local_date": entry.day,
        "status": entry.status,
        "value": value,
        "note": entry.note[:1000] if entry.note else None,
        "logged_at": entry.logged_at or _noon(entry.day, zone),
        "logged_tz": logged_tz or user.timezone,
        "source": source,
        "created_at": now,
        "updated_at": now,
    }


async def _write(
    session: AsyncSession,
    user: User,
    parsed: Parsed,
    result: ImportResult,
    progress: Progress | None,
) -> None:
    today = habits.today_of(user)
    now = clock.now()
    zone = ZoneInfo(user.timezone)
    steps = len(parsed.habits) + 1
    mine = await habits_repository.habits_of(session, user.id, archived=None)
    # A name may be there more than once (Loop allows it): the file's n-th habit of a
    # name is the account's n-th habit of that name, or a new one.
    by_name: dict[str, list[Habit]] = defaultdict(list)
    for habit in mine:
        by_name[habit.name.strip().casefold()].append(habit)
    by_source: dict[str, Habit] = {}
    touched: dict[Any, Habit] = {}
    left = _Left()
    for step, item in enumerate(parsed.habits):
        if progress:
            progress(step, steps, item.name)
        same_name = by_name[item.name.strip().casefold()]
        existed = bool(same_name)
        if same_name:
            habit = same_name.pop(0)
        else:
            habit = await _create(session, user, item, today)
            result.habits_created += 1
        if item.source_id is not None:
            by_source[item.source_id] = habit
        known = await repository.entry_dates(session, habit.id)
        rows = []
        for entry in item.entries:
            if entry.day in known:
                left.duplicate += 1
            elif entry.day > today:
                left.future += 1
            elif entry.day < habit.start_date or (habit.end_date and entry.day > habit.end_date):
                left.outside += 1
            else:
                row = _entry_row(user, habit, entry, now, zone)
                if row is None:
                    left.invalid += 1
                    continue
                known.add(entry.day)
                rows.append(row)
        for first in range(0, len(rows), CHUNK):
            await repository.insert_entries(session, rows[first : first + CHUNK])
        result.entries_created += len(rows)
        if existed and rows:
            result.report.append(
                f"'{habit.name}' already existed: {len(rows)} new days were added to it"
            )
        touched[habit.id] = habit
    everyone = False
    for pause in parsed.breaks:
        target = by_source.get(pause.habit_source_id) if pause.habit_source_id else None
        added = await repository.add_break(
            session,
            user_id=user.id,
            habit_id=target.id if target else None,
            start=pause.start_date,
            end=pause.end_date,
            reason=pause.reason,
        )
        everyone |= added and target is None
    result.entries_skipped = left.total()
    for count, what in (
        (left.duplicate, "were already there"),
        (left.future, "are in the future"),
        (left.outside, "fall outside their habit's start and end dates"),
        (left.invalid, "had no usable value"),
    ):
        if count:
            result.report.append(f"{count} days were not imported: they {what}")
    if progress:
        progress(steps - 1, steps, "updating streaks and scores")
    if touched or everyone:
        await habits.refresh_states(
            session, user, None if everyone else list(touched), changed_from=None
        )
    if progress:
        progress(steps, steps, "done")
