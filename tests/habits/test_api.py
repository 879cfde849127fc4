"""Habits CRUD through /api/v1/habits (API.md "Habits", DOMAIN.md D2, D3, notes N5, N6)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from habitus.models import Entry, Event, Habit, HabitBreak, HabitSchedule, HabitStateRow
from tests.habits.helpers import (
    API,
    TODAY,
    checked_in,
    count,
    create_habit,
    days_of,
    entry_put,
    error_fields,
    get_habit,
    patch_habit,
    problem,
    put_entry,
    travel,
)


async def test_create_boolean_daily_habit_answers_the_whole_object(client, alice, db_session):
    """API.md Habits: POST /habits answers 201 with the habit object and its defaults."""
    response = await client.post(
        f"{API}/habits",
        json={"name": "  Read 20 pages ", "schedule": {"type": "daily"}},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    habit = response.json()
    assert habit["name"] == "Read 20 pages"
    assert habit["description"] is None
    assert habit["kind"] == "boolean"
    assert habit["polarity"] == "build"
    assert habit["target"] is None
    assert habit["schedule"] == {"type": "daily"}
    assert habit["schedule_text"] == "Every day"
    assert habit["start_date"] == TODAY.isoformat()  # D2.3: today at creation
    assert habit["end_date"] is None
    assert habit["backfill_days"] == 2  # D4.3 default
    assert habit["category"] is None
    assert habit["tags"] == []
    assert habit["color"] is None
    assert habit["archived"] is False
    assert habit["created_at"] == "2026-11-21T12:00:00Z"
    assert habit["today"] == {
        "date": "2026-11-21",
        "required": True,
        "status": "pending",
        "value": None,
        "progress": None,
        "needed": None,
    }
    assert habit["streak"]["current"] == 0
    assert habit["streak"]["longest"] == 0
    assert habit["streak"]["unit"] == "day"
    uuid.UUID(habit["id"])
    row = await db_session.scalar(select(Habit).where(Habit.id == uuid.UUID(habit["id"])))
    assert row is not None
    assert row.user_id == alice.id
    assert await count(db_session, HabitSchedule, HabitSchedule.habit_id == row.id) == 1
    assert await get_habit(client, alice, habit["id"]) == habit


async def test_create_measurable_habits_with_targets(client, alice):
    """D2.1: a measurable habit has a target value, a unit and a direction."""
    water = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses", "direction": "at_least"},
    )
    assert water["kind"] == "measurable"
    assert water["target"] == {"value": 8.0, "unit": "glasses", "direction": "at_least"}
    assert water["today"]["status"] == "pending"
    coffee = await create_habit(
        client,
        alice,
        name="Coffee",
        kind="measurable",
        target={"value": 2, "unit": "cups", "direction": "at_most"},
    )
    assert coffee["target"] == {"value": 2.0, "unit": "cups", "direction": "at_most"}
    # D2.2 / N1: an at-most day is pending until it ends.
    assert coffee["today"]["status"] == "pending"
    default_direction = await create_habit(
        client, alice, name="Steps", kind="measurable", target={"value": 10000}
    )
    assert default_direction["target"] == {"value": 10000.0, "unit": None, "direction": "at_least"}


async def test_create_quit_habit(client, alice):
    """D2.2: a quit habit records slips; today is pending until it ends."""
    habit = await create_habit(client, alice, name="No smoking", polarity="quit")
    assert habit["polarity"] == "quit"
    assert habit["today"]["status"] == "pending"
    measurable = await create_habit(
        client,
        alice,
        name="Sweets",
        polarity="quit",
        kind="measurable",
        target={"value": 1, "unit": "pieces", "direction": "at_most"},
    )
    assert measurable["polarity"] == "quit"
    assert measurable["target"]["direction"] == "at_most"


@pytest.mark.parametrize(
    ("schedule", "stored", "text"),
    [
        ({"type": "daily"}, {"type": "daily"}, "Every day"),
        (
            {"type": "weekdays", "days": ["wed", "mon"]},
            {"type": "weekdays", "days": ["mon", "wed"]},
            "Mon and Wed",
        ),
        (
            {"type": "weekdays", "days": ["fri", "thu", "wed", "tue", "mon"]},
            {"type": "weekdays", "days": ["mon", "tue", "wed", "thu", "fri"]},
            "Weekdays",
        ),
        (
            {"type": "weekdays", "days": ["sat"]},
            {"type": "weekdays", "days": ["sat"]},
            "Every Saturday",
        ),
        ({"type": "every_n_days", "n": 2}, {"type": "every_n_days", "n": 2}, "Every other day"),
        ({"type": "every_n_days", "n": 3}, {"type": "every_n_days", "n": 3}, "Every 3 days"),
        (
            {"type": "times_per_period", "times": 3, "period": "week"},
            {"type": "times_per_period", "times": 3, "period": "week"},
            "3 times a week",
        ),
        (
            {"type": "times_per_period", "times": 1, "period": "month"},
            {"type": "times_per_period", "times": 1, "period": "month"},
            "Once a month",
        ),
        (
            {"type": "dates", "dates": ["2026-12-24"]},
            {"type": "dates", "dates": ["2026-12-24"]},
            "On 2026-12-24",
        ),
        (
            {"type": "dates", "dates": ["2026-12-31", "2026-12-24"]},
            {"type": "dates", "dates": ["2026-12-24", "2026-12-31"]},
            "On 2 dates",
        ),
    ],
)
async def test_every_schedule_type_round_trips_with_plain_words(
    client, alice, schedule, stored, text
):
    """D3: every schedule type is accepted, answered as `schedule` and in plain words."""
    habit = await create_habit(client, alice, schedule=schedule)
    assert habit["schedule"] == stored
    assert habit["schedule_text"] == text
    listed = await client.get(f"{API}/habits", headers=alice.headers)
    assert [item["schedule"] for item in listed.json()["items"]] == [stored]


@pytest.mark.parametrize(
    ("schedule", "required", "status"),
    [
        ({"type": "daily"}, True, "pending"),
        ({"type": "weekdays", "days": ["sat", "sun"]}, True, "pending"),  # today is a Saturday
        ({"type": "weekdays", "days": ["mon"]}, False, "not_required"),
        ({"type": "every_n_days", "n": 3}, True, "pending"),  # counts from its start (today)
        ({"type": "dates", "dates": ["2026-11-21"]}, True, "pending"),
        ({"type": "dates", "dates": ["2026-12-24"]}, False, "not_required"),
    ],
)
async def test_today_of_a_new_habit_follows_its_schedule(client, alice, schedule, required, status):
    """D3 / D5: today is required (pending) exactly when the schedule says so."""
    habit = await create_habit(client, alice, schedule=schedule)
    assert habit["today"]["required"] is required
    assert habit["today"]["status"] == status


async def test_periodic_habit_exposes_progress_and_needed(client, alice, frozen_clock):
    """D6 / N3: a times-per-period habit shows today.progress and today.needed, unit week."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 16, 9, 0, tzinfo=UTC))  # Monday
    habit = await create_habit(
        client, alice, schedule={"type": "times_per_period", "times": 3, "period": "week"}
    )
    assert habit["today"]["progress"] == 0
    assert habit["today"]["needed"] == 3
    assert habit["today"]["status"] == "pending"
    assert habit["streak"]["unit"] == "week"
    answer = await checked_in(client, alice, habit["id"])
    assert answer["streak"]["unit"] == "week"
    habit = await get_habit(client, alice, habit["id"])
    assert (habit["today"]["progress"], habit["today"]["needed"]) == (1, 3)
    assert habit["today"]["status"] == "pending"


