"""The entries CSV (API.md "Export and import"): RFC 4180, safe to open in a spreadsheet.

- UTF-8 without a byte-order mark, CRLF line ends, fields quoted when they hold a comma,
  a quote or a line break (quotes doubled).
- `date` is the local date (YYYY-MM-DD); `logged_at` the UTC instant, ISO 8601 with `Z`,
  to the second.
- `value`: empty when there is none; whole numbers without ".0".
- Formula injection (OWASP "CSV Injection"): a free-text cell (`habit_name`, `note`)
  that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
  so a spreadsheet shows it as text instead of running it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

HEADER = ("habit_id", "habit_name", "date", "status", "value", "note", "logged_at")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str | None) -> str:
    """A free-text cell a spreadsheet will not evaluate."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def cells(row: Sequence[Any]) -> tuple[str, ...]:
    habit_id, name, day, status, value, note, logged_at = row
    assert isinstance(day, date)
    return (
        str(habit_id),
        neutralise(name),
        day.isoformat(),
        status,
        number(value),
        neutralise(note),
        instant(logged_at),
    )


class Writer:
    """Rows in, CSV text out, in chunks."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def header(self) -> bytes:
        self._writer.writerow(HEADER)
        return self._take()

    def rows(self, rows: Iterable[Sequence[Any]]) -> bytes:
        self._writer.writerows(cells(row) for row in rows)
        return self._take()

    def _take(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode("utf-8")


def render(rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The whole CSV for rows already in memory (tests, small exports)."""
    writer = Writer()
    yield writer.header()
    yield writer.rows(rows)
