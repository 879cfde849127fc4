"""Files for the import tests: Loop backups written by the test itself, at each schema
version the importer accepts, and the real Loop files of ../shared/fixtures/loop/."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.files import LOOP_FIXTURES
from tests.fixtures.personas import Persona

API = "/api/v1"
FIXTURES = LOOP_FIXTURES
# A skip where the real Loop files are not found (tests/fixtures/files.py).
needs_fixtures = pytest.mark.usefixtures("loop_fixtures")


@dataclass
class LoopHabit:
    name: str
    freq_num: int = 1
    freq_den: int = 1
    type: int = 0
    target_type: int = 0
    target_value: float = 0.0
    unit: str = ""
    archived: int = 0
    question: str = ""
    description: str = ""
    color: int = 8
    reminder: tuple[int, int] | None = None
    # (date, value, notes)
    reps: list[tuple[date, int, str | None]] = field(default_factory=list)


def stamp(day: date) -> int:
    """Loop's timestamp: epoch milliseconds at 00:00 UTC of the local date."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def loop_db(path: Path, habits: list[LoopHabit], *, version: int = 25) -> bytes:
    """A Loop backup at schema `version`, shaped as Loop's migrations leave it: version
    22 has the numerical columns and a NOT NULL `value`; the question column (23), the
    uuid (24) and the check-in notes (25) come later. Returns the file's bytes."""
    habit_columns = [
        "id integer primary key autoincrement",
        "archived integer",
        "color integer",
        "description text",
        "freq_den integer",
        "freq_num integer",
        "highlight integer",
        "name text",
        "position integer",
        "reminder_hour integer",
        "reminder_min integer",
        "reminder_days integer not null default 127",
        "type integer not null default 0",
        "target_type integer not null default 0",
        "target_value real not null default 0",
        'unit text not null default ""',
    ]
    if version >= 23:
        habit_columns.append("question text")
    if version >= 24:
        habit_columns.append("uuid text")
    rep_columns = [
        "id integer primary key autoincrement",
        "habit integer not null references habits(id)",
        "timestamp integer not null",
        "value integer not null",
    ]
    if version >= 25:
        rep_columns.append("notes text")
    connection = sqlite3.connect(path)
    connection.execute(f"CREATE TABLE Habits ({', '.join(habit_columns)})")
    connection.execute(f"CREATE TABLE Repetitions ({', '.join(rep_columns)})")
    connection.execute(
        "CREATE UNIQUE INDEX idx_repetitions_habit_timestamp ON Repetitions(habit, timestamp)"
    )
    for position, habit in enumerate(habits):
        values: dict[str, Any] = {
            "archived": habit.archived,
            "color": habit.color,
            "description": habit.description if version >= 23 else habit.question,
            "freq_den": habit.freq_den,
            "freq_num": habit.freq_num,
            "highlight": 0,
            "name": habit.name,
            "position": position,
            "reminder_hour": habit.reminder[0] if habit.reminder else None,
            "reminder_min": habit.reminder[1] if habit.reminder else None,
            "type": habit.type,
            "target_type": habit.target_type,
            "target_value": habit.target_value,
            "unit": habit.unit,
        }
        if version >= 23:
            values["question"] = habit.question
        if version >= 24:
            values["uuid"] = f"{position:032x}"
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = connection.execute(
            f"INSERT INTO Habits ({names}) VALUES ({marks})", list(values.values())
        )
        for day, value, notes in habit.reps:
            if version >= 25:
                connection.execute(
                    "INSERT INTO Repetitions (habit, timestamp, value, notes) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, stamp(day), value, notes),
                )
            else:
                connection.execute(
                    "INSERT INTO Repetitions (habit, timestamp, value) VALUES (?, ?, ?)",
                    (cursor.lastrowid, stamp(day), value),
                )
    connection.execute(f"PRAGMA user_version = {version}")
    connection.commit()
    connection.close()
    return path.read_bytes()


def zip_folder(folder: Path, root: str = "Loop Habits CSV 2015-01-25") -> bytes:
    """A folder as Loop's export zip (its files under one top folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in sorted(folder.rglob("*")):
            if item.is_file():
                archive.write(item, f"{root}/{item.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def upload(
    client: httpx.AsyncClient,
    persona: Persona,
    data: bytes,
    fmt: str | None = None,
    filename: str = "upload.bin",
) -> Any:
    form = {"format": fmt} if fmt else {}
    return client.post(
        f"{API}/import",
        files={"file": (filename, data, "application/octet-stream")},
        data=form,
        headers=persona.headers,
    )


async def imported(
    client: httpx.AsyncClient, persona: Persona, data: bytes, fmt: str | None = None
) -> dict[str, Any]:
    response = await upload(client, persona, data, fmt)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def habits_by_name(client: httpx.AsyncClient, persona: Persona) -> dict[str, dict[str, Any]]:
    """Every habit of the persona, active and archived, by name."""
    found: dict[str, dict[str, Any]] = {}
    for archived in ("false", "true"):
        response = await client.get(
            f"{API}/habits", params={"archived": archived, "limit": 100}, headers=persona.headers
        )
        assert response.status_code == 200, response.text
        found.update({habit["name"]: habit for habit in response.json()["items"]})
    return found


async def entries_of(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, first: str, last: str
) -> dict[str, dict[str, Any]]:
    response = await client.get(
        f"{API}/habits/{habit_id}/entries",
        params={"from": first, "to": last},
        headers=persona.headers,
    )
    assert response.status_code == 200, response.text
    return {item["date"]: item for item in response.json()["items"]}
