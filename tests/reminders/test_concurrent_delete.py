"""Issue 11 item 14: `PATCH /reminders/{id}` answered 500 (IndexError in
`core.reminders.required_day_predicate`) when the reminder's habit was deleted by another
request between the reminder's reads, a race the fuzzer hit on PostgreSQL (read
committed: each statement sees what has committed by then)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from habitus.core.habits import HabitRules
from habitus.models import HabitSchedule
from habitus.reminders import service as reminders_service
from tests.fixtures.database import backend
from tests.habits.helpers import API, create_habit


async def _reminder(client, persona, habit_id: str) -> dict[str, Any]:
    response = await client.post(
        f"{API}/habits/{habit_id}/reminders", json={"time": "08:00"}, headers=persona.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _lock_waiters(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(waiting or 0)


@pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL's read committed")
async def test_a_habit_deleted_mid_patch_waits_for_the_patch(client, alice, engine, monkeypatch):
    """Issue 11 item 14 (D9.1): the habit is deleted, by another request, right after the
    PATCH has read it. The delete waits for the PATCH (the habit is share-locked) instead
    of taking the habit's schedule versions away under it; both then succeed."""
    habit = await create_habit(client, alice)
    reminder = await _reminder(client, alice, habit["id"])
    original = reminders_service.contexts_by_habit
    deletions: list[asyncio.Task[Any]] = []

    async def delete_in_between(session, user, habits):
        # The PATCH has read the habit; now someone else deletes it.
        deleting = asyncio.create_task(
            client.delete(f"{API}/habits/{habit['id']}", headers=alice.headers)
        )
        deletions.append(deleting)
        for _ in range(200):  # until the delete has committed, or waits for a lock
            if deleting.done() or await _lock_waiters(engine):
                break
            await asyncio.sleep(0.01)
        return await original(session, user, habits)

    monkeypatch.setattr(reminders_service, "contexts_by_habit", delete_in_between)
    patched = await client.patch(
        f"{API}/reminders/{reminder['id']}", json={}, headers=alice.headers
    )
    assert patched.status_code == 200, patched.text
    assert (await deletions[0]).status_code == 204
    gone = await client.get(f"{API}/reminders/{reminder['id']}", headers=alice.headers)
    assert gone.status_code in (404, 405)


async def test_a_habit_whose_versions_vanished_reads_as_deleted(
    client, alice, db_session, monkeypatch
):
    """Issue 11 item 14: what a read sees when the delete commits between its queries
    (the habit row read, its versions gone): 404, never a 500."""
    habit = await create_habit(client, alice)
    await db_session.execute(
        delete(HabitSchedule).where(HabitSchedule.habit_id == uuid.UUID(habit["id"]))
    )
    await db_session.commit()
    for path in (f"/habits/{habit['id']}/stats", f"/habits/{habit['id']}/days"):
        response = await client.get(API + path, headers=alice.headers)
        assert response.status_code == 404, (path, response.text)
    today = await client.get(f"{API}/today", headers=alice.headers)
    assert today.status_code == 200
    assert today.json()["items"] == []


def test_rules_without_a_schedule_version_are_refused():
    """Issue 11 item 14: core never indexes an empty list of versions (D3)."""
    from datetime import date

    with pytest.raises(ValueError, match="at least one schedule version"):
        HabitRules("boolean", "build", None, "at_least", date(2026, 1, 1), None, ())


@pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL's read committed")
async def test_a_reminder_deleted_mid_patch_waits_for_the_patch(client, alice, engine, monkeypatch):
    """Issue 11 item 14, found again by the fuzzer with two workers (seed 1): the reminder
    itself deleted by another request while a PATCH of it runs. The delete waits for the
    PATCH (the row is held for the write) instead of leaving it an UPDATE of nothing (a
    500); then the delete goes through."""
    habit = await create_habit(client, alice)
    reminder = await _reminder(client, alice, habit["id"])
    original = reminders_service._check_channel_ids
    deletions: list[asyncio.Task[Any]] = []

    async def delete_in_between(session, user, channel_ids):
        deleting = asyncio.create_task(
            client.delete(f"{API}/reminders/{reminder['id']}", headers=alice.headers)
        )
        deletions.append(deleting)
        for _ in range(200):  # until the delete has committed, or waits for a lock
            if deleting.done() or await _lock_waiters(engine):
                break
            await asyncio.sleep(0.01)
        return await original(session, user, channel_ids)

    monkeypatch.setattr(reminders_service, "_check_channel_ids", delete_in_between)
    patched = await client.patch(
        f"{API}/reminders/{reminder['id']}",
        json={"time": "09:15", "channel_ids": []},
        headers=alice.headers,
    )
    assert patched.status_code == 200, patched.text
    assert (await deletions[0]).status_code == 204
