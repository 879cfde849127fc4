"""HabitBull's CSV (`habitbull_csv`): one row per habit and day, read one row at a time;
its text is cleaned to fit Habitus's fields (`cleaning`)."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from datetime import date, datetime

from habitus.imports.budget import CHECK_EVERY, Deadline, unlimited
from habitus.imports.cleaning import (
    CATEGORY_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    clean,
    clean_note,
    report_cuts,
)
from habitus.imports.parsed import MAX_HABITS, ImportRefused, Parsed, ParsedEntry, ParsedHabit

HABITBULL_COLUMNS = ("HabitName", "CalendarDate", "Value")


def _habitbull_day(text: str) -> date | None:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%m/%d/%Y").date()  # noqa: DTZ007 - a plain date
    except ValueError:
        return None


def parse_habitbull_csv(data: bytes, deadline: Deadline | None = None) -> Parsed:
    """HabitBull's CSV: one row per habit and day (HabitName, HabitDescription,
    HabitCategory, CalendarDate, Value, CommentText). A habit whose values are all 0 or
    1 is a yes/no habit; any other value makes it measurable (at least, with the
    median of its positive days as the daily target). Every habit is daily."""
    deadline = deadline or unlimited()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused("not a HabitBull export: the file is not UTF-8 text") from error
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in HABITBULL_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused(
            f"not a HabitBull export: no column {', '.join(missing)}", "missing_column"
        )
    parsed = Parsed()
    rows: dict[str, list[tuple[date, float, str | None]]] = defaultdict(list)
    about: dict[str, tuple[str | None, str | None]] = {}
    try:
        for count, record in enumerate(reader):  # one row at a time, never a list of them
            if count % CHECK_EVERY == 0:
                deadline.check()
            _habitbull_row(parsed, record, rows, about)
    except csv.Error as error:
        raise ImportRefused(f"not a HabitBull export: {error}") from error
    for name, days in rows.items():
        deadline.check()
        parsed.add_habit(_habitbull_habit(parsed, name, days, about[name]))
    if parsed.ignored:
        parsed.report.append(
            f"{parsed.ignored} rows were not imported (empty, unreadable or repeated)"
        )
    report_cuts(parsed)
    return parsed


def _habitbull_row(
    parsed: Parsed,
    record: dict[str, str],
    rows: dict[str, list[tuple[date, float, str | None]]],
    about: dict[str, tuple[str | None, str | None]],
) -> None:
    name = clean(record.get("HabitName"), NAME_MAX)
    day = _habitbull_day(record.get("CalendarDate") or "")
    try:
        value = float(record.get("Value") or "")
    except ValueError:
        value = math.nan
    if not name or day is None or not math.isfinite(value) or value < 0:
        parsed.ignored += 1
        return
    if name not in rows and len(rows) >= MAX_HABITS:
        raise ImportRefused(f"the file has more than {MAX_HABITS} habits", "too_many_habits")
    rows[name].append((day, value, clean_note(parsed, record.get("CommentText"))))
    about.setdefault(
        name,
        (
            clean(record.get("HabitDescription"), DESCRIPTION_MAX),
            clean(record.get("HabitCategory"), CATEGORY_MAX),
        ),
    )


def _habitbull_habit(
    parsed: Parsed,
    name: str,
    days: list[tuple[date, float, str | None]],
    about: tuple[str | None, str | None],
) -> ParsedHabit:
    description, category = about
    boolean = all(value in (0.0, 1.0) for _, value, _ in days)
    habit = ParsedHabit(
        name=name,
        schedules=[(None, {"type": "daily"})],
        description=description,
        category=category,
        backfill_days=None,
    )
    if not boolean:
        positive = sorted(value for _, value, _ in days if value > 0)
        goal = positive[len(positive) // 2] if positive else 1.0
        habit.kind = "measurable"
        habit.target = {"value": goal, "unit": None, "direction": "at_least"}
        parsed.report.append(f"'{name}' became a measurable habit, at least {goal:g} a day")
    seen: set[date] = set()
    for day, value, note in sorted(days, key=lambda row: row[0]):
        if day in seen:
            parsed.ignored += 1
            continue
        seen.add(day)
        if not boolean:
            habit.entries[day] = ParsedEntry(day, "done", value, note)
        elif value == 1.0:
            habit.entries[day] = ParsedEntry(day, "done", None, note)
        elif note:
            habit.entries[day] = ParsedEntry(day, "failed", None, note)
        else:
            parsed.ignored += 1
    if habit.entries:
        habit.start_date = min(habit.entries)
    return habit
