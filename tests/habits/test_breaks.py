"""Breaks (DOMAIN.md D3.2, D7.2, D8.1, note N10; API.md "Breaks")."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from habitus.models import HabitBreak
from tests.habits.helpers import (
    API,
    count,
    create_habit,
    days_of,
    entry_put,
    error_fields,
    event_kinds,
    get_habit,
    problem,
    stats_of,
    table_counts,
)


async def new_break(client, persona, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/breaks", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def streaky_habit(client, persona) -> dict[str, Any]:
    """A daily habit done on the 14th-16th and the 20th-21st; the 17th-19th are open."""
    habit = await create_habit(client, persona, start_date="2026-11-14", backfill_days=None)
    for day in (14, 15, 16, 20, 21):
        await entry_put(client, persona, habit["id"], f"2026-11-{day}", status="done")
    return habit


async def test_create_break_for_one_habit(client, alice, db_session):
    """API.md Breaks: POST /breaks with habit_id answers 201 with the break."""
    habit = await create_habit(client, alice)
    created = await new_break(
        client,
        alice,
        start_date="2026-11-22",
        end_date="2026-11-28",
        habit_id=habit["id"],
        reason="  Holiday ",
    )
    assert created["habit_id"] == habit["id"]
    assert (created["start_date"], created["end_date"]) == ("2026-11-22", "2026-11-28")
    assert created["reason"] == "Holiday"
    assert created["created_at"] == "2026-11-21T12:00:00Z"
    uuid.UUID(created["id"])
    assert await count(db_session, HabitBreak) == 1
    assert (await event_kinds(db_session, alice.id))[-1] == "break_created"


async def test_a_break_freezes_the_streak(client, alice, db_session):
    """D3.2 / D7.2: break days are not required, so a streak across a break survives."""
    habit = await streaky_habit(client, alice)
    before = await get_habit(client, alice, habit["id"])
    assert before["streak"]["current"] == 2
    assert before["streak"]["longest"] == 3
    pause = await new_break(
        client, alice, start_date="2026-11-17", end_date="2026-11-19", habit_id=habit["id"]
    )
    during = await get_habit(client, alice, habit["id"])
    assert during["streak"]["current"] == 5
    assert during["streak"]["longest"] == 5
    assert (during["streak"]["current_start"], during["streak"]["current_end"]) == (
        "2026-11-14",
        "2026-11-21",
    )
    days = await days_of(client, alice, habit["id"], "2026-11-16", "2026-11-20")
    assert [(item["outcome"], item["in_break"]) for item in days.values()] == [
        ("done", False),
        ("not_required", True),
        ("not_required", True),
        ("not_required", True),
        ("done", False),
    ]
    # Deleting the break brings the misses back.
    response = await client.delete(f"{API}/breaks/{pause['id']}", headers=alice.headers)
    assert response.status_code == 204
    after = await get_habit(client, alice, habit["id"])
    assert after["streak"]["current"] == 2
    assert after["streak"]["longest"] == 3
    assert (await event_kinds(db_session, alice.id))[-1] == "break_deleted"
    assert await count(db_session, HabitBreak) == 0


async def test_breaks_are_left_out_of_rates(client, alice):
    """D8.1: break days are neither done nor missed in /stats."""
    habit = await streaky_habit(client, alice)
    window = {"from": "2026-11-14", "to": "2026-11-21"}
    without = await stats_of(client, alice, habit["id"], **window)
    assert (without["done"], without["missed"]) == (5, 3)
    assert without["completion_rate"] == pytest.approx(5 / 8)
    await new_break(client, alice, start_date="2026-11-17", end_date="2026-11-19")
    with_break = await stats_of(client, alice, habit["id"], **window)
    assert (with_break["done"], with_break["missed"]) == (5, 0)
    assert with_break["completion_rate"] == 1.0
    assert with_break["total_completions"] == 5
    assert with_break["current_streak"] == 5


async def test_a_break_for_all_habits_covers_every_habit(client, alice, bob):
    """D3.2: a break without habit_id applies to all of the user's habits (only theirs)."""
    first = await streaky_habit(client, alice)
    second = await streaky_habit(client, alice)
    bobs = await streaky_habit(client, bob)
    created = await new_break(client, alice, start_date="2026-11-17", end_date="2026-11-19")
    assert created["habit_id"] is None
    for habit in (first, second):
        assert (await get_habit(client, alice, habit["id"]))["streak"]["current"] == 5
    assert (await get_habit(client, bob, bobs["id"]))["streak"]["current"] == 2
    # A habit created later is covered too.
    later = await create_habit(client, alice, start_date="2026-11-17", backfill_days=None)
    days = await days_of(client, alice, later["id"], "2026-11-17", "2026-11-20")
    assert [item["in_break"] for item in days.values()] == [True, True, True, False]


