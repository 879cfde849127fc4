"""Habitus's own JSON export (`habitus_json`, GET /api/v1/me/export) and HabitBull's CSV
(`habitbull_csv`)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from habitus.imports.parsed import ImportRefused, Parsed, ParsedBreak, ParsedEntry, ParsedHabit

STATUSES = frozenset({"done", "skipped", "failed"})
FORMAT = "habitus-export"
# The export versions this importer reads (docs/EXPORT.md).
FORMAT_VERSION = 1


def _objects(document: dict[str, Any], key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of the document's list `key` (absent: none), each with its path for
    error messages (`entries[3]`)."""
    items = document.get(key, [])
    if not isinstance(items, list):
        raise _where(key, "is not a list")
    for index, item in enumerate(items):
        path = f"{key}[{index}]"
        if not isinstance(item, dict):
            raise _where(path, "is not an object")
        yield path, item


def _where(path: str, message: str) -> ImportRefused:
    return ImportRefused(f"not a Habitus export: {path} {message}", "invalid_field")


def _get(item: dict[str, Any], key: str, path: str, kinds: Any, *, required: bool = False) -> Any:
    value = item.get(key)
    if value is None:
        if required:
            raise _where(f"{path}.{key}", "is missing")
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise _where(f"{path}.{key}", "has the wrong type")
    return value