async def test_periodic_target_shrinks_for_a_week_cut_by_the_start(client, alice):
    """D6.1 / N4: a week cut by the start date needs ceil(times * available / 7) days."""
    # Today is Saturday: Saturday and Sunday are left of this week; ceil(3 * 2 / 7) = 1.
    habit = await create_habit(
        client, alice, schedule={"type": "times_per_period", "times": 3, "period": "week"}
    )
    assert (habit["today"]["progress"], habit["today"]["needed"]) == (0, 1)
    answer = await checked_in(client, alice, habit["id"])
    assert [event["kind"] for event in answer["events"]] == [
        "habit_logged",
        "day_completed",
        "streak_extended",
        # D11.1 and D10.1: the week's unit done pays a coin; the first one ever, an award.
        "coins_awarded",
        "achievement_unlocked",
    ]
    habit = await get_habit(client, alice, habit["id"])
    assert habit["today"]["status"] == "done"
    assert (habit["today"]["progress"], habit["today"]["needed"]) == (1, 1)
    assert habit["streak"]["current"] == 1
    # The unit is the calendar week (D7.1), reported by its first and last dates.
    assert habit["streak"]["current_start"] == "2026-11-16"
    assert habit["streak"]["current_end"] == "2026-11-22"


async def test_optional_fields_are_kept(client, alice):
    """API.md Habits: description, dates, category, tags, color and backfill_days are kept."""
    habit = await create_habit(
        client,
        alice,
        name="Run",
        description="Around the park",
        start_date="2026-11-01",
        end_date="2026-12-31",
        category="Health",
        tags=["outdoor", "cardio"],
        color="#1A2b3C",
        backfill_days=7,
    )
    assert habit["description"] == "Around the park"
    assert habit["start_date"] == "2026-11-01"
    assert habit["end_date"] == "2026-12-31"
    assert habit["category"] == "Health"
    assert habit["tags"] == ["outdoor", "cardio"]
    assert habit["color"] == "#1A2b3C"
    assert habit["backfill_days"] == 7
    assert await get_habit(client, alice, habit["id"]) == habit


