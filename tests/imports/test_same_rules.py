"""Issue 11, item 8: imported rows go through the API's own rules, so a file cannot put
into the database what the API would refuse, and both databases answer alike.

Decisions (docs/IMPORT.md "Rules"): a row the API would refuse refuses the whole file
(422 on `file`, naming the habit and the day or the break); a `logged_tz` that is not a
canonical zone of a place falls back to the account's zone (reported); foreign formats'
text is cleaned as before (NUL characters dropped, notes cut to 1,000 characters,
reported).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Entry, Habit, HabitBreak
from tests.fixtures.personas import Persona
from tests.habits.helpers import error_fields, patch_me, problem, stats_of
from tests.imports.loopfiles import LoopHabit, entries_of, habits_by_name, imported, loop_db, upload

WALK = {
    "id": "h1",
    "name": "Walk",
    "kind": "boolean",
    "schedules": [{"effective_from": "2020-01-01", "schedule": {"type": "daily"}}],
    "start_date": "2020-01-01",
}


def _document(
    entries: list[dict[str, Any]] | None = None, breaks: list[dict[str, Any]] | None = None
) -> bytes:
    return json.dumps(
        {
            "format": "habitus-export",
            "habits": [WALK],
            "entries": entries or [],
            "breaks": breaks or [],
        }
    ).encode()


def _entry(**fields: Any) -> dict[str, Any]:
    return {"habit_id": "h1", "date": "2020-01-02", "status": "done", **fields}


async def _refused(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession, data: bytes, fmt: str
) -> str:
    """The 422's detail for a file refused on `file`; nothing was written."""
    response = await upload(client, alice, data, fmt)
    body = problem(response, 422)
    assert error_fields(body) == ["file"]
    for model in (Habit, Entry, HabitBreak):
        assert await db_session.scalar(select(func.count()).select_from(model)) == 0, model
    await db_session.commit()
    detail: str = body["detail"]
    return detail


async def test_deep_nesting_is_a_422_on_file(client, alice, db_session):
    """Issue 11, item 8: 100,000 nested `[` in a Habitus JSON file (a RecursionError
    and a 500 before) is a 422 on `file` saying the file nests too deeply."""
    data = b'{"habits": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    detail = await _refused(client, alice, db_session, data, "habitus_json")
    assert "nested too deeply" in detail


@pytest.mark.parametrize(
    ("pause", "message"),
    [
        ({"reason": "x" * 100_000}, "breaks[0].reason"),
        ({"reason": "ill\x00"}, "breaks[0].reason"),
        ({"start_date": "1899-12-31"}, "breaks[0].start_date"),
        ({"end_date": "2200-01-01"}, "breaks[0].end_date"),
        ({"end_date": "2021-06-01"}, "a break lasts at most 366 days"),
    ],
)
async def test_breaks_follow_the_breaks_api(client, alice, db_session, pause, message):
    """Issue 11, item 8: a break the breaks API would refuse (a 100 KB reason, stored on
    SQLite and a 500 on PostgreSQL before; a NUL; a day outside 1900..2199; longer than
    the API allows) refuses the file with a 422 on `file` naming the break."""
    full = {"start_date": "2020-01-05", "end_date": "2020-01-09", **pause}
    detail = await _refused(client, alice, db_session, _document(breaks=[full]), "habitus_json")
    assert message in detail


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"note": "n" * 1001}, "note"),
        ({"note": "fine\x00"}, "note"),
        ({"value": 1e10, "status": "done"}, "value"),
        ({"value": -1}, "value"),
        ({"date": "1899-12-31"}, "1899-12-31"),
    ],
)
async def test_entries_follow_the_entries_api(client, alice, db_session, fields, message):
    """Issue 11, item 8: an entry the API would refuse (a note over 1,000 characters or
    with a NUL, a value over 1e9 or below 0, a day before 1900) refuses the whole file
    with a 422 on `file` naming the habit and the day (before: cut, stored, skipped or a
    500 on PostgreSQL)."""
    data = _document(entries=[_entry(**fields)])
    detail = await _refused(client, alice, db_session, data, "habitus_json")
    assert "habit 'Walk'" in detail
    assert message in detail


async def test_an_entry_zone_must_be_a_canonical_zone(client, alice, db_session):
    """Issue 11, item 8: `logged_tz` goes through `canonical_zone`: a link is stored as
    the zone it names; a name that is no zone of a place (`../../etc/passwd`, which
    later made the habit's stats a 500) becomes the account's zone, and the report
    says how many."""
    await patch_me(client, alice, timezone="Europe/Berlin")
    data = _document(
        entries=[
            _entry(date="2020-01-02", logged_tz="../../etc/passwd"),
            _entry(date="2020-01-03", logged_tz="US/Eastern"),
            _entry(date="2020-01-04", logged_tz="EST5EDT"),
        ]
    )
    body = await imported(client, alice, data, "habitus_json")
    assert body["entries_created"] == 3
    assert any("2 days named a time zone" in note for note in body["report"]), body["report"]
    zones = dict((await db_session.execute(select(Entry.local_date, Entry.logged_tz))).all())
    await db_session.commit()
    assert zones == {
        date(2020, 1, 2): "Europe/Berlin",
        date(2020, 1, 3): "America/New_York",
        date(2020, 1, 4): "Europe/Berlin",
    }
    walk = (await habits_by_name(client, alice))["Walk"]
    stats = await stats_of(client, alice, walk["id"], **{"from": "2020-01-01", "to": "2020-01-31"})
    assert stats["done"] == 3


async def test_loop_days_outside_1900_to_2199_refuse_the_file(client, alice, db_session, tmp_path):
    """Issue 11, item 8: every date is within 1900-01-01..2199-12-31, in every format: a
    Loop check on 1899-12-31 (quietly dropped before) is a 422 naming habit and day."""
    data = loop_db(
        tmp_path / "old.db",
        [LoopHabit("Walk", reps=[(date(1899, 12, 31), 2, None), (date(2020, 1, 1), 2, None)])],
    )
    detail = await _refused(client, alice, db_session, data, "loop_db")
    assert "habit 'Walk', 1899-12-31" in detail


async def test_foreign_text_is_cleaned_alike_on_both_databases(client, alice, tmp_path):
    """Issue 11, item 8: foreign formats' text is made to fit the API's rules the same
    way on SQLite and PostgreSQL: a NUL in a HabitBull comment is dropped (SQLite kept
    it, PostgreSQL answered 500), a Loop note over 1,000 characters is cut and the
    report says so."""
    bull = (
        b"HabitName,HabitDescription,HabitCategory,CalendarDate,Value,CommentText\n"
        b"Run,,,2020-01-01,1,went \x00far\n"
    )
    await imported(client, alice, bull, "habitbull_csv")
    run = (await habits_by_name(client, alice))["Run"]
    days = await entries_of(client, alice, run["id"], "2020-01-01", "2020-01-01")
    assert days["2020-01-01"]["note"] == "went far"
    data = loop_db(
        tmp_path / "notes.db", [LoopHabit("Read", reps=[(date(2020, 1, 1), 2, "n" * 1500)])]
    )
    body = await imported(client, alice, data, "loop_db")
    assert any("cut to 1000 characters" in note for note in body["report"]), body["report"]
