"""The domain event log (`events`): written with the change that caused it (ARCHITECTURE,
DOMAIN.md D7.4, note N9)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from habitus.models import Event
from tests.habits.helpers import (
    API,
    check_in,
    checked_in,
    count,
    create_habit,
    delete_entry,
    entry_put,
    events_of,
    patch_habit,
    problem,
    put_entry,
)


async def test_every_change_records_its_events(client, alice, db_session):
    """ARCHITECTURE events: each change records rows with user, habit, local date, payload."""
    habit = await create_habit(client, alice, name="Read", start_date="2026-11-19")
    habit_id = uuid.UUID(habit["id"])
    await patch_habit(client, alice, habit["id"], name="Read more")
    await patch_habit(client, alice, habit["id"], schedule={"type": "weekdays", "days": ["sat"]})
    await checked_in(client, alice, habit["id"])
    await entry_put(client, alice, habit["id"], "2026-11-20", status="skipped")
    await delete_entry(client, alice, habit["id"], "2026-11-21")
    pause = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-28", "end_date": "2026-11-29", "habit_id": habit["id"]},
        headers=alice.headers,
    )
    await client.delete(f"{API}/breaks/{pause.json()['id']}", headers=alice.headers)
    await patch_habit(client, alice, habit["id"], archived=True)
    await patch_habit(client, alice, habit["id"], archived=False)
    await client.delete(f"{API}/habits/{habit['id']}", headers=alice.headers)

    events = await events_of(db_session, alice.id)
    assert [event.kind for event in events] == [
        "habit_created",
        "habit_updated",
        "schedule_changed",
        "habit_logged",
        "day_completed",
        "streak_extended",
        "coins_awarded",  # D11.1
        "achievement_unlocked",  # D10.1 first_checkin
        "habit_logged",
        "entry_removed",
        "break_created",
        "break_deleted",
        "habit_archived",
        "habit_unarchived",
        "habit_deleted",
    ]
    assert all(event.user_id == alice.id for event in events)
    assert all(event.habit_id == habit_id for event in events)
    assert all(event.local_date is not None for event in events)
    by_kind = {event.kind: event for event in events}
    assert by_kind["habit_created"].payload == {"name": "Read"}
    assert by_kind["habit_created"].local_date == date(2026, 11, 21)
    assert by_kind["habit_updated"].payload == {"changed": ["name"]}
    assert by_kind["schedule_changed"].payload == {
        "schedule": {"type": "weekdays", "days": ["sat"]}
    }
    assert by_kind["schedule_changed"].local_date == date(2026, 11, 21)  # takes effect today
    logged = [event for event in events if event.kind == "habit_logged"]
    assert logged[0].payload["status"] == "done"
    assert logged[0].payload["source"] == "api"
    assert logged[1].payload["status"] == "skipped"
    assert logged[1].local_date == date(2026, 11, 20)
    assert by_kind["day_completed"].local_date == date(2026, 11, 21)
    assert by_kind["streak_extended"].payload == {"current": 1, "previous": 0, "unit": "day"}
    assert by_kind["entry_removed"].payload == {"status": "done", "value": None}
    assert by_kind["entry_removed"].local_date == date(2026, 11, 21)
    assert by_kind["break_created"].local_date == date(2026, 11, 28)
    assert by_kind["break_created"].payload["end_date"] == "2026-11-29"
    assert by_kind["break_created"].payload["break_id"] == pause.json()["id"]
    assert by_kind["break_deleted"].payload == {"break_id": pause.json()["id"]}
    assert by_kind["habit_deleted"].payload == {"name": "Read more"}


async def test_event_ids_strictly_increase(client, alice, bob, db_session):
    """ARCHITECTURE events: ids grow in the order changes commit, across users."""
    mine = await create_habit(client, alice)
    theirs = await create_habit(client, bob)
    await checked_in(client, alice, mine["id"])
    await checked_in(client, bob, theirs["id"])
    await patch_habit(client, alice, mine["id"], name="Again")
    rows = list(await db_session.scalars(select(Event).order_by(Event.id)))
    await db_session.commit()
    assert len({row.id for row in rows}) == len(rows)
    # In id order, request by request: every event of a request comes after the previous
    # request's (tests/habits/test_concurrency.py holds a commit back to check the same
    # under concurrency on PostgreSQL).
    kinds = [(row.user_id, row.kind) for row in rows]
    assert kinds == [
        (alice.id, "habit_created"),
        (bob.id, "habit_created"),
        (alice.id, "habit_logged"),
        (alice.id, "day_completed"),
        (alice.id, "streak_extended"),
        (alice.id, "coins_awarded"),  # D11.1
        (alice.id, "achievement_unlocked"),  # D10.1 first_checkin
        (bob.id, "habit_logged"),
        (bob.id, "day_completed"),
        (bob.id, "streak_extended"),
        (bob.id, "coins_awarded"),
        (bob.id, "achievement_unlocked"),
        (alice.id, "habit_updated"),
    ]


async def test_a_break_for_all_habits_has_no_habit(client, alice, db_session):
    """ARCHITECTURE events: a break for all habits is recorded without a habit."""
    await create_habit(client, alice)
    await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-22", "end_date": "2026-11-23"},
        headers=alice.headers,
    )
    events = await events_of(db_session, alice.id)
    assert events[-1].kind == "break_created"
    assert events[-1].habit_id is None


async def test_failed_requests_record_nothing(client, alice, db_session):
    """ARCHITECTURE one transaction per request: a 4xx writes no event and no row."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 2})
    before = await count(db_session, Event)
    failures = [
        await create_habit_raw(client, alice, {"name": "x", "schedule": {"type": "weekly"}}),
        await create_habit_raw(
            client, alice, {"name": "x", "schedule": {"type": "daily"}, "kind": "measurable"}
        ),
        await patch_habit(client, alice, habit["id"], polarity="quit"),
        await patch_habit(client, alice, habit["id"], name="ok", end_date="2020-01-01"),
        await check_in(client, alice, habit["id"], date="2026-11-01"),
        await check_in(client, alice, habit["id"], date="2026-11-22"),
        await put_entry(client, alice, habit["id"], "2026-11-21", status="done"),  # no value
        await client.post(
            f"{API}/breaks",
            json={"start_date": "2026-01-01", "end_date": "2026-01-02"},
            headers=alice.headers,
        ),
    ]
    for response in failures:
        problem(response, 422)
    assert await count(db_session, Event) == before
    # The name in the refused PATCH did not stick either.
    listed = await client.get(f"{API}/habits/{habit['id']}", headers=alice.headers)
    assert listed.json()["name"] == "Read"


async def test_archived_conflict_records_nothing(client, alice, db_session):
    """ARCHITECTURE one transaction per request: a 409 writes no event."""
    habit = await create_habit(client, alice)
    await patch_habit(client, alice, habit["id"], archived=True)
    before = await count(db_session, Event)
    problem(await check_in(client, alice, habit["id"]), 409)
    assert await count(db_session, Event) == before


async def test_a_no_op_patch_records_nothing(client, alice, db_session):
    """ARCHITECTURE events: a PATCH that changes nothing is no habit_updated."""
    habit = await create_habit(client, alice, name="Same")
    before = await count(db_session, Event)
    response = await patch_habit(client, alice, habit["id"], name="Same", archived=False)
    assert response.status_code == 200
    assert await count(db_session, Event) == before


async def create_habit_raw(client, persona, body):
    return await client.post(f"{API}/habits", json=body, headers=persona.headers)
