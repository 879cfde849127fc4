"""The API's rules, applied to a whole parsed file before anything is written (issue 11,
item 8; docs/IMPORT.md "Rules").

Habits go through `HabitCreate` and the habits service's rules across fields, days
through the entries API's `EntryIn`, breaks through the breaks API's `BreakIn` and its
rules, every date through 1900-01-01..2199-12-31: one schema, so what the API refuses
an import cannot store, and SQLite and PostgreSQL answer the same. A row that breaks a
rule refuses the file (`ImportRefused`, a 422 on `file` naming the habit and the day or
the break). Two things are repaired instead, and reported: a day's `logged_tz` that is
not a canonical zone of a place becomes the account's zone; a `source` Habitus does not
write becomes "import".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pydantic

from habitus.breaks.schemas import MAX_LENGTH_DAYS, BreakIn
from habitus.errors import ValidationFailed
from habitus.habits.rules import check_rules
from habitus.habits.schemas import (
    EARLIEST_DATE,
    LATEST_DATE,
    EntryIn,
    HabitCreate,
    ScheduleIn,
    schedule_to_json,
)
from habitus.imports.budget import CHECK_EVERY, Deadline
from habitus.imports.parsed import ImportRefused, Parsed, ParsedBreak, ParsedEntry, ParsedHabit
from habitus.kit.zones import canonical_zone

_schedule_adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ScheduleIn)
# The sources Habitus itself writes have this shape ("api", "web", "import").
_SOURCE = re.compile(r"[a-z_]{1,16}")
_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


@dataclass(slots=True)
class PlannedHabit:
    parsed: ParsedHabit
    body: HabitCreate
    # Schedule versions after the first: (effective from, the schedule as stored).
    versions: list[tuple[date, dict[str, Any]]]


@dataclass(slots=True)
class PlannedBreak:
    start_date: date
    end_date: date
    reason: str | None
    habit_source_id: str | None  # None: a break for all habits


@dataclass(slots=True)
class Plan:
    """A file that keeps every rule: what the writer writes, and what to report."""

    habits: list[PlannedHabit] = field(default_factory=list)
    breaks: list[PlannedBreak] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    entries: int = 0
    # Days a habit had more than once in the file (skipped: the first one was kept).
    repeats: int = 0


def check(parsed: Parsed, deadline: Deadline) -> Plan:
    """The file as a `Plan`, or `ImportRefused` naming the first row that breaks a rule."""
    plan = Plan(report=list(parsed.report), repeats=parsed.repeats)
    zones_replaced = 0
    for habit in parsed.habits:
        deadline.check()
        # Days first: a habit's start is its first day, so a day out of range is named
        # as such rather than as the habit's start date.
        for count, entry in enumerate(habit.entries.values()):
            if count % CHECK_EVERY == 0:
                deadline.check()
            zones_replaced += _entry(habit, entry)
        plan.entries += len(habit.entries)
        plan.habits.append(_habit(habit))
    plan.breaks = [_break(index, pause) for index, pause in enumerate(parsed.breaks)]
    if zones_replaced:
        plan.report.append(
            f"{zones_replaced} days named a time zone that is not a canonical IANA zone of a "
            "place: they were given your account's zone"
        )
    return plan


def _refusal(where: str, error: pydantic.ValidationError, rule: str) -> ImportRefused:
    first = error.errors()[0]
    field_name = ".".join(str(part) for part in first["loc"])
    return ImportRefused(f"{where}: {field_name} {first['msg']}", rule)


def _within_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def _instant_within_range(instant: datetime | None) -> bool:
    if instant is None:
        return True
    try:
        return _within_range(instant.astimezone(UTC).date())
    except OverflowError:  # an offset that pushes year 1 or 9999 out of range
        return False


# --- habits ---------------------------------------------------------------------------------


def _habit(parsed: ParsedHabit) -> PlannedHabit:
    where = f"habit '{parsed.name}'"
    first = parsed.schedules[0][1] if parsed.schedules else {"type": "daily"}
    fields: dict[str, Any] = {
        "name": parsed.name,
        "description": parsed.description,
        "kind": parsed.kind,
        "polarity": parsed.polarity,
        "target": parsed.target,
        "schedule": first,
        "start_date": parsed.start_date,
        "end_date": parsed.end_date,
        "backfill_days": parsed.backfill_days,
        "category": parsed.category,
        "tags": parsed.tags,
        "color": parsed.color,
        "icon": parsed.icon,
        "visibility": parsed.visibility,
    }
    try:
        body = HabitCreate.model_validate(fields)
        _rules_across_fields(body)
    except pydantic.ValidationError as error:
        raise _refusal(where, error, "invalid_habit") from error
    except ValidationFailed as failed:
        reason = "; ".join(f"{error.field} {error.message}" for error in failed.errors)
        raise ImportRefused(f"{where}: {reason}", "invalid_habit") from failed
    for name, instant in (("created_at", parsed.created_at), ("archived_at", parsed.archived_at)):
        if not _instant_within_range(instant):
            raise ImportRefused(f"{where}: {name} must be {_RANGE}", "invalid_habit")
    return PlannedHabit(parsed, body, _versions(where, parsed))


def _rules_across_fields(body: HabitCreate) -> None:
    """The habits service's own rules across fields, which `create_habit` applies (a
    measurable habit needs a target, ...), checked now so that no habit is refused
    after others were written. (The service names the function private; it is the one
    place these rules live, so it is called rather than copied.)"""
    check_rules(
        kind=body.kind,
        polarity=body.polarity,
        target=body.target.model_dump() if body.target else None,
        # A habit without a start date starts today, which no end date of a file
        # precedes (only Habitus exports have end dates, and they have start dates).
        start_date=body.start_date or EARLIEST_DATE,
        end_date=body.end_date,
    )


def _versions(where: str, parsed: ParsedHabit) -> list[tuple[date, dict[str, Any]]]:
    versions = []
    for number, (effective_from, schedule) in enumerate(parsed.schedules[1:], start=1):
        if effective_from is None or not _within_range(effective_from):
            raise ImportRefused(
                f"{where}: schedules[{number}].effective_from must be {_RANGE}", "invalid_habit"
            )
        try:
            checked = _schedule_adapter.validate_python(schedule)
        except pydantic.ValidationError as error:
            raise _refusal(f"{where}, schedules[{number}]", error, "invalid_habit") from error
        versions.append((effective_from, schedule_to_json(checked.to_core())))
    return versions


# --- days -----------------------------------------------------------------------------------


def _entry(habit: ParsedHabit, entry: ParsedEntry) -> int:
    """Check `entry` of `habit` against the entries API; canonicalise its zone and
    source. Returns 1 when its zone was replaced by the account's, else 0."""
    where = f"habit '{habit.name}', {entry.day.isoformat()}"
    if not _within_range(entry.day):
        raise ImportRefused(f"{where}: the day must be {_RANGE}", "invalid_entry")
    try:
        EntryIn.model_validate({"status": entry.status, "value": entry.value, "note": entry.note})
    except pydantic.ValidationError as error:
        raise _refusal(where, error, "invalid_entry") from error
    # The entries API's rules across fields (habits.service.set_entry), for the file's
    # own habit; an account's habit of another kind is matched up when writing.
    if habit.kind == "boolean" and entry.value is not None:
        raise ImportRefused(f"{where}: value only measurable habits take a value", "invalid_entry")
    if habit.kind == "measurable" and entry.status == "done" and entry.value is None:
        raise ImportRefused(
            f"{where}: value is required to mark a measurable habit done", "invalid_entry"
        )
    if not _instant_within_range(entry.logged_at):
        raise ImportRefused(f"{where}: logged_at must be {_RANGE}", "invalid_entry")
    if entry.source is not None and not _SOURCE.fullmatch(entry.source):
        entry.source = None
    if entry.logged_tz is None:
        return 0
    entry.logged_tz = canonical_zone(entry.logged_tz)
    return 1 if entry.logged_tz is None else 0


# --- breaks ---------------------------------------------------------------------------------


def _break(index: int, pause: ParsedBreak) -> PlannedBreak:
    where = f"breaks[{index}]"
    try:
        body = BreakIn.model_validate(
            {"start_date": pause.start_date, "end_date": pause.end_date, "reason": pause.reason}
        )
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"])
        raise ImportRefused(f"{where}.{field_name}: {first['msg']}", "invalid_break") from error
    for name, day in (("start_date", body.start_date), ("end_date", body.end_date)):
        if not _within_range(day):
            raise ImportRefused(f"{where}.{name}: must be {_RANGE}", "invalid_break")
    if body.end_date < body.start_date:
        raise ImportRefused(f"{where}.end_date: must not be before start_date", "invalid_break")
    if (body.end_date - body.start_date).days + 1 > MAX_LENGTH_DAYS:
        raise ImportRefused(
            f"{where}: a break lasts at most {MAX_LENGTH_DAYS} days", "invalid_break"
        )
    return PlannedBreak(body.start_date, body.end_date, body.reason, pause.habit_source_id)