async def test_a_habit_starting_later_is_not_required_yet(client, alice):
    """D2.3: days before start_date are never required."""
    habit = await create_habit(client, alice, start_date="2026-11-25")
    assert habit["today"]["status"] == "not_required"
    assert habit["today"]["required"] is False
    days = await days_of(client, alice, habit["id"], "2026-11-20", "2026-11-26")
    assert days["2026-11-21"]["outcome"] == "not_required"
    assert days["2026-11-25"]["outcome"] == "future"


async def test_a_habit_that_ended_is_not_required(client, alice):
    """D2.3: days after end_date (inclusive range) are never required."""
    habit = await create_habit(client, alice, start_date="2026-11-01", end_date="2026-11-20")
    assert habit["today"]["status"] == "not_required"
    days = await days_of(client, alice, habit["id"], "2026-11-19", "2026-11-21")
    assert days["2026-11-20"]["outcome"] == "missed"
    assert days["2026-11-21"]["outcome"] == "not_required"


async def test_backfill_days_null_means_unlimited(client, alice):
    """D4.3: backfill_days null lets any past day since the start be changed."""
    habit = await create_habit(client, alice, start_date="2025-01-01", backfill_days=None)
    assert habit["backfill_days"] is None
    entry = await entry_put(client, alice, habit["id"], "2025-01-01", status="done")
    assert entry["date"] == "2025-01-01"


async def test_patch_changes_fields(client, alice):
    """API.md Habits: PATCH changes any field it is sent and leaves the others alone."""
    habit = await create_habit(client, alice, category="Mind", tags=["a"], color="#000000")
    response = await patch_habit(
        client,
        alice,
        habit["id"],
        name="Read 30 pages",
        description="Fiction too",
        backfill_days=None,
        tags=["books", "evening"],
        color="#ff0000",
        end_date="2027-01-31",
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "Read 30 pages"
    assert changed["description"] == "Fiction too"
    assert changed["backfill_days"] is None
    assert changed["tags"] == ["books", "evening"]
    assert changed["color"] == "#ff0000"
    assert changed["end_date"] == "2027-01-31"
    assert changed["category"] == "Mind"  # not sent, kept
    cleared = (
        await patch_habit(
            client, alice, habit["id"], category=None, tags=None, color=None, end_date=None
        )
    ).json()
    assert (cleared["category"], cleared["tags"], cleared["color"]) == (None, [], None)
    assert cleared["end_date"] is None
    assert await get_habit(client, alice, habit["id"]) == cleared


async def test_patch_end_before_start_is_refused(client, alice):
    """D2.3: end_date must not be before start_date (422 naming end_date)."""
    habit = await create_habit(client, alice, start_date="2026-11-10")
    body = problem(await patch_habit(client, alice, habit["id"], end_date="2026-11-09"), 422)
    assert error_fields(body) == ["end_date"]
    assert (await get_habit(client, alice, habit["id"]))["end_date"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "measurable"), ("polarity", "quit")],
)
async def test_kind_and_polarity_are_immutable(client, alice, db_session, field, value):
    """N6: kind and polarity cannot change once a habit exists (422 naming the field)."""
    habit = await create_habit(client, alice)
    extra: dict[str, Any] = {"target": {"value": 2}} if field == "kind" else {}
    body = problem(await patch_habit(client, alice, habit["id"], **{field: value}, **extra), 422)
    assert field in error_fields(body)
    assert (await get_habit(client, alice, habit["id"]))[field] == habit[field]
    # Sending the value it already has is no change and is fine.
    same = await patch_habit(client, alice, habit["id"], **{field: habit[field]})
    assert same.status_code == 200, same.text


