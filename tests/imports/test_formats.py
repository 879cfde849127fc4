"""POST /api/v1/import with Loop's CSV export, Habitus's own export and HabitBull's CSV
(issue 5, "Import")."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from habitus.models import Entry, Habit
from tests.fixtures.personas import Persona
from tests.habits.helpers import TODAY, problem, stats_of
from tests.imports.loopfiles import (
    API,
    FIXTURES,
    LoopHabit,
    entries_of,
    habits_by_name,
    imported,
    loop_db,
    needs_fixtures,
    upload,
    zip_folder,
)

# --- Loop's CSV export ---------------------------------------------------------------------


@needs_fixtures
async def test_loops_own_csv_export_is_the_oracle(client, alice):
    """Issue 5: csv_export/ (Loop's export of "Meditate" daily and "Wake up early" 2/3):
    YES_MANUAL is done, a noted NO a failed day with its note, SKIP skipped; YES_AUTO,
    UNKNOWN and unnoted NO are left to the schedule; 2 in 3 days is reported."""
    body = await imported(client, alice, zip_folder(FIXTURES / "csv_export"), "loop_csv")
    assert body["habits_created"] == 2
    habits = await habits_by_name(client, alice)
    meditate, wake = habits["Meditate"], habits["Wake up early"]
    assert meditate["schedule"] == {"type": "daily"}
    assert meditate["color"] == "#FF8F00"
    assert meditate["description"] == "Did you meditate this morning?"
    assert wake["schedule"] == {"type": "times_per_period", "times": 5, "period": "week"}
    assert wake["color"] == "#00897B"
    assert "'Wake up early' 2 times in 3 days became 5 times a week" in body["report"]
    entries = await entries_of(client, alice, wake["id"], "2015-01-01", "2015-01-31")
    assert {day: (item["status"], item["note"]) for day, item in entries.items()} == {
        "2015-01-16": ("done", None),
        "2015-01-17": ("done", None),
        "2015-01-20": ("done", None),
        "2015-01-21": ("done", None),
        "2015-01-22": ("done", None),
        "2015-01-24": ("failed", "Sick"),
        "2015-01-25": ("done", None),
    }
    assert body["entries_created"] == 7
    assert wake["start_date"] == "2015-01-16"
    assert any("2015-01-19, 2015-01-23" in note for note in body["report"])


async def test_a_zip_without_habits_csv_is_refused(client, alice, tmp_path):
    """Issue 5: a zip that is not Loop's export, or no zip at all: 422 naming why."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    response = await upload(client, alice, buffer.getvalue(), "loop_csv")
    assert "Habits.csv missing" in problem(response, 422)["detail"]
    response = await upload(client, alice, b"plain text", "loop_csv")
    assert "not a zip archive" in problem(response, 422)["detail"]


# --- Habitus JSON ------------------------------------------------------------------------------


async def _post(
    client: httpx.AsyncClient, persona: Persona, path: str, body: dict[str, Any]
) -> Any:
    response = await client.post(f"{API}{path}", json=body, headers=persona.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _rich_account(client: httpx.AsyncClient, persona: Persona, tmp_path) -> None:
    """Habits of every kind, with history: old days (through a Loop import), recent
    days through the API, a schedule change, an archive, breaks for one and for all."""
    start = TODAY - timedelta(days=60)
    await imported(
        client,
        persona,
        loop_db(
            tmp_path / "seed.db",
            [
                LoopHabit(
                    "Read",
                    3,
                    7,
                    reps=[(start + timedelta(days=n), 2 if n % 5 else 3, None) for n in range(50)],
                ),
                LoopHabit(
                    "Water",
                    type=1,
                    target_value=2.0,
                    unit="l",
                    reps=[(start + timedelta(days=n), 1000 + 100 * n, "ok") for n in range(40)],
                ),
                LoopHabit("Gone", archived=1, reps=[(start, 2, None)]),
            ],
        ),
        "loop_db",
    )
    habits = await habits_by_name(client, persona)
    quit_habit = await _post(
        client,
        persona,
        "/habits",
        {
            "name": "No sugar",
            "polarity": "quit",
            "schedule": {"type": "weekdays", "days": ["mon", "wed", "fri"]},
            "category": "Health",
            "tags": ["food", "quit"],
            "color": "#112233",
            "start_date": (TODAY - timedelta(days=10)).isoformat(),
            "backfill_days": 7,
        },
    )
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = await client.put(
        f"{API}/habits/{quit_habit['id']}/entries/{yesterday}",
        json={"status": "failed", "note": "cake"},
        headers=persona.headers,
    )
    assert response.status_code == 200, response.text
    response = await client.patch(
        f"{API}/habits/{habits['Read']['id']}",
        json={"schedule": {"type": "times_per_period", "times": 2, "period": "week"}},
        headers=persona.headers,
    )
    assert response.status_code == 200, response.text
    await _post(
        client,
        persona,
        "/breaks",
        {
            "start_date": (TODAY - timedelta(days=3)).isoformat(),
            "end_date": (TODAY - timedelta(days=2)).isoformat(),
            "habit_id": habits["Water"]["id"],
            "reason": "trip",
        },
    )
    await _post(client, persona, "/breaks", {"start_date": yesterday, "end_date": yesterday})


async def _export(client: httpx.AsyncClient, persona: Persona) -> dict[str, Any]:
    response = await client.get(f"{API}/me/export", headers=persona.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _comparable(export: dict[str, Any]) -> dict[str, Any]:
    """The export with every id replaced by the habit's name (ids are new in another
    account) and the fields that must differ (the account, update times) left out."""
    names = {habit["id"]: habit["name"] for habit in export["habits"]}
    habits = []
    for habit in export["habits"]:
        kept = {key: value for key, value in habit.items() if key not in ("id", "updated_at")}
        habits.append(kept)
    entries = sorted(
        ({**entry, "habit_id": names[entry["habit_id"]]} for entry in export["entries"]),
        key=lambda entry: (entry["habit_id"], entry["date"]),
    )
    breaks = sorted(
        (
            {
                **{key: value for key, value in pause.items() if key != "id"},
                "habit_id": names.get(pause["habit_id"]),
            }
            for pause in export["breaks"]
        ),
        key=lambda pause: (pause["start_date"], str(pause["habit_id"])),
    )
    return {"habits": habits, "entries": entries, "breaks": breaks}


async def test_habitus_export_round_trips_losslessly(client, alice, bob, tmp_path):
    """Issue 5: export -> import into a new account -> identical habits (schedule
    versions, targets, categories, tags, colours, archive), entries (status, value,
    note, logged_at, zone, source), breaks, and identical stats."""
    await _rich_account(client, alice, tmp_path)
    exported = await _export(client, alice)
    data = json.dumps(exported).encode()
    body = await imported(client, bob, data, "habitus_json")
    assert body["habits_created"] == len(exported["habits"]) == 4
    assert body["entries_created"] == len(exported["entries"])
    assert body["entries_skipped"] == 0
    again = await _export(client, bob)
    assert _comparable(again) == _comparable(exported)
    hers, his = await habits_by_name(client, alice), await habits_by_name(client, bob)
    window = {"from": (TODAY - timedelta(days=70)).isoformat(), "to": TODAY.isoformat()}
    for name, habit in hers.items():
        assert await stats_of(client, bob, his[name]["id"], **window) == await stats_of(
            client, alice, habit["id"], **window
        ), name
        for field in ("streak", "score", "today", "schedule", "schedule_text", "archived"):
            assert his[name][field] == habit[field], (name, field)


async def test_importing_an_export_into_its_own_account_creates_nothing(client, alice, tmp_path):
    """Issue 5 idempotency by natural keys: the same habits (by name) and days (by date)
    are already there; a changed file (new hash) still creates nothing."""
    await _rich_account(client, alice, tmp_path)
    exported = await _export(client, alice)
    body = await imported(client, alice, json.dumps(exported).encode(), "habitus_json")
    assert (body["habits_created"], body["entries_created"]) == (0, 0)
    assert body["entries_skipped"] == len(exported["entries"])
    assert body["already_imported"] is False


async def test_a_failure_midway_leaves_nothing(client, alice, db_session):
    """Issue 5: one transaction: a file whose second habit is invalid (after the first
    was created and its days written) is a 422 and leaves no habit and no entry."""
    good = {
        "id": "h1",
        "name": "Fine",
        "kind": "boolean",
        "schedules": [{"effective_from": "2020-01-01", "schedule": {"type": "daily"}}],
        "start_date": "2020-01-01",
    }
    bad = {
        **good,
        "id": "h2",
        "name": "Broken",
        "schedules": [{"effective_from": "2020-01-01", "schedule": {"type": "fortnightly"}}],
    }
    document = {
        "habits": [good, bad],
        "entries": [{"habit_id": "h1", "date": "2020-01-02", "status": "done"}],
    }
    response = await upload(client, alice, json.dumps(document).encode(), "habitus_json")
    body = problem(response, 422)
    assert "'Broken'" in body["detail"]
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 0
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 0
    await db_session.commit()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not a Habitus export: the file is not JSON"),
        (b'{"hello": 1}', "the list habits is missing"),
        (
            json.dumps({"habits": [{"name": "A", "start_date": "2020-01-01"}]}).encode(),
            "habits[0].schedules is missing or empty",
        ),
        (
            json.dumps(
                {
                    "habits": [],
                    "entries": [{"habit_id": "x", "date": "2020-01-01", "status": "done"}],
                }
            ).encode(),
            "entries[0].habit_id names no habit of the file",
        ),
    ],
)
async def test_bad_habitus_files_are_422(client, alice, data, message):
    """Issue 5: a bad or foreign JSON file: 422 naming the problem (and where)."""
    response = await upload(client, alice, data, "habitus_json")
    assert message in problem(response, 422)["detail"]


# --- HabitBull -----------------------------------------------------------------------------------


@needs_fixtures
async def test_habitbull_csv(client, alice):
    """Issue 5: HabitBull's CSV: 0/1 habits are yes/no, others measurable; comments are
    notes; the category comes along."""
    data = (FIXTURES / "habitbull3.csv").read_bytes()
    body = await imported(client, alice, data, "habitbull_csv")
    habits = await habits_by_name(client, alice)
    assert set(habits) == {"Pushups", "run"}
    assert habits["Pushups"]["kind"] == "measurable"
    assert habits["Pushups"]["category"] == "Fitness"
    assert habits["run"]["kind"] == "boolean"
    assert body["entries_created"] == 10
    data = (FIXTURES / "habitbull.csv").read_bytes()
    body = await imported(client, alice, data, "habitbull_csv")
    dragons = (await habits_by_name(client, alice))["Breed dragons"]
    entries = await entries_of(client, alice, dragons["id"], "2016-03-01", "2016-03-31")
    assert entries["2016-03-18"]["note"] == "text"


async def test_a_csv_without_habitbull_columns_is_refused(client, alice):
    """Issue 5: a CSV that is not HabitBull's: 422 naming the missing columns."""
    response = await upload(client, alice, b"a,b\n1,2\n", "habitbull_csv")
    assert "no column HabitName, CalendarDate, Value" in problem(response, 422)["detail"]


async def test_a_newer_export_version_is_refused(client, alice):
    """Issue 5 / docs/EXPORT.md: a format_version newer than the importer knows, or
    another format name, is a 422 saying so."""
    newer = {"format": "habitus-export", "format_version": 99, "habits": []}
    response = await upload(client, alice, json.dumps(newer).encode(), "habitus_json")
    assert "format_version 99 is newer" in problem(response, 422)["detail"]
    other = {"format": "something-else", "habits": []}
    response = await upload(client, alice, json.dumps(other).encode(), "habitus_json")
    assert "format is not 'habitus-export'" in problem(response, 422)["detail"]