async def test_break_on_one_habit_leaves_the_others(client, alice):
    """D3.2: a break for one habit does not touch the user's other habits."""
    paused = await streaky_habit(client, alice)
    other = await streaky_habit(client, alice)
    await new_break(
        client, alice, start_date="2026-11-17", end_date="2026-11-19", habit_id=paused["id"]
    )
    assert (await get_habit(client, alice, paused["id"]))["streak"]["current"] == 5
    assert (await get_habit(client, alice, other["id"]))["streak"]["current"] == 2


async def test_a_break_today_makes_today_not_required(client, alice):
    """D3.2 / D5: a day in a break is not_required; a streak is frozen across it."""
    habit = await create_habit(client, alice, start_date="2026-11-20")
    await entry_put(client, alice, habit["id"], "2026-11-20", status="done")
    await new_break(client, alice, start_date="2026-11-21", end_date="2026-11-21")
    today = await get_habit(client, alice, habit["id"])
    assert today["today"]["status"] == "not_required"
    assert today["today"]["required"] is False
    assert today["streak"]["current"] == 1


async def test_a_break_in_a_week_lowers_the_period_target(client, alice):
    """D6.1: break days are not available, so a week's target shrinks."""
    habit = await create_habit(
        client,
        alice,
        start_date="2026-11-16",
        schedule={"type": "times_per_period", "times": 7, "period": "week"},
    )
    assert habit["today"]["needed"] == 7
    await new_break(
        client, alice, start_date="2026-11-16", end_date="2026-11-19", habit_id=habit["id"]
    )
    # 3 of 7 days left: ceil(7 * 3 / 7) = 3.
    assert (await get_habit(client, alice, habit["id"]))["today"]["needed"] == 3


async def test_list_breaks_is_paginated_newest_first(client, alice, bob, frozen_clock):
    """API.md Breaks: GET /breaks pages with limit and cursor, only the caller's breaks."""
    ids = []
    for n in range(5):
        frozen_clock.shift(60)  # distinct created_at
        created = await new_break(
            client, alice, start_date=f"2026-12-0{n + 1}", end_date=f"2026-12-0{n + 1}"
        )
        ids.append(created["id"])
    await new_break(client, bob, start_date="2026-12-01", end_date="2026-12-02")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"{API}/breaks", params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    forged = await client.get(f"{API}/breaks", params={"cursor": "bm9wZQ"}, headers=alice.headers)
    assert error_fields(problem(forged, 422)) == ["cursor"]


async def test_delete_unknown_break_is_404(client, alice):
    """API.md Breaks: DELETE of a break that does not exist is 404."""
    problem(await client.delete(f"{API}/breaks/{uuid.uuid4()}", headers=alice.headers), 404)


async def test_break_on_another_users_habit_is_refused(client, alice, charlie, db_session):
    """D3.2 / API.md: a break naming someone else's habit is refused like an unknown habit."""
    habit = await create_habit(client, alice)
    counts = await table_counts(db_session)
    theirs = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-22", "end_date": "2026-11-23", "habit_id": habit["id"]},
        headers=charlie.headers,
    )
    unknown = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-22", "end_date": "2026-11-23", "habit_id": str(uuid.uuid4())},
        headers=charlie.headers,
    )
    assert error_fields(problem(theirs, 422)) == ["habit_id"]
    # No existence oracle: the same answer as for a habit that does not exist.
    assert theirs.json()["errors"] == unknown.json()["errors"]
    assert await table_counts(db_session) == counts


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-10-22", "2026-10-25", None),  # exactly 30 days back: fine
        ("2026-10-21", "2026-10-25", "start_date"),  # 31 days back
        ("2026-11-21", "2027-11-21", None),  # 366 days (2027 has no Feb 29): fine
        ("2026-11-21", "2027-11-22", "end_date"),  # 367 days
        ("2030-01-01", "2030-01-31", None),  # planning far ahead is unlimited
        ("2026-11-25", "2026-11-24", "end_date"),  # ends before it starts
    ],
)
async def test_break_limits(client, alice, db_session, start, end, field):
    """N10: a break starts at most 30 days back and lasts at most 366 days."""
    response = await client.post(
        f"{API}/breaks", json={"start_date": start, "end_date": end}, headers=alice.headers
    )
    if field is None:
        assert response.status_code == 201, response.text
        assert await count(db_session, HabitBreak) == 1
    else:
        assert error_fields(problem(response, 422)) == [field]
        assert await count(db_session, HabitBreak) == 0