async def test_changing_the_target_re_evaluates_history(client, alice):
    """N6: a new target re-judges every past day (here: misses become done)."""
    habit = await create_habit(
        client,
        alice,
        kind="measurable",
        target={"value": 5, "unit": "km"},
        start_date="2026-11-19",
    )
    for day in ("2026-11-19", "2026-11-20"):
        await entry_put(client, alice, habit["id"], day, status="done", value=3)
    before = await get_habit(client, alice, habit["id"])
    assert before["streak"]["current"] == 0
    response = await patch_habit(client, alice, habit["id"], target={"value": 3, "unit": "km"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["target"]["value"] == 3.0
    assert after["streak"]["current"] == 2
    days = await days_of(client, alice, habit["id"], "2026-11-19", "2026-11-20")
    assert [day["outcome"] for day in days.values()] == ["done", "done"]


async def test_archive_and_unarchive(client, alice):
    """D2.4: archived habits leave the list and today; archived=true lists them; PATCH restores."""
    kept = await create_habit(client, alice, name="Kept")
    shelved = await create_habit(client, alice, name="Shelved")
    response = await patch_habit(client, alice, shelved["id"], archived=True)
    assert response.status_code == 200, response.text
    assert response.json()["archived"] is True

    active = (await client.get(f"{API}/habits", headers=alice.headers)).json()
    assert [item["id"] for item in active["items"]] == [kept["id"]]
    archived = (
        await client.get(f"{API}/habits", params={"archived": "true"}, headers=alice.headers)
    ).json()
    assert [item["id"] for item in archived["items"]] == [shelved["id"]]
    today = (await client.get(f"{API}/today", headers=alice.headers)).json()
    assert [item["habit"]["id"] for item in today["items"]] == [kept["id"]]
    # Still readable by id, with its history.
    assert (await get_habit(client, alice, shelved["id"]))["archived"] is True

    restored = await patch_habit(client, alice, shelved["id"], archived=False)
    assert restored.json()["archived"] is False
    active = (await client.get(f"{API}/habits", headers=alice.headers)).json()
    assert [item["id"] for item in active["items"]] == [kept["id"], shelved["id"]]


async def test_delete_removes_the_habit_and_everything_of_it(client, alice, db_session):
    """D2.4: deleting a habit deletes its entries, schedule versions, breaks and state."""
    habit = await create_habit(client, alice, start_date="2026-11-10", backfill_days=None)
    other = await create_habit(client, alice, name="Other", start_date="2026-11-10")
    for day in ("2026-11-15", "2026-11-20", "2026-11-21"):
        await entry_put(client, alice, habit["id"], day, status="done")
    await entry_put(client, alice, other["id"], "2026-11-21", status="done")
    assert (
        await patch_habit(
            client, alice, habit["id"], schedule={"type": "weekdays", "days": ["mon"]}
        )
    ).status_code == 200
    own_break = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-25", "end_date": "2026-11-27", "habit_id": habit["id"]},
        headers=alice.headers,
    )
    assert own_break.status_code == 201, own_break.text
    shared_break = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-12-01", "end_date": "2026-12-02"},
        headers=alice.headers,
    )
    assert shared_break.status_code == 201
    habit_id = uuid.UUID(habit["id"])
    assert await count(db_session, HabitSchedule, HabitSchedule.habit_id == habit_id) == 2
    assert await count(db_session, HabitStateRow, HabitStateRow.habit_id == habit_id) == 1

    response = await client.delete(f"{API}/habits/{habit['id']}", headers=alice.headers)
    assert response.status_code == 204
    assert response.content == b""

    assert await count(db_session, Habit, Habit.id == habit_id) == 0
    assert await count(db_session, Entry, Entry.habit_id == habit_id) == 0
    assert await count(db_session, HabitSchedule, HabitSchedule.habit_id == habit_id) == 0
    assert await count(db_session, HabitBreak, HabitBreak.habit_id == habit_id) == 0
    assert await count(db_session, HabitStateRow, HabitStateRow.habit_id == habit_id) == 0
    # The other habit and the break for all habits are untouched.
    other_id = uuid.UUID(other["id"])
    assert await count(db_session, Entry, Entry.habit_id == other_id) == 1
    assert await count(db_session, HabitBreak, HabitBreak.habit_id.is_(None)) == 1
    # The event log keeps the deletion itself.
    assert (
        await count(db_session, Event, Event.habit_id == habit_id, Event.kind == "habit_deleted")
        == 1
    )

    assert problem(await client.get(f"{API}/habits/{habit['id']}", headers=alice.headers), 404)
    again = await client.delete(f"{API}/habits/{habit['id']}", headers=alice.headers)
    problem(again, 404)


