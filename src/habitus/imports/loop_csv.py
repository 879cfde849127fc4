"""Loop Habit Tracker's "Export as CSV" (`loop_csv`): a zip of Habits.csv and, per
habit, a folder "NNN Name" (NNN its position) holding Checkmarks.csv (Date, Value, Notes).

Read as streams (issue 11, item 6): rows go from the zip through `csv.reader` one at a
time and only one entry per habit and day is kept; only Habits.csv and the habits'
Checkmarks.csv are unpacked (not Scores.csv, not the all-habits Checkmarks.csv).
"""

from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Iterator
from datetime import date

from habitus.imports import loop
from habitus.imports.budget import CHECK_EVERY, Deadline, unlimited
from habitus.imports.cleaning import NAME_MAX, NOTE_MAX, UNIT_MAX, clean, clean_note, report_cuts
from habitus.imports.parsed import ImportRefused, Parsed, ParsedEntry, ParsedHabit
from habitus.imports.zipped import ZIP_ERRORS, Allowance, open_archive, text_of

WHAT = "a Loop CSV export"
HABITS_CSV = "Habits.csv"
CHECKMARKS_CSV = "Checkmarks.csv"
HABITS_CSV_COLUMNS = ("Position", "Name", "FrequencyNumerator", "FrequencyDenominator")
CSV_VALUES = {"YES_MANUAL": "done", "SKIP": "skipped", "NO": "failed"}
MAX_MEMBERS = 2000
# Unpacked bytes of the members read (Habits.csv and each habit's Checkmarks.csv). A
# real export has one row of about 20 bytes per habit and day: 20 habits over 10 years
# are about 1.5 MB, 100 habits over 20 years 15 MB. Rows stream and only one entry per
# habit and day is kept, so this bounds the time spent more than the memory.
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
# Days named in the report line about notes that were not imported.
MAX_LOST_NOTES = 20


def parse_loop_csv(data: bytes, deadline: Deadline | None = None) -> Parsed:
    """Loop's CSV export zip, read within `deadline` and MAX_UNPACKED_BYTES."""
    deadline = deadline or unlimited()
    with open_archive(data, max_members=MAX_MEMBERS, what=WHAT) as archive:
        files = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        listing = [name for name in files if name.rsplit("/", 1)[-1] == HABITS_CSV]
        if not listing:
            raise ImportRefused(f"not a Loop CSV export: {HABITS_CSV} missing")
        index = min(listing, key=len)
        base = index[: -len(HABITS_CSV)]
        folders: dict[str, zipfile.ZipInfo] = {}
        for name, info in files.items():
            suffix = f"/{CHECKMARKS_CSV}"
            if name.startswith(base) and name.endswith(suffix):
                folder = name[len(base) : -len(suffix)]
                if "/" not in folder:
                    folders[folder.split(" ", 1)[0]] = info
        allowance = Allowance(MAX_UNPACKED_BYTES, WHAT, f"{HABITS_CSV} and {CHECKMARKS_CSV}")
        # Every member this import may read, declared before any is unpacked.
        allowance.declared([files[index], *folders.values()])
        parsed = Parsed()
        for habit, position in _habits(archive, files[index], allowance, deadline, parsed):
            member = folders.get(position)
            if member is None:
                parsed.report.append(f"'{habit.name}' has no {CHECKMARKS_CSV}: no days imported")
            else:
                _marks(archive, member, allowance, deadline, parsed, habit)
            loop.set_start(habit)
    if parsed.ignored:
        parsed.report.append(
            f"{parsed.ignored} days marked automatic, unknown or an unnoted “no” in Loop were "
            "left to the schedule (Habitus works them out itself)"
        )
    report_cuts(parsed)
    return parsed


def _table(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, allowance: Allowance, deadline: Deadline
) -> Iterator[dict[str, str]]:
    """The member's rows as {column: text}, one at a time, within the budgets."""
    try:
        with text_of(archive, info, allowance) as text:
            reader = csv.reader(text)
            header = [column.strip() for column in next(reader, [])]
            width = len(header)
            for count, row in enumerate(reader):
                if count % CHECK_EVERY == 0:
                    deadline.check()
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                yield dict(zip(header, row, strict=False))
    except UnicodeDecodeError as error:
        raise ImportRefused(f"not a Loop CSV export: {info.filename} is not UTF-8") from error
    except csv.Error as error:
        raise ImportRefused(f"not a Loop CSV export: {info.filename}: {error}") from error
    except ZIP_ERRORS as error:
        raise ImportRefused(
            f"not a Loop CSV export: {info.filename} cannot be unpacked ({error})"
        ) from error


