"""POST /api/v1/import with Loop Habit Tracker backups (issue 5, "Import"): files the
test writes at each schema version 22..25, and the real Loop files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from habitus.models import Entry, Event, Habit, ImportRecord
from tests.habits.helpers import days_of, problem, stats_of
from tests.imports.loopfiles import (
    FIXTURES,
    LoopHabit,
    entries_of,
    habits_by_name,
    imported,
    loop_db,
    needs_fixtures,
    upload,
)

D = date.fromisoformat


@pytest.mark.parametrize("version", [22, 23, 24, 25])
async def test_each_schema_version_imports_values_skips_and_numbers(
    client, alice, tmp_path: Path, version: int
):
    """Issue 5: Loop backups of schema 22 to 25 import; value 2 is done, 3 a skip
    (D3.3: skipped entry), 0 an explicit no (failed); numerical values are x 1000 and
    become a measurable habit (target_type 0 at least, 1 at most); notes come along
    where the schema has them (25)."""
    data = loop_db(
        tmp_path / "backup.db",
        [
            LoopHabit(
                "Meditate",
                question="Did you meditate?",
                reps=[
                    (D("2020-01-01"), 2, "calm"),
                    (D("2020-01-02"), 3, None),
                    (D("2020-01-03"), 0, "forgot"),
                    (D("2020-01-04"), 2, None),
                ],
            ),
            LoopHabit(
                "Run",
                type=1,
                target_type=0,
                target_value=5.0,
                unit="km",
                reps=[(D("2020-01-01"), 5500, None), (D("2020-01-03"), 2000, None)],
            ),
            LoopHabit(
                "Coffee",
                type=1,
                target_type=1,
                target_value=2.0,
                unit="cups",
                reps=[(D("2020-01-02"), 3000, None)],
            ),
        ],
        version=version,
    )
    body = await imported(client, alice, data, "loop_db")
    assert body["habits_created"] == 3
    assert body["entries_created"] == 7
    assert body["entries_skipped"] == 0
    assert body["already_imported"] is False
    habits = await habits_by_name(client, alice)
    meditate, run, coffee = habits["Meditate"], habits["Run"], habits["Coffee"]
    assert meditate["kind"] == "boolean"
    assert meditate["description"] == "Did you meditate?"
    assert meditate["schedule"] == {"type": "daily"}
    assert meditate["start_date"] == "2020-01-01"
    assert meditate["color"] == "#00897B"
    entries = await entries_of(client, alice, meditate["id"], "2020-01-01", "2020-01-31")
    assert {day: item["status"] for day, item in entries.items()} == {
        "2020-01-01": "done",
        "2020-01-02": "skipped",
        "2020-01-03": "failed",
        "2020-01-04": "done",
    }
    notes = {day: item["note"] for day, item in entries.items()}
    if version >= 25:
        assert notes["2020-01-01"] == "calm"
        assert notes["2020-01-03"] == "forgot"
    else:
        assert set(notes.values()) == {None}
    assert run["kind"] == "measurable"
    assert run["target"] == {"value": 5.0, "unit": "km", "direction": "at_least"}
    assert coffee["target"] == {"value": 2.0, "unit": "cups", "direction": "at_most"}
    runs = await entries_of(client, alice, run["id"], "2020-01-01", "2020-01-31")
    assert {day: item["value"] for day, item in runs.items()} == {
        "2020-01-01": 5.5,
        "2020-01-03": 2.0,
    }
    days = await days_of(client, alice, meditate["id"], "2020-01-01", "2020-01-05")
    assert [days[f"2020-01-0{n}"]["outcome"] for n in range(1, 6)] == [
        "done",
        "not_required",  # the skip
        "missed",
        "done",
        "missed",
    ]
    coffee_days = await days_of(client, alice, coffee["id"], "2020-01-02", "2020-01-02")
    assert coffee_days["2020-01-02"]["outcome"] == "missed"  # 3 cups, at most 2


async def test_frequencies_become_schedules_and_the_report_says_so(client, alice, tmp_path):
    """Issue 5 / D3: 1/1 daily, 1/n every n days, k/7 k times a week, k/30 k times a
    month; anything else the nearest schedule, stated in the report."""
    data = loop_db(
        tmp_path / "backup.db",
        [
            LoopHabit("Daily", 1, 1),
            LoopHabit("Every third day", 1, 3),
            LoopHabit("Thrice weekly", 3, 7),
            LoopHabit("Four a month", 4, 30),
            LoopHabit("Gym", 5, 10),
        ],
    )
    body = await imported(client, alice, data, "loop_db")
    habits = await habits_by_name(client, alice)
    assert habits["Daily"]["schedule"] == {"type": "daily"}
    assert habits["Every third day"]["schedule"] == {"type": "every_n_days", "n": 3}
    assert habits["Thrice weekly"]["schedule"] == {
        "type": "times_per_period",
        "times": 3,
        "period": "week",
    }
    assert habits["Four a month"]["schedule"] == {
        "type": "times_per_period",
        "times": 4,
        "period": "month",
    }
    assert habits["Gym"]["schedule"] == {"type": "times_per_period", "times": 4, "period": "week"}
    assert "'Gym' 5 times in 10 days became 4 times a week" in body["report"]
    assert not [note for note in body["report"] if "Daily" in note or "Thrice" in note]


async def test_archived_habits_stay_archived_and_reminders_are_reported(client, alice, tmp_path):
    """D2.4 / issue 5: an archived Loop habit is archived here, with its history; a
    reminder is named in the report (Habitus has no reminders yet)."""
    data = loop_db(
        tmp_path / "backup.db",
        [
            LoopHabit("Old", archived=1, reps=[(D("2019-05-01"), 2, None)]),
            LoopHabit("Work out", reminder=(18, 0)),
        ],
    )
    body = await imported(client, alice, data, "loop_db")
    habits = await habits_by_name(client, alice)
    assert habits["Old"]["archived"] is True
    assert habits["Work out"]["archived"] is False
    assert any("'Work out' had a reminder at 18:00" in note for note in body["report"])
    assert await entries_of(client, alice, habits["Old"]["id"], "2019-05-01", "2019-05-01")


async def test_an_automatic_check_is_left_to_the_schedule(client, alice, tmp_path):
    """Issue 5 decision (docs/IMPORT.md): value 1, Loop's automatic check, is not stored
    by Loop; if a file has one it is not imported (Habitus works out periods itself)."""
    data = loop_db(
        tmp_path / "backup.db",
        [LoopHabit("Walk", 3, 7, reps=[(D("2020-03-02"), 2, None), (D("2020-03-03"), 1, None)])],
    )
    body = await imported(client, alice, data, "loop_db")
    assert body["entries_created"] == 1
    habit = (await habits_by_name(client, alice))["Walk"]
    assert list(await entries_of(client, alice, habit["id"], "2020-03-01", "2020-03-31")) == [
        "2020-03-02"
    ]
    assert any("were not imported" in note for note in body["report"])


async def test_old_days_are_imported_outside_the_backfill_window(
    client, alice, tmp_path, db_session
):
    """D4.3: imports are exempt from the backfill window (years-old days go in); the
    streak, score and events come out right: one habit_created event, no check-in
    events for history."""
    reps = [(D("2026-11-01") + timedelta(days=n), 2, None) for n in range(20)]
    data = loop_db(tmp_path / "backup.db", [LoopHabit("Stretch", reps=reps)])
    await imported(client, alice, data, "loop_db")
    habit = (await habits_by_name(client, alice))["Stretch"]
    assert habit["backfill_days"] is None  # Loop lets any day be changed
    assert habit["streak"]["current"] == 20
    stats = await stats_of(client, alice, habit["id"], **{"from": "2026-11-01", "to": "2026-11-20"})
    assert stats["completion_rate"] == 1.0
    kinds = (await db_session.scalars(select(Event.kind).where(Event.user_id == alice.id))).all()
    await db_session.commit()
    assert sorted(kinds) == ["habit_created"]


@needs_fixtures
async def test_the_real_migrated_loop_backup(client, alice, db_session):
    """Issue 5: migrated_v25/loop.db has 9 habits and 164 check-ins; the first, "Wake
    up early", is 3 times a week with checks on 2016-03-14 and 2016-03-16 (not 03-17)."""
    data = (FIXTURES / "migrated_v25" / "loop.db").read_bytes()
    body = await imported(client, alice, data, "loop_db")
    assert body["habits_created"] == 9
    assert body["entries_created"] == 164
    count = await db_session.scalar(select(func.count()).select_from(Habit))
    await db_session.commit()
    assert count == 9
    response = await client.get("/api/v1/habits", params={"limit": 100}, headers=alice.headers)
    first = response.json()["items"][0]
    assert first["name"] == "Wake up early"
    assert first["schedule"] == {"type": "times_per_period", "times": 3, "period": "week"}
    march = await entries_of(client, alice, first["id"], "2016-03-13", "2016-03-17")
    assert sorted(march) == ["2016-03-14", "2016-03-16"]
    assert all(item["status"] == "done" for item in march.values())
    habits = await habits_by_name(client, alice)
    assert habits["Sleep early"]["schedule"] == {"type": "every_n_days", "n": 5}


