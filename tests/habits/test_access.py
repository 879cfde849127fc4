"""Charlie cannot see or touch Alice's habits (API.md Conventions: another user's
resource is 404, never 403; ARCHITECTURE "Access control in the query")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from habitus.models import Entry, Event, Habit, HabitBreak, HabitSchedule, HabitStateRow
from tests.habits.helpers import API, create_habit, entry_put, problem, table_counts


async def _alice_world(client, alice) -> dict[str, Any]:
    habit = await create_habit(
        client,
        alice,
        name="Alice's secret habit",
        kind="measurable",
        target={"value": 3},
        start_date="2026-11-10",
    )
    await entry_put(client, alice, habit["id"], "2026-11-20", status="done", value=4, note="mine")
    pause = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-25", "end_date": "2026-11-26", "habit_id": habit["id"]},
        headers=alice.headers,
    )
    everyone = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-12-01", "end_date": "2026-12-02"},
        headers=alice.headers,
    )
    return {"habit": habit, "break": pause.json()["id"], "all_break": everyone.json()["id"]}


async def _alice_rows(session) -> list[Any]:
    """Everything of Alice's the habit engine keeps, as comparable tuples."""
    rows: list[Any] = []
    for model in (Habit, HabitSchedule, Entry, HabitBreak, HabitStateRow):
        for row in await session.scalars(select(model)):
            rows.append(
                tuple(
                    (column.key, getattr(row, column.key))
                    for column in model.__table__.columns  # type: ignore[attr-defined]
                )
            )
    await session.commit()
    return sorted(rows, key=repr)


async def test_charlie_gets_404_on_every_route_and_changes_nothing(
    client, alice, charlie, db_session
):
    """API.md Conventions: every route on another user's habit or break is 404, not 403."""
    world = await _alice_world(client, alice)
    habit_id = world["habit"]["id"]
    before_rows = await _alice_rows(db_session)
    before_counts = await table_counts(db_session)
    attempts = [
        ("GET", f"/habits/{habit_id}", None),
        ("PATCH", f"/habits/{habit_id}", {"name": "Pwned"}),
        ("PATCH", f"/habits/{habit_id}", {"archived": True}),
        ("DELETE", f"/habits/{habit_id}", None),
        ("PUT", f"/habits/{habit_id}/entries/2026-11-21", {"status": "done", "value": 1}),
        ("PUT", f"/habits/{habit_id}/entries/2026-11-20", {"status": "failed"}),
        ("DELETE", f"/habits/{habit_id}/entries/2026-11-20", None),
        ("GET", f"/habits/{habit_id}/entries", None),
        ("GET", f"/habits/{habit_id}/stats", None),
        ("GET", f"/habits/{habit_id}/days", None),
        ("DELETE", f"/breaks/{world['break']}", None),
        ("DELETE", f"/breaks/{world['all_break']}", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, f"{API}{path}", json=body, headers=charlie.headers)
        answer = problem(response, 404)
        assert "Alice" not in response.text, (method, path)
        assert answer["status"] == 404
    checkin = await client.post(
        f"{API}/habits/{habit_id}/checkins",
        json={"value": 1},
        headers={**charlie.headers, "Idempotency-Key": "charlie-1"},
    )
    problem(checkin, 404)

    # Nothing of Alice's is listed for Charlie.
    assert (await client.get(f"{API}/habits", headers=charlie.headers)).json()["items"] == []
    archived = await client.get(f"{API}/habits?archived=true", headers=charlie.headers)
    assert archived.json()["items"] == []
    assert (await client.get(f"{API}/today", headers=charlie.headers)).json()["items"] == []
    assert (await client.get(f"{API}/breaks", headers=charlie.headers)).json()["items"] == []

    # Nothing of Alice's changed, and no event was written for anyone.
    assert await _alice_rows(db_session) == before_rows
    assert await table_counts(db_session) == before_counts
    events = list(await db_session.scalars(select(Event).where(Event.user_id == charlie.id)))
    await db_session.commit()
    assert events == []
    # Alice still sees it all.
    mine = await client.get(f"{API}/habits/{habit_id}", headers=alice.headers)
    assert mine.json()["name"] == "Alice's secret habit"
    entries = await client.get(f"{API}/habits/{habit_id}/entries", headers=alice.headers)
    assert [(e["date"], e["value"]) for e in entries.json()["items"]] == [("2026-11-20", 4.0)]


async def test_another_users_habit_looks_like_a_missing_one(client, alice, charlie):
    """API.md Conventions: no existence oracle; alice's id and a random id answer alike."""
    world = await _alice_world(client, alice)
    theirs = await client.get(f"{API}/habits/{world['habit']['id']}", headers=charlie.headers)
    missing = await client.get(
        f"{API}/habits/00000000-0000-4000-8000-000000000000", headers=charlie.headers
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
