"""Loop Habit Tracker's SQLite backup (`loop_db`, schema versions 22 to 25), read
through `sqlite_file` (read-only, refused when it holds code, within the time budget)."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from habitus.imports import loop
from habitus.imports.budget import CHECK_EVERY, Deadline, unlimited
from habitus.imports.cleaning import NAME_MAX, UNIT_MAX, clean, clean_note, report_cuts
from habitus.imports.parsed import ImportRefused, Parsed, ParsedEntry, ParsedHabit
from habitus.imports.sqlite_file import open_untrusted, refuse_code

SCHEMA_VERSIONS = range(22, 26)
WHAT = "a Loop backup"
HABIT_COLUMNS = {"id", "name", "freq_num", "freq_den", "archived"}
OPTIONAL_HABIT_COLUMNS = {
    "type",
    "target_type",
    "target_value",
    "unit",
    "description",
    "question",
    "color",
    "position",
    "reminder_hour",
    "reminder_min",
    "reminder_days",
}
REPETITION_COLUMNS = {"habit", "timestamp", "value"}
_EPOCH = date(1970, 1, 1).toordinal()
_DAY_MS = 86_400_000


def parse_loop_db(data: bytes, deadline: Deadline | None = None) -> Parsed:
    """Read a Loop backup from its bytes (through a read-only temporary file)."""
    deadline = deadline or unlimited()
    with open_untrusted(data, deadline, WHAT) as connection:
        refuse_code(connection, ("Habits", "Repetitions"), WHAT)
        return _read(connection, deadline)


def _columns(connection: sqlite3.Connection, table: str) -> dict[str, str]:
    """lower-case name -> actual name of each column of `table` (none: no such table)."""
    rows = connection.execute(f"PRAGMA table_info('{table}')").fetchall()
    return {str(row[1]).lower(): str(row[1]) for row in rows}


def _check_version(connection: sqlite3.Connection) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version in SCHEMA_VERSIONS:
        return
    newer = version > SCHEMA_VERSIONS[-1]
    raise ImportRefused(
        f"Loop backup schema version {version} is not supported (versions 22 to 25 are): "
        + (
            "this backup is newer than this importer"
            if newer
            else "open it in a current Loop Habit Tracker and make a new backup"
        ),
        "unsupported_version",
    )


def _read(connection: sqlite3.Connection, deadline: Deadline) -> Parsed:
    habits_columns = _columns(connection, "Habits")
    if not habits_columns:
        raise ImportRefused("not a Loop backup: table Habits missing")
    repetition_columns = _columns(connection, "Repetitions")
    if not repetition_columns:
        raise ImportRefused("not a Loop backup: table Repetitions missing")
    _check_version(connection)
    for table, needed, have in (
        ("Habits", HABIT_COLUMNS, habits_columns),
        ("Repetitions", REPETITION_COLUMNS, repetition_columns),
    ):
        missing = sorted(needed - set(have))
        if missing:
            raise ImportRefused(
                f"not a Loop backup: table {table} has no column {', '.join(missing)}",
                "missing_column",
            )
    parsed = Parsed()
    by_id = _habits(connection, parsed, habits_columns)
    notes = '"notes"' if "notes" in repetition_columns else "NULL"
    query = f'SELECT "habit", "timestamp", "value", {notes} FROM "Repetitions"'
    for count, (habit_id, stamp, value, note) in enumerate(connection.execute(query)):
        if count % CHECK_EVERY == 0:
            deadline.check()
        found = by_id.get(habit_id) if isinstance(habit_id, int) else None
        if found is None or not isinstance(stamp, int) or not isinstance(value, int):
            parsed.ignored += 1
            continue
        habit, numerical = found
        entry = _entry(_day(habit, stamp), value, numerical, clean_note(parsed, note))
        if entry is None:
            parsed.ignored += 1
        else:
            parsed.add(habit, entry)
    for habit in parsed.habits:
        loop.set_start(habit)
    if parsed.ignored:
        parsed.report.append(
            f"{parsed.ignored} check-ins were not imported (automatic checks, which Habitus "
            "works out from the schedule, or unreadable rows)"
        )
    report_cuts(parsed)
    return parsed


def _day(habit: ParsedHabit, stamp: int) -> date:
    """The local date of Loop's timestamp (00:00 UTC of that date, in milliseconds). A
    date Python cannot hold is refused like any other day outside 1900..2199."""
    try:
        return date.fromordinal(_EPOCH + stamp // _DAY_MS)
    except (OverflowError, ValueError) as error:
        raise ImportRefused(
            f"habit '{habit.name}': the check-in timestamp {stamp} is no date between "
            "1900-01-01 and 2199-12-31",
            "invalid_entry",
        ) from error


def _habits(
    connection: sqlite3.Connection, parsed: Parsed, columns: dict[str, str]
) -> dict[int, tuple[ParsedHabit, bool]]:
    wanted = sorted(HABIT_COLUMNS | (OPTIONAL_HABIT_COLUMNS & set(columns)))
    selected = ", ".join(f'"{columns[name]}"' for name in wanted)
    order = '"position", "id"' if "position" in columns else '"id"'
    by_id: dict[int, tuple[ParsedHabit, bool]] = {}
    for row in connection.execute(f'SELECT {selected} FROM "Habits" ORDER BY {order}'):
        record = dict(zip(wanted, row, strict=True))
        habit = _habit(parsed, record)
        if habit is None:
            continue
        parsed.add_habit(habit)
        if isinstance(record["id"], int):  # Repetitions refer to it
            by_id[record["id"]] = (habit, habit.kind == "measurable")
    return by_id


def _habit(parsed: Parsed, record: dict[str, Any]) -> ParsedHabit | None:
    name = clean(record.get("name"), NAME_MAX)
    if name is None:
        parsed.report.append(f"a habit without a name (Loop id {record.get('id')}) was skipped")
        return None
    num, den = loop.to_int(record.get("freq_num"), 1), loop.to_int(record.get("freq_den"), 1)
    habit = ParsedHabit(
        name=name,
        schedules=[],
        description=loop.description(record.get("question"), record.get("description")),
        color=loop.color(record.get("color")),
        archived=bool(loop.to_int(record.get("archived"))),
        backfill_days=None,  # Loop lets any past day be changed
        source_id=str(record.get("id")),
    )
    if loop.to_int(record.get("type")) == 1:
        unit = clean(record.get("unit"), UNIT_MAX)
        habit.target = {"value": 0.0, "unit": unit, "direction": "at_least"}
        try:
            target = float(record.get("target_value") or 0.0)
        except (TypeError, ValueError):
            target = 0.0
        loop.make_measurable(parsed, habit, den, loop.to_int(record.get("target_type")), target)
    else:
        loop.set_schedule(parsed, habit, num, den)
    reminder = _reminder_note(name, record.get("reminder_hour"), record.get("reminder_min"))
    if reminder:
        parsed.report.append(reminder)
    return habit


def _reminder_note(name: str, hour: Any, minute: Any) -> str | None:
    if isinstance(hour, int) and isinstance(minute, int) and 0 <= hour < 24:
        return (
            f"'{name}' had a reminder at {hour:02d}:{minute:02d}; "
            "Habitus has no reminders yet, so it was not imported"
        )
    return None


def _entry(day: date, value: int, numerical: bool, note: str | None) -> ParsedEntry | None:
    if numerical:
        if value < 0:
            return None
        return ParsedEntry(day, "done", value / 1000, note)
    if value == loop.DONE:
        return ParsedEntry(day, "done", None, note)
    if value == loop.SKIP:
        return ParsedEntry(day, "skipped", None, note)
    if value == loop.NO:
        return ParsedEntry(day, "failed", None, note)
    return None  # AUTO (1), UNKNOWN (-1) and anything else