@needs_fixtures
async def test_the_real_v22_backup_keeps_its_question(client, alice):
    """Issue 5: 022.db (schema 22) imports; the question becomes the description and
    the 18:00 reminder is reported."""
    body = await imported(client, alice, (FIXTURES / "022.db").read_bytes(), "loop_db")
    assert body["habits_created"] == 2
    assert body["entries_created"] == 1
    habits = await habits_by_name(client, alice)
    assert habits["Work out"]["description"] == "Did you work out?"
    assert any("18:00" in note for note in body["report"])


@needs_fixtures
@pytest.mark.parametrize("name", ["loop.db", "021.db"])
async def test_old_schemas_are_refused_clearly(client, alice, db_session, name):
    """Issue 5: loop.db is schema 12 (and 021.db schema 21): refused with a 422 that
    names the version and what to do; nothing is written."""
    response = await upload(client, alice, (FIXTURES / name).read_bytes(), "loop_db")
    body = problem(response, 422)
    assert body["errors"][0]["field"] == "file"
    assert body["errors"][0]["rule"] == "unsupported_version"
    version = "12" if name == "loop.db" else "21"
    assert f"schema version {version} is not supported" in body["detail"]
    assert await db_session.scalar(select(func.count()).select_from(ImportRecord)) == 0
    await db_session.commit()


