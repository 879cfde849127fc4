"""Habitus's own JSON export (`habitus_json`, GET /api/v1/me/export), read as written:
`rules` checks it against the API's rules afterwards and never cleans it (a real export
always keeps them)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from habitus.imports.budget import CHECK_EVERY, Deadline, unlimited
from habitus.imports.nesting import MAX_DEPTH, deeper_than
from habitus.imports.parsed import ImportRefused, Parsed, ParsedBreak, ParsedEntry, ParsedHabit

STATUSES = frozenset({"done", "skipped", "failed"})
FORMAT = "habitus-export"
# The export versions this importer reads (docs/EXPORT.md).
FORMAT_VERSION = 1


def _objects(
    document: dict[str, Any], key: str, deadline: Deadline
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of the document's list `key` (absent: none), each with its path for
    error messages (`entries[3]`)."""
    items = document.get(key, [])
    if not isinstance(items, list):
        raise _where(key, "is not a list")
    for index, item in enumerate(items):
        if index % CHECK_EVERY == 0:
            deadline.check()
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


def _too_deep() -> ImportRefused:
    return ImportRefused(
        f"not a Habitus export: the file is nested too deeply (more than {MAX_DEPTH} levels)",
        "too_deep",
    )


def parse_habitus_json(data: bytes, deadline: Deadline | None = None) -> Parsed:
    """A Habitus export, within `deadline`; a file nesting deeper than MAX_DEPTH is
    refused before it is parsed."""
    deadline = deadline or unlimited()
    if deeper_than(data):
        raise _too_deep()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except RecursionError as error:  # the scan above should have caught it
        raise _too_deep() from error
    except (UnicodeDecodeError, ValueError) as error:  # ValueError: JSONDecodeError, huge ints
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
    for index, (path, item) in enumerate(_objects(document, "habits", deadline)):
        habit = _habit(item, path)
        if habit.source_id in by_id:
            raise _where(f"{path}.id", "appears twice")
        by_id[habit.source_id or str(index)] = habit
        parsed.add_habit(habit)
    for path, item in _objects(document, "entries", deadline):
        owner = by_id.get(str(_get(item, "habit_id", path, str, required=True)))
        if owner is None:
            raise _where(f"{path}.habit_id", "names no habit of the file")
        parsed.add(owner, _entry(item, path))
    for path, item in _objects(document, "breaks", deadline):
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
        icon=_get(item, "icon", path, str),
        visibility=_get(item, "visibility", path, str) or "private",
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
    try:
        amount = float(value) if value is not None else None
    except OverflowError:  # an integer of hundreds of digits
        amount = math.inf
    if amount is not None and not math.isfinite(amount):
        raise _where(f"{path}.value", "is not a finite number")
    return ParsedEntry(
        day=day,
        status=status,
        value=amount,
        note=_get(item, "note", path, str),
        logged_at=_instant(item, "logged_at", path),
        logged_tz=_get(item, "logged_tz", path, str),
        source=_get(item, "source", path, str),
    )
