"""How text from other apps is made to fit Habitus's fields (docs/IMPORT.md "Rules").

Loop and HabitBull know no limits, and their files are not ours to refuse for a long
note: their text loses its NUL characters (PostgreSQL cannot store them, SQLite would),
outer whitespace, and what goes past the field's length. Cut notes are counted for the
report; a Habitus export, which the API's rules made, is checked, never cleaned.
"""

from __future__ import annotations

from typing import Any

from habitus.imports.parsed import Parsed

NAME_MAX, DESCRIPTION_MAX, NOTE_MAX, UNIT_MAX, CATEGORY_MAX = 200, 2000, 1000, 40, 60


def clean(value: Any, limit: int) -> str | None:
    """`value` as text without NUL characters, stripped and cut to `limit` (None when
    nothing is left)."""
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text[:limit] or None


def clean_note(parsed: Parsed, value: Any) -> str | None:
    """A day's note, cut to NOTE_MAX characters; a cut is counted for the report."""
    text = clean(value, NOTE_MAX + 1)
    if text is not None and len(text) > NOTE_MAX:
        parsed.notes_cut += 1
        text = text[:NOTE_MAX]
    return text


def report_cuts(parsed: Parsed) -> None:
    if parsed.notes_cut:
        parsed.report.append(
            f"{parsed.notes_cut} notes were cut to {NOTE_MAX} characters, the most Habitus keeps"
        )