@needs_fixtures
async def test_an_empty_v25_backup_creates_nothing(client, alice):
    """Issue 5: an empty backup is valid: nothing to create."""
    data = (FIXTURES / "migrated_v25" / "empty_v25.db").read_bytes()
    body = await imported(client, alice, data, "loop_db")
    assert (body["habits_created"], body["entries_created"]) == (0, 0)


async def test_foreign_files_get_a_clear_422(client, alice, tmp_path, db_session):
    """Issue 5: not SQLite, SQLite without Habits, Habits without a needed column: a
    422 on `file` that names the problem; nothing is written."""
    import sqlite3

    foreign = tmp_path / "foreign.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE notes (id integer primary key, body text)")
    connection.execute("PRAGMA user_version = 25")
    connection.commit()
    connection.close()
    missing_column = tmp_path / "missing.db"
    connection = sqlite3.connect(missing_column)
    connection.execute("CREATE TABLE Habits (id integer primary key, name text, archived int)")
    connection.execute("CREATE TABLE Repetitions (habit int, timestamp int, value int)")
    connection.execute("PRAGMA user_version = 25")
    connection.commit()
    connection.close()
    no_repetitions = tmp_path / "norep.db"
    connection = sqlite3.connect(no_repetitions)
    connection.execute(
        "CREATE TABLE Habits (id integer primary key, name text, archived int,"
        " freq_num int, freq_den int)"
    )
    connection.execute("PRAGMA user_version = 25")
    connection.commit()
    connection.close()
    truncated = loop_db(tmp_path / "ok.db", [LoopHabit("A")])[:3000]
    cases = {
        b"hello, this is not a database": "not a Loop backup: the file is not an SQLite database",
        foreign.read_bytes(): "not a Loop backup: table Habits missing",
        missing_column.read_bytes(): (
            "not a Loop backup: table Habits has no column freq_den, freq_num"
        ),
        no_repetitions.read_bytes(): "not a Loop backup: table Repetitions missing",
        truncated: "not a Loop backup",
    }
    for data, message in cases.items():
        response = await upload(client, alice, data, "loop_db")
        body = problem(response, 422)
        assert message in body["detail"], body
        assert body["errors"][0]["field"] == "file"
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 0
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 0
    await db_session.commit()