def _habits(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    allowance: Allowance,
    deadline: Deadline,
    parsed: Parsed,
) -> Iterator[tuple[ParsedHabit, str]]:
    """Each habit of Habits.csv with its position (its folder's number)."""
    for number, row in enumerate(_table(archive, info, allowance, deadline)):
        if number == 0:
            missing = [column for column in HABITS_CSV_COLUMNS if column not in row]
            if missing:
                raise ImportRefused(
                    f"not a Loop CSV export: {HABITS_CSV} has no column {', '.join(missing)}",
                    "missing_column",
                )
        habit = _habit(parsed, row)
        if habit is not None:
            parsed.add_habit(habit)
            yield habit, (row.get("Position") or "").strip()


def _marks(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    allowance: Allowance,
    deadline: Deadline,
    parsed: Parsed,
    habit: ParsedHabit,
) -> None:
    lost: list[str] = []
    numerical = habit.kind == "measurable"
    for mark in _table(archive, info, allowance, deadline):
        entry = _entry(parsed, mark, numerical)
        if entry is not None:
            parsed.add(habit, entry)
            continue
        parsed.ignored += 1
        if clean(mark.get("Notes"), NOTE_MAX) and len(lost) <= MAX_LOST_NOTES:
            lost.append((mark.get("Date") or "?").strip()[:10])
    if lost:
        listed = ", ".join(sorted(lost)[:MAX_LOST_NOTES])
        more = " and more" if len(lost) > MAX_LOST_NOTES else ""
        parsed.report.append(
            f"'{habit.name}': notes on days Loop filled in automatically were "
            f"not imported ({listed}{more})"
        )


def _habit(parsed: Parsed, row: dict[str, str]) -> ParsedHabit | None:
    name = clean(row.get("Name"), NAME_MAX)
    if name is None:
        return None
    num = loop.to_int(row.get("FrequencyNumerator"), 1)
    den = loop.to_int(row.get("FrequencyDenominator"), 1)
    color = (row.get("Color") or "").strip().upper()
    habit = ParsedHabit(
        name=name,
        schedules=[],
        description=loop.description(row.get("Question"), row.get("Description")),
        color=color if len(color) == 7 and color.startswith("#") else None,
        archived=(row.get("Archived?") or "").strip().lower() == "true",
        backfill_days=None,
    )
    if (row.get("Type") or "").strip().upper() == "NUMERICAL":
        habit.target = {
            "value": 0.0,
            "unit": clean(row.get("Unit"), UNIT_MAX),
            "direction": "at_least",
        }
        target_type = 1 if (row.get("Target Type") or "").strip().upper() == "AT_MOST" else 0
        try:
            target = float(row.get("Target Value") or 0)
        except ValueError:
            target = 0.0
        loop.make_measurable(parsed, habit, den, target_type, target)
    else:
        loop.set_schedule(parsed, habit, num, den)
    return habit


def _entry(parsed: Parsed, row: dict[str, str], numerical: bool) -> ParsedEntry | None:
    """The day a row of Checkmarks.csv says something about, or None (most rows of a
    yes/no habit are an unnoted NO or YES_AUTO: their date is not even read)."""
    value = (row.get("Value") or "").strip().upper()
    amount: float | None = None
    if numerical:
        if value == "SKIP":
            status = "skipped"
        elif value in CSV_VALUES or value in {"", "UNKNOWN", "YES_AUTO"}:
            return None
        else:
            try:
                amount = float(value)
            except ValueError:
                return None
            if not math.isfinite(amount):
                return None
            status = "done"
    else:
        found = CSV_VALUES.get(value)
        if found is None:
            return None  # YES_AUTO and UNKNOWN: Habitus works them out from the schedule
        status = found
    note = clean_note(parsed, row.get("Notes"))
    if not numerical and status == "failed" and note is None:
        # The export writes NO for every unchecked day; only a noted "no" says something.
        return None
    try:
        day = date.fromisoformat((row.get("Date") or "").strip())
    except ValueError:
        return None
    return ParsedEntry(day, status, amount, note)
