"""Loop Habit Tracker: its SQLite backup (`loop_db`, schema versions 22 to 25) and its
CSV export zip (`loop_csv`). Frequencies, values and colours become Habitus terms.

Loop's meaning of a day's `value` (yes/no habits): 2 a manual check, 3 a skip, 0 an
explicit "no", 1 an automatic check (a day Loop fills in itself because the frequency is
met; never stored in a backup, written in the CSV export). Numerical habits store the
amount x 1000. `target_type` 0 is "at least", 1 "at most". `timestamp` is epoch
milliseconds at 00:00 UTC of the local date.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sqlite3
import tempfile
import zipfile
import zlib
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from habitus.imports.parsed import ImportRefused, Parsed, ParsedEntry, ParsedHabit

SCHEMA_VERSIONS = range(22, 26)
DONE, SKIP, NO, AUTO = 2, 3, 0, 1
# Loop's colour palette (the `color` column is an index into it).
PALETTE = (
    "#D32F2F", "#E64A19", "#F57C00", "#FF8F00", "#F9A825", "#AFB42B", "#7CB342",
    "#388E3C", "#00897B", "#00ACC1", "#039BE5", "#1976D2", "#303F9F", "#5E35B1",
    "#8E24AA", "#D81B60", "#5D4037", "#303030", "#757575", "#AAAAAA",
)  # fmt: skip
NAME_MAX, DESCRIPTION_MAX, NOTE_MAX, UNIT_MAX = 200, 2000, 1000, 40


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _round(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def schedule_for(name: str, num: int, den: int) -> tuple[dict[str, Any], str | None]:
    """Loop's frequency `num` times in `den` days as a Habitus schedule (D3), and a note
    for the report when the schedule is not exactly Loop's.

    1/1 daily; k/7 k times a week; k/30 k times a month; 1/n every n days; k/n with
    k >= n daily; anything else the nearest rate: k*7/n times a week (rounded half up)
    when that is at least once a week, else k*30/n times a month."""
    if num < 1 or den < 1:
        return {"type": "daily"}, f"'{name}' had no readable frequency ({num}/{den}): daily"
    if num >= den:
        note = None if num == den else f"'{name}' {num} times in {den} days became daily"
        return {"type": "daily"}, note
    if den == 7:
        return {"type": "times_per_period", "period": "week", "times": num}, None
    if den == 30:
        return {"type": "times_per_period", "period": "month", "times": num}, None
    if num == 1:
        return {"type": "every_n_days", "n": den}, None
    reduced = math.gcd(num, den)
    if (num // reduced, den // reduced) in ((1, 7), (1, 30)):
        period = "week" if den // reduced == 7 else "month"
        schedule: dict[str, Any] = {"type": "times_per_period", "period": period, "times": 1}
        return schedule, f"'{name}' {num} times in {den} days became once a {period}"
    weekly = num * 7 / den
    if weekly >= 1:
        times = min(7, _round(weekly))
        if times == 7:
            return {"type": "daily"}, f"'{name}' {num} times in {den} days became daily"
        return {"type": "times_per_period", "period": "week", "times": times}, (
            f"'{name}' {num} times in {den} days became {_times(times)} a week"
        )
    times = max(1, min(30, _round(num * 30 / den)))
    return {"type": "times_per_period", "period": "month", "times": times}, (
        f"'{name}' {num} times in {den} days became {_times(times)} a month"
    )


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text[:limit] or None


def _color(index: Any) -> str | None:
    if isinstance(index, int) and 0 <= index < len(PALETTE):
        return PALETTE[index]
    return None


def _description(question: Any, description: Any) -> str | None:
    """Loop 2 has a question ("Did you ...?") and notes; Habitus one description."""
    parts = [part for part in (_text(question, 2000), _text(description, 2000)) if part]
    joined = "\n\n".join(dict.fromkeys(parts))
    return joined[:DESCRIPTION_MAX] or None


def _measurable(
    parsed: Parsed, habit: ParsedHabit, den: int, target_type: int, target: float
) -> None:
    """A numerical Loop habit: a measurable one. Loop's target is the total over its
    `den` days; Habitus targets are per day: the target is divided, the schedule daily."""
    direction = "at_most" if target_type == 1 else "at_least"
    unit = habit.target["unit"] if habit.target else None
    per_day = target / den if den > 1 else target
    if not math.isfinite(per_day) or per_day < 0:
        per_day = 0.0
    if direction == "at_least" and per_day <= 0:
        parsed.report.append(f"'{habit.name}' had no target: it is now at least 1 a day")
        per_day = 1.0
    elif den > 1:
        suffix = f" {unit}" if unit else ""
        parsed.report.append(
            f"'{habit.name}' {target:g}{suffix} in {den} days became {per_day:.4g}{suffix} a day"
        )
    habit.kind = "measurable"
    habit.target = {"value": round(per_day, 6), "unit": unit, "direction": direction}
    habit.schedules = [(None, {"type": "daily"})]


def _reminder_note(name: str, hour: Any, minute: Any) -> str | None:
    if isinstance(hour, int) and isinstance(minute, int) and 0 <= hour < 24:
        return (
            f"'{name}' had a reminder at {hour:02d}:{minute:02d}; "
            "Habitus has no reminders yet, so it was not imported"
        )
    return None


def _start(habit: ParsedHabit) -> None:
    if habit.entries:
        habit.start_date = min(entry.day for entry in habit.entries)


# --- the SQLite backup --------------------------------------------------------------------

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


def _columns(connection: sqlite3.Connection, table: str) -> dict[str, str]:
    """lower-case name -> actual name of each column of `table` (none: no such table)."""
    rows = connection.execute(f"PRAGMA table_info('{table}')").fetchall()
    return {str(row[1]).lower(): str(row[1]) for row in rows}


def parse_loop_db(data: bytes) -> Parsed:
    """Read a Loop backup from its bytes (through a read-only temporary file)."""
    if not data.startswith(b"SQLite format 3\x00"):
        raise ImportRefused("not a Loop backup: the file is not an SQLite database")
    handle, path = tempfile.mkstemp(prefix="habitus-import-", suffix=".db")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            # Never run what the file's schema asks for (views, triggers, functions).
            connection.execute("PRAGMA trusted_schema = OFF")
            return _read_loop_db(connection)
        except sqlite3.DatabaseError as error:
            raise ImportRefused(
                f"not a Loop backup: the SQLite file cannot be read ({error})"
            ) from error
        finally:
            connection.close()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _read_loop_db(connection: sqlite3.Connection) -> Parsed:
    habits_columns = _columns(connection, "Habits")
    if not habits_columns:
        raise ImportRefused("not a Loop backup: table Habits missing")
    repetition_columns = _columns(connection, "Repetitions")
    if not repetition_columns:
        raise ImportRefused("not a Loop backup: table Repetitions missing")
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version not in SCHEMA_VERSIONS:
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
    wanted = sorted(HABIT_COLUMNS | (OPTIONAL_HABIT_COLUMNS & set(habits_columns)))
    selected = ", ".join(f'"{habits_columns[name]}"' for name in wanted)
    order = '"position", "id"' if "position" in habits_columns else '"id"'
    parsed = Parsed()
    by_id: dict[int, tuple[ParsedHabit, bool]] = {}
    for row in connection.execute(f'SELECT {selected} FROM "Habits" ORDER BY {order}'):
        record = dict(zip(wanted, row, strict=True))
        habit = _loop_habit(parsed, record)
        if habit is not None:
            parsed.habits.append(habit)
            by_id[int(record["id"])] = (habit, habit.kind == "measurable")
    notes = '"notes"' if "notes" in repetition_columns else "NULL"
    query = f'SELECT "habit", "timestamp", "value", {notes} FROM "Repetitions" ORDER BY 1, 2'
    for habit_id, stamp, value, note in connection.execute(query):
        found = by_id.get(habit_id) if isinstance(habit_id, int) else None
        if found is None or not isinstance(stamp, int) or not isinstance(value, int):
            parsed.ignored += 1
            continue
        habit, numerical = found
        try:
            day = datetime.fromtimestamp(stamp / 1000, UTC).date()
        except (OverflowError, OSError, ValueError):
            parsed.ignored += 1
            continue
        entry = _loop_entry(day, value, numerical, _text(note, NOTE_MAX))
        if entry is None:
            parsed.ignored += 1
        else:
            habit.entries.append(entry)
    for habit in parsed.habits:
        _start(habit)
    if parsed.ignored:
        parsed.report.append(
            f"{parsed.ignored} check-ins were not imported (automatic checks, which Habitus "
            "works out from the schedule, or unreadable rows)"
        )
    return parsed


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _loop_habit(parsed: Parsed, record: dict[str, Any]) -> ParsedHabit | None:
    name = _text(record.get("name"), NAME_MAX)
    if name is None:
        parsed.report.append(f"a habit without a name (Loop id {record.get('id')}) was skipped")
        return None
    num, den = _int(record.get("freq_num"), 1), _int(record.get("freq_den"), 1)
    habit = ParsedHabit(
        name=name,
        schedules=[],
        description=_description(record.get("question"), record.get("description")),
        color=_color(record.get("color")),
        archived=bool(_int(record.get("archived"))),
        backfill_days=None,  # Loop lets any past day be changed
        source_id=str(record.get("id")),
    )
    if _int(record.get("type")) == 1:
        unit = _text(record.get("unit"), UNIT_MAX)
        habit.target = {"value": 0.0, "unit": unit, "direction": "at_least"}
        try:
            target = float(record.get("target_value") or 0.0)
        except (TypeError, ValueError):
            target = 0.0
        _measurable(parsed, habit, den, _int(record.get("target_type")), target)
    else:
        schedule, note = schedule_for(name, num, den)
        habit.schedules = [(None, schedule)]
        if note:
            parsed.report.append(note)
    reminder = _reminder_note(name, record.get("reminder_hour"), record.get("reminder_min"))
    if reminder:
        parsed.report.append(reminder)
    return habit


def _loop_entry(day: date, value: int, numerical: bool, note: str | None) -> ParsedEntry | None:
    if numerical:
        if value < 0:
            return None
        return ParsedEntry(day, "done", value / 1000, note)
    if value == DONE:
        return ParsedEntry(day, "done", None, note)
    if value == SKIP:
        return ParsedEntry(day, "skipped", None, note)
    if value == NO:
        return ParsedEntry(day, "failed", None, note)
    return None  # AUTO (1), UNKNOWN (-1) and anything else


# --- the CSV export zip ---------------------------------------------------------------------

HABITS_CSV_COLUMNS = ("Position", "Name", "FrequencyNumerator", "FrequencyDenominator")
CSV_VALUES = {"YES_MANUAL": "done", "SKIP": "skipped", "NO": "failed"}
MAX_MEMBERS = 2000
MAX_UNZIPPED = 200 * 1024 * 1024


# What reading a member of a damaged, encrypted or exotic zip can raise.
ZIP_ERRORS = (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, zlib.error)


def _rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[dict[str, str]]:
    try:
        text = archive.read(info).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(f"not a Loop CSV export: {info.filename} is not UTF-8") from error
    except ZIP_ERRORS as error:
        raise ImportRefused(
            f"not a Loop CSV export: {info.filename} cannot be unpacked ({error})"
        ) from error
    try:
        return list(csv.DictReader(io.StringIO(text)))
    except csv.Error as error:
        raise ImportRefused(f"not a Loop CSV export: {info.filename}: {error}") from error


def parse_loop_csv(data: bytes) -> Parsed:
    """Loop's "Export as CSV": a zip of Habits.csv and, per habit, a folder
    "NNN Name" (NNN its position) holding Checkmarks.csv (Date, Value, Notes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (*ZIP_ERRORS, ValueError) as error:
        raise ImportRefused("not a Loop CSV export: the file is not a zip archive") from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
            raise ImportRefused("not a Loop CSV export: the zip holds too much", "too_large")
        by_name = {info.filename: info for info in members if not info.is_dir()}
        listing = [name for name in by_name if name.rsplit("/", 1)[-1] == "Habits.csv"]
        if not listing:
            raise ImportRefused("not a Loop CSV export: Habits.csv missing")
        index = min(listing, key=len)
        base = index[: -len("Habits.csv")]
        rows = _rows(archive, by_name[index])
        header = set(rows[0]) if rows else set()
        missing = [column for column in HABITS_CSV_COLUMNS if rows and column not in header]
        if missing:
            raise ImportRefused(
                f"not a Loop CSV export: Habits.csv has no column {', '.join(missing)}",
                "missing_column",
            )
        folders: dict[str, str] = {}
        for name in by_name:
            if name.startswith(base) and name.endswith("/Checkmarks.csv"):
                folder = name[len(base) : -len("/Checkmarks.csv")]
                if "/" not in folder:
                    folders[folder.split(" ", 1)[0]] = name
        parsed = Parsed()
        for row in rows:
            habit = _csv_habit(parsed, row)
            if habit is None:
                continue
            member = folders.get((row.get("Position") or "").strip())
            if member is None:
                parsed.report.append(f"'{habit.name}' has no Checkmarks.csv: no days imported")
            else:
                lost: list[str] = []
                for mark in _rows(archive, by_name[member]):
                    entry = _csv_entry(mark, habit.kind == "measurable")
                    if entry is None:
                        parsed.ignored += 1
                        if _text(mark.get("Notes"), NOTE_MAX):
                            lost.append((mark.get("Date") or "?").strip())
                    else:
                        habit.entries.append(entry)
                if lost:
                    parsed.report.append(
                        f"'{habit.name}': notes on days Loop filled in automatically were "
                        f"not imported ({', '.join(sorted(lost))})"
                    )
            _start(habit)
            parsed.habits.append(habit)
    if parsed.ignored:
        parsed.report.append(
            f"{parsed.ignored} days marked automatic, unknown or an unnoted “no” in Loop were "
            "left to the schedule (Habitus works them out itself)"
        )
    return parsed


def _csv_habit(parsed: Parsed, row: dict[str, str]) -> ParsedHabit | None:
    name = _text(row.get("Name"), NAME_MAX)
    if name is None:
        return None
    num = _int(row.get("FrequencyNumerator"), 1)
    den = _int(row.get("FrequencyDenominator"), 1)
    color = (row.get("Color") or "").strip().upper()
    habit = ParsedHabit(
        name=name,
        schedules=[],
        description=_description(row.get("Question"), row.get("Description")),
        color=color if len(color) == 7 and color.startswith("#") else None,
        archived=(row.get("Archived?") or "").strip().lower() == "true",
        backfill_days=None,
    )
    if (row.get("Type") or "").strip().upper() == "NUMERICAL":
        habit.target = {
            "value": 0.0,
            "unit": _text(row.get("Unit"), UNIT_MAX),
            "direction": "at_least",
        }
        target_type = 1 if (row.get("Target Type") or "").strip().upper() == "AT_MOST" else 0
        try:
            target = float(row.get("Target Value") or 0)
        except ValueError:
            target = 0.0
        _measurable(parsed, habit, den, target_type, target)
    else:
        schedule, note = schedule_for(name, num, den)
        habit.schedules = [(None, schedule)]
        if note:
            parsed.report.append(note)
    return habit


def _csv_entry(row: dict[str, str], numerical: bool) -> ParsedEntry | None:
    try:
        day = date.fromisoformat((row.get("Date") or "").strip())
    except ValueError:
        return None
    value = (row.get("Value") or "").strip().upper()
    note = _text(row.get("Notes"), NOTE_MAX)
    if numerical:
        if value in CSV_VALUES or value in {"", "UNKNOWN", "YES_AUTO"}:
            return ParsedEntry(day, "skipped", None, note) if value == "SKIP" else None
        try:
            amount = float(value)
        except ValueError:
            return None
        return ParsedEntry(day, "done", amount, note) if math.isfinite(amount) else None
    status = CSV_VALUES.get(value)
    if status is None:
        return None  # YES_AUTO and UNKNOWN: Habitus works them out from the schedule
    if status == "failed" and note is None:
        # The export writes NO for every unchecked day; only a noted "no" says something.
        return None
    return ParsedEntry(day, status, None, note)