async def test_list_is_paginated_in_creation_order(client, alice):
    """API.md Conventions: GET /habits pages with limit and an opaque cursor."""
    created = [(await create_habit(client, alice, name=f"Habit {n}"))["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"{API}/habits", params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert pages == 3
    everything = (await client.get(f"{API}/habits", headers=alice.headers)).json()
    assert [item["id"] for item in everything["items"]] == created
    assert everything["next_cursor"] is None


async def test_archived_list_is_paginated(client, alice):
    """API.md Habits: archived=true pages through archived habits only."""
    ids = []
    for n in range(3):
        habit = await create_habit(client, alice, name=f"Old {n}")
        await patch_habit(client, alice, habit["id"], archived=True)
        ids.append(habit["id"])
    await create_habit(client, alice, name="Current")
    first = (
        await client.get(
            f"{API}/habits", params={"archived": "true", "limit": 2}, headers=alice.headers
        )
    ).json()
    second = (
        await client.get(
            f"{API}/habits",
            params={"archived": "true", "limit": 2, "cursor": first["next_cursor"]},
            headers=alice.headers,
        )
    ).json()
    assert [item["id"] for item in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert all(item["archived"] for item in first["items"] + second["items"])


async def test_a_forged_cursor_is_422(client, alice):
    """API.md Conventions: a cursor the server did not issue is bad input, not a 500."""
    for cursor in ("not-a-cursor", "WzEsMl0", "WyJ4IiwieSJd"):
        response = await client.get(
            f"{API}/habits", params={"cursor": cursor}, headers=alice.headers
        )
        assert error_fields(problem(response, 422)) == ["cursor"]


# --- N5: a new schedule keeps the past -----------------------------------------------------


async def test_editing_a_schedule_keeps_the_past(client, alice, frozen_clock, db_session):
    """N5: each day is judged by the schedule version in effect on it."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 16, 8, 0, tzinfo=UTC))  # Mon
    habit = await create_habit(client, alice)
    for day in (16, 17, 19):  # Wednesday the 18th is missed
        await travel(frozen_clock, client, alice, datetime(2026, 11, day, 8, 0, tzinfo=UTC))
        await checked_in(client, alice, habit["id"])
    await travel(frozen_clock, client, alice, datetime(2026, 11, 20, 8, 0, tzinfo=UTC))  # Fri
    response = await patch_habit(
        client, alice, habit["id"], schedule={"type": "weekdays", "days": ["mon"]}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["schedule"] == {"type": "weekdays", "days": ["mon"]}
    assert changed["schedule_text"] == "Every Monday"
    assert changed["today"]["status"] == "not_required"  # Friday under the new version

    days = await days_of(client, alice, habit["id"], "2026-11-16", "2026-11-21")
    # Judged by the old (daily) version: Tuesday and Thursday stay done, Wednesday missed.
    assert {day: item["outcome"] for day, item in days.items()} == {
        "2026-11-16": "done",
        "2026-11-17": "done",
        "2026-11-18": "missed",
        "2026-11-19": "done",
        "2026-11-20": "not_required",
        "2026-11-21": "future",
    }
    assert changed["streak"]["current"] == 1
    assert changed["streak"]["longest"] == 2
    assert (changed["streak"]["longest_start"], changed["streak"]["longest_end"]) == (
        "2026-11-16",
        "2026-11-17",
    )
    versions = list(
        await db_session.scalars(
            select(HabitSchedule)
            .where(HabitSchedule.habit_id == uuid.UUID(habit["id"]))
            .order_by(HabitSchedule.effective_from)
        )
    )
    await db_session.commit()
    assert [(v.effective_from.isoformat(), v.schedule) for v in versions] == [
        ("2026-11-16", {"type": "daily"}),
        ("2026-11-20", {"type": "weekdays", "days": ["mon"]}),
    ]

    # Days go on under the new version: the next Monday is required, the weekend is not.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    monday = await get_habit(client, alice, habit["id"])
    assert monday["today"]["status"] == "pending"
    days = await days_of(client, alice, habit["id"], "2026-11-16", "2026-11-23")
    assert days["2026-11-18"]["outcome"] == "missed"
    assert days["2026-11-21"]["outcome"] == "not_required"
    assert days["2026-11-22"]["outcome"] == "not_required"
    assert monday["streak"]["current"] == 1  # the weekend is transparent


async def test_schedule_change_on_the_first_day_replaces_the_version(client, alice, db_session):
    """N5: a new schedule takes effect today; a version starting today is replaced."""
    habit = await create_habit(client, alice)
    response = await patch_habit(
        client, alice, habit["id"], schedule={"type": "every_n_days", "n": 3}
    )
    assert response.status_code == 200, response.text
    assert response.json()["today"]["required"] is True  # counts from its own first day
    rows = list(
        await db_session.scalars(
            select(HabitSchedule).where(HabitSchedule.habit_id == uuid.UUID(habit["id"]))
        )
    )
    await db_session.commit()
    assert [(row.effective_from, row.schedule) for row in rows] == [
        (TODAY, {"type": "every_n_days", "n": 3})
    ]


async def test_every_n_days_version_counts_from_its_own_first_day(client, alice, frozen_clock):
    """N5: an every_n_days version counts from the day it takes effect."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    habit = await create_habit(client, alice, schedule={"type": "every_n_days", "n": 2})
    # Under the first version (from the 16th) the 17th is not required.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 17, 8, 0, tzinfo=UTC))
    assert (await get_habit(client, alice, habit["id"]))["today"]["required"] is False
    changed = (
        await patch_habit(client, alice, habit["id"], schedule={"type": "every_n_days", "n": 3})
    ).json()
    assert changed["today"]["required"] is True  # the 17th is the new version's first day
    days = await days_of(client, alice, habit["id"], "2026-11-16", "2026-11-23")
    assert days["2026-11-16"]["outcome"] == "missed"
    assert [day for day, item in days.items() if item["outcome"] == "future"] == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
        "2026-11-23",
    ]
    await travel(frozen_clock, client, alice, datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    assert (await get_habit(client, alice, habit["id"]))["today"]["required"] is True
    days = await days_of(client, alice, habit["id"], "2026-11-17", "2026-11-20")
    assert [item["outcome"] for item in days.values()] == [
        "missed",
        "not_required",
        "not_required",
        "pending",
    ]


async def test_unknown_habit_is_404(client, alice):
    """API.md: a habit that does not exist is 404 problem+json."""
    missing = uuid.uuid4()
    for method, path in [
        ("GET", f"/habits/{missing}"),
        ("PATCH", f"/habits/{missing}"),
        ("DELETE", f"/habits/{missing}"),
        ("GET", f"/habits/{missing}/stats"),
        ("GET", f"/habits/{missing}/days"),
        ("GET", f"/habits/{missing}/entries"),
        ("PUT", f"/habits/{missing}/entries/2026-11-21"),
        ("DELETE", f"/habits/{missing}/entries/2026-11-21"),
    ]:
        body: dict[str, Any] | None = (
            {"status": "done"}
            if method == "PUT"
            else ({"name": "x"} if method == "PATCH" else None)
        )
        response = await client.request(method, f"{API}{path}", json=body, headers=alice.headers)
        problem(response, 404)
    response = await client.post(
        f"{API}/habits/{missing}/checkins",
        json={},
        headers={**alice.headers, "Idempotency-Key": "missing"},
    )
    problem(response, 404)


async def test_create_with_idempotency_key_creates_once(client, alice, db_session):
    """API.md Idempotency: POST /habits with a key replays the first answer, one habit."""
    body = {"name": "Stretch", "schedule": {"type": "daily"}}
    headers = {**alice.headers, "Idempotency-Key": "new-habit-1"}
    first = await client.post(f"{API}/habits", json=body, headers=headers)
    second = await client.post(f"{API}/habits", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert await count(db_session, Habit) == 1
    other = await client.post(f"{API}/habits", json={**body, "name": "Other"}, headers=headers)
    assert error_fields(problem(other, 422)) == ["Idempotency-Key"]


async def test_dates_at_the_edges_of_the_accepted_range(client, alice):
    """D2.3 / D3: dates from 1900-01-01 to 2199-12-31 are accepted and evaluated."""
    habit = await create_habit(
        client,
        alice,
        start_date="1900-01-01",
        end_date="2199-12-31",
        backfill_days=None,
        schedule={"type": "dates", "dates": ["1900-01-01", "2026-11-21", "2199-12-31"]},
    )
    assert habit["today"]["status"] == "pending"
    await entry_put(client, alice, habit["id"], "1900-01-01", status="done")
    answer = await checked_in(client, alice, habit["id"])
    assert answer["streak"]["current"] == 2
    for route, params in (
        ("stats", {"from": "1900-01-01", "to": "1900-01-31"}),
        ("days", {"from": "2199-12-01", "to": "2199-12-31"}),
    ):
        response = await client.get(
            f"{API}/habits/{habit['id']}/{route}", params=params, headers=alice.headers
        )
        assert response.status_code == 200, response.text


async def test_unauthenticated_is_401(client):
    """API.md Auth: every habit route needs a signed-in user."""
    for method, path in [("GET", "/habits"), ("POST", "/habits"), ("GET", "/today")]:
        response = await client.request(method, f"{API}{path}")
        problem(response, 401)


async def test_put_entry_on_missing_habit_writes_nothing(client, alice, db_session):
    """D4: an entry needs a habit of the caller; nothing is written otherwise."""
    response = await put_entry(client, alice, str(uuid.uuid4()), "2026-11-21", status="done")
    problem(response, 404)
    assert await count(db_session, Entry) == 0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"type": "times_per_period", "times": 2, "period": "week"}, {"type": "daily"}),
        ({"type": "daily"}, {"type": "times_per_period", "times": 2, "period": "week"}),
        ({"type": "every_n_days", "n": 2}, {"type": "weekdays", "days": ["tue", "sat"]}),
        (
            {"type": "times_per_period", "times": 3, "period": "month"},
            {"type": "times_per_period", "times": 1, "period": "week"},
        ),
    ],
)
async def test_schedule_change_mid_period_agrees_with_a_full_walk(
    client, alice, frozen_clock, old, new
):
    """N4 / N5: after a schedule change the kept state says what a walk of the whole
    history says (a period cut by the change counts only its days)."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    habit = await create_habit(client, alice, schedule=old, backfill_days=None)
    for day in (2, 3, 5, 9, 10, 16, 17, 19):
        await travel(frozen_clock, client, alice, datetime(2026, 11, day, 8, 0, tzinfo=UTC))
        await checked_in(client, alice, habit["id"])
    await travel(frozen_clock, client, alice, datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    changed = (await patch_habit(client, alice, habit["id"], schedule=new)).json()
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    kept = await get_habit(client, alice, habit["id"])
    # Another name for the same zone: every kept state is dropped and walked again.
    await client.patch(f"{API}/me", json={"timezone": "Etc/UTC"}, headers=alice.headers)
    walked = await get_habit(client, alice, habit["id"])
    assert walked["today"] == kept["today"]
    assert walked["streak"] == kept["streak"]
    assert walked["score"] == pytest.approx(kept["score"], abs=1e-9)
    assert changed["schedule"] == walked["schedule"]
    days_kept = await days_of(client, alice, habit["id"], "2026-11-01", "2026-11-21")
    assert days_kept["2026-11-02"]["outcome"] in ("done", "not_required")