def _tuple(kinds: Any) -> tuple[Any, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _day(item: dict[str, Any], key: str, path: str, *, required: bool = False) -> date | None:
    text = _get(item, key, path, str, required=required)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise _where(f"{path}.{key}", "is not a date (YYYY-MM-DD)") from error


def _instant(item: dict[str, Any], key: str, path: str) -> datetime | None:
    text = _get(item, key, path, str)
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError as error:
        raise _where(f"{path}.{key}", "is not an ISO 8601 instant") from error
    if found.tzinfo is None:
        raise _where(f"{path}.{key}", "has no time zone")
    return found


def parse_habitus_json(data: bytes) -> Parsed:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportRefused("not a Habitus export: the file is not JSON") from error
    if not isinstance(document, dict) or not isinstance(document.get("habits"), list):
        raise ImportRefused("not a Habitus export: the list habits is missing")
    if document.get("format", FORMAT) != FORMAT:
        raise ImportRefused(f"not a Habitus export: format is not {FORMAT!r}")
    version = document.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise _where("format_version", "has the wrong type")
    if version > FORMAT_VERSION:
        raise ImportRefused(
            f"Habitus export format_version {version} is newer than this server reads "
            f"(up to {FORMAT_VERSION}): update Habitus first",
            "unsupported_version",
        )
    parsed = Parsed()
    by_id: dict[str, ParsedHabit] = {}
    for index, (path, item) in enumerate(_objects(document, "habits")):
        habit = _habit(item, path)
        if habit.source_id in by_id:
            raise _where(f"{path}.id", "appears twice")
        by_id[habit.source_id or str(index)] = habit
        parsed.habits.append(habit)
    for path, item in _objects(document, "entries"):
        owner = by_id.get(str(_get(item, "habit_id", path, str, required=True)))
        if owner is None:
            raise _where(f"{path}.habit_id", "names no habit of the file")
        owner.entries.append(_entry(item, path))
    for path, item in _objects(document, "breaks"):
        habit_id = _get(item, "habit_id", path, str)
        if habit_id is not None and habit_id not in by_id:
            raise _where(f"{path}.habit_id", "names no habit of the file")
        start = _day(item, "start_date", path, required=True)
        end = _day(item, "end_date", path, required=True)
        assert start is not None
        assert end is not None
        if end < start:
            raise _where(f"{path}.end_date", "is before start_date")
        parsed.breaks.append(
            ParsedBreak(start, end, _get(item, "reason", path, str), habit_source_id=habit_id)
        )
    return parsed


def _habit(item: dict[str, Any], path: str) -> ParsedHabit:
    schedules: list[tuple[date | None, dict[str, Any]]] = []
    raw = item.get("schedules")
    if not isinstance(raw, list) or not raw:
        raise _where(f"{path}.schedules", "is missing or empty")
    for number, version in enumerate(raw):
        where = f"{path}.schedules[{number}]"
        if not isinstance(version, dict):
            raise _where(where, "is not an object")
        schedule = _get(version, "schedule", where, dict, required=True)
        schedules.append((_day(version, "effective_from", where, required=True), schedule))
    target = _get(item, "target", path, dict)
    tags = _get(item, "tags", path, list) or []
    backfill = item.get("backfill_days")
    if backfill is not None and (not isinstance(backfill, int) or isinstance(backfill, bool)):
        raise _where(f"{path}.backfill_days", "has the wrong type")
    return ParsedHabit(
        name=_get(item, "name", path, str, required=True),
        schedules=schedules,
        kind=_get(item, "kind", path, str) or "boolean",
        polarity=_get(item, "polarity", path, str) or "build",
        target=target,
        description=_get(item, "description", path, str),
        start_date=_day(item, "start_date", path, required=True),
        end_date=_day(item, "end_date", path),
        backfill_days=backfill,
        category=_get(item, "category", path, str),
        tags=[str(tag) for tag in tags],
        color=_get(item, "color", path, str),
        archived=item.get("archived_at") is not None,
        archived_at=_instant(item, "archived_at", path),
        created_at=_instant(item, "created_at", path),
        source_id=str(item.get("id")) if item.get("id") is not None else None,
    )


def _entry(item: dict[str, Any], path: str) -> ParsedEntry:
    day = _day(item, "date", path, required=True)
    assert day is not None
    status = _get(item, "status", path, str, required=True)
    if status not in STATUSES:
        raise _where(f"{path}.status", "is not done, skipped or failed")
    value = _get(item, "value", path, (int, float))
    if value is not None and not math.isfinite(value):
        raise _where(f"{path}.value", "is not a finite number")
    return ParsedEntry(
        day=day,
        status=status,
        value=float(value) if value is not None else None,
        note=_get(item, "note", path, str),
        logged_at=_instant(item, "logged_at", path),
        logged_tz=_get(item, "logged_tz", path, str),
        source=_get(item, "source", path, str),
    )


# --- HabitBull ------------------------------------------------------------------------------

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


def parse_habitbull_csv(data: bytes) -> Parsed:
    """HabitBull's CSV: one row per habit and day (HabitName, HabitDescription,
    HabitCategory, CalendarDate, Value, CommentText). A habit whose values are all 0 or
    1 is a yes/no habit; any other value makes it measurable (at least, with the
    median of its positive days as the daily target). Every habit is daily."""
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
        records = list(reader)
    except csv.Error as error:
        raise ImportRefused(f"not a HabitBull export: {error}") from error
    for record in records:
        name = (record.get("HabitName") or "").strip()[:200]
        day = _habitbull_day(record.get("CalendarDate") or "")
        try:
            value = float(record.get("Value") or "")
        except ValueError:
            value = math.nan
        if not name or day is None or not math.isfinite(value) or value < 0:
            parsed.ignored += 1
            continue
        note = (record.get("CommentText") or "").strip()[:1000] or None
        rows[name].append((day, value, note))
        about.setdefault(
            name,
            (
                (record.get("HabitDescription") or "").strip()[:2000] or None,
                (record.get("HabitCategory") or "").strip()[:60] or None,
            ),
        )
    for name, days in rows.items():
        description, category = about[name]
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
            if boolean:
                if value == 1.0:
                    habit.entries.append(ParsedEntry(day, "done", None, note))
                elif note:
                    habit.entries.append(ParsedEntry(day, "failed", None, note))
                else:
                    parsed.ignored += 1
            else:
                habit.entries.append(ParsedEntry(day, "done", value, note))
        if habit.entries:
            habit.start_date = habit.entries[0].day
        parsed.habits.append(habit)
    if parsed.ignored:
        parsed.report.append(
            f"{parsed.ignored} rows were not imported (empty, unreadable or repeated)"
        )
    return parsed
