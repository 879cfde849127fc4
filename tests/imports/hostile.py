"""Hostile import files, made by the tests themselves (issue 11, items 2 and 6), and a
bystander who keeps writing while one of them is imported."""

from __future__ import annotations

import asyncio
import io
import math
import sqlite3
import time
import zipfile
from collections.abc import Awaitable
from datetime import date, timedelta
from pathlib import Path

import httpx

from tests.fixtures.personas import Persona
from tests.habits.helpers import TODAY, put_entry
from tests.imports.loopfiles import LoopHabit, loop_db

HABITS_CSV = (
    "Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,"
    "Color,Unit,Target Type,Target Value,Archived?\n"
)


def _rewrite(path: Path, *statements: str) -> bytes:
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path.read_bytes()


def recursive_view(path: Path, steps: int = 8_000_000) -> bytes:
    """A Loop-shaped backup whose Repetitions is a recursive VIEW: a few KB that keep
    SQLite counting for seconds (the file of the issue ran 22.7 s)."""
    loop_db(path, [LoopHabit("Walk")])
    return _rewrite(
        path,
        "DROP TABLE Repetitions",
        "CREATE VIEW Repetitions AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
        f"FROM r WHERE n < {steps}) SELECT 1 AS habit, n AS timestamp, 2 AS value, "
        "NULL AS notes FROM r WHERE n < 0",
    )


def with_trigger(path: Path) -> bytes:
    """A proper Loop backup plus a trigger, which no Loop backup has."""
    loop_db(path, [LoopHabit("Walk", reps=[(date(2020, 1, 1), 2, None)])])
    return _rewrite(
        path,
        "CREATE TRIGGER sneaky AFTER INSERT ON Habits BEGIN DELETE FROM Repetitions; END",
    )


def habits_as_view(path: Path) -> bytes:
    """Habits is a view over another table: not a plain table where Loop has one."""
    loop_db(path, [LoopHabit("Walk")])
    return _rewrite(
        path,
        "ALTER TABLE Habits RENAME TO RealHabits",
        "CREATE VIEW Habits AS SELECT * FROM RealHabits",
    )


def with_generated_column(path: Path) -> bytes:
    """Repetitions computes a column on every read (a generated column)."""
    loop_db(path, [LoopHabit("Walk")])
    return _rewrite(
        path,
        "DROP TABLE Repetitions",
        "CREATE TABLE Repetitions (id integer primary key, habit integer, timestamp integer, "
        "value integer, notes text GENERATED ALWAYS AS (hex(zeroblob(1000000))) VIRTUAL)",
    )


def slow_but_valid(path: Path, habits: int = 200, days: int = 2000) -> bytes:
    """A plain, valid-looking Loop backup with many rows (habits x days checks): slow to
    read only because it is big."""
    first = TODAY - timedelta(days=days)
    loop_db(path, [LoopHabit(f"Habit {n}") for n in range(habits)])
    connection = sqlite3.connect(path)
    connection.executemany(
        "INSERT INTO Repetitions (habit, timestamp, value) VALUES (?, ?, 2)",
        (
            (habit, 86_400_000 * ((first - date(1970, 1, 1)).days + day))
            for habit in range(1, habits + 1)
            for day in range(days)
        ),
    )
    connection.commit()
    connection.close()
    return path.read_bytes()


# --- Loop CSV zips ------------------------------------------------------------------------


def csv_zip(checkmarks: dict[str, bytes], *, root: str = "Loop Habits CSV") -> bytes:
    """A Loop CSV export: Habits.csv naming one habit per entry of `checkmarks` (name ->
    the bytes of its Checkmarks.csv)."""
    rows = [
        f"{n + 1:03d},{name},YES_NO,,,1,1,#FF8F00,,,,false\n" for n, name in enumerate(checkmarks)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(f"{root}/Habits.csv", HABITS_CSV + "".join(rows))
        for n, (name, content) in enumerate(checkmarks.items()):
            archive.writestr(f"{root}/{n + 1:03d} {name}/Checkmarks.csv", content)
    return buffer.getvalue()


def repeated_rows(unpacked_bytes: int, row: bytes = b"2015-01-25,YES_MANUAL,\n") -> bytes:
    """A Checkmarks.csv of `unpacked_bytes`: one row again and again (it deflates to
    almost nothing)."""
    return b"Date,Value,Notes\n" + row * (unpacked_bytes // len(row))


def many_members(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Loop Habits CSV/Habits.csv", HABITS_CSV)
        for n in range(count):
            archive.writestr(f"Loop Habits CSV/{n:05d}.txt", b"")
    return buffer.getvalue()


# --- a bystander ----------------------------------------------------------------------------


def p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def while_importing(
    client: httpx.AsyncClient,
    bob: Persona,
    habit_id: str,
    importing: Awaitable[httpx.Response],
    *,
    at_least: int = 20,
) -> tuple[httpx.Response, list[float]]:
    """Bob sets his habit's recent days again and again (PUT entries/{day}) from just
    before the import starts until it has answered (and at least `at_least` times):
    the import's answer and the seconds each of Bob's writes took. Every one of them
    must succeed."""
    done = asyncio.Event()
    seconds: list[float] = []

    async def bystander() -> None:
        turn = 0
        while not done.is_set() or len(seconds) < at_least:
            day = (TODAY - timedelta(days=turn % 20)).isoformat()
            status = "done" if turn % 3 else "skipped"
            started = time.perf_counter()
            response = await put_entry(client, bob, habit_id, day, status=status)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            turn += 1
            await asyncio.sleep(0.01)

    async def import_then_stop() -> httpx.Response:
        await asyncio.sleep(0.05)  # bob is writing already
        try:
            return await importing
        finally:
            done.set()

    writes = asyncio.create_task(bystander())
    response = await import_then_stop()
    await writes
    return response, seconds
