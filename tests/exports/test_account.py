"""GET /me/export (API.md "Auth and account"; issue 5 Export: "complete JSON: every habit,
schedule version, entry, break, reminder and setting, with a format version"; "Account
deletion and export cover every table added by later issues")."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.exports import account
from habitus.exports.account import EXPORTED, NOT_EXPORTED
from habitus.exports.schemas import AccountExport
from habitus.models import Base, Entry, Habit, HabitBreak, HabitSchedule, Notification
from habitus.models.identity import OidcIdentity
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, create_habit, entry_put, patch_habit, patch_me, problem

URL = f"{API}/me/export"


def holds_users_rows(table: Table) -> bool:
    """A table holds a user's rows when a column points at users.id or is called
    user_id (the users table itself included)."""
    if table.name == "users":
        return True
    return any(
        column.name == "user_id"
        or any(fk.column.table.name == "users" for fk in column.foreign_keys)
        for column in table.columns
    )


def test_every_users_table_is_exported_or_excluded_with_a_reason() -> None:
    """Issue 5: the export covers every table added by later issues: each table holding a
    user's rows is exported or left out on purpose, with a reason; never both."""
    users_tables = {table.name for table in Base.metadata.sorted_tables if holds_users_rows(table)}
    assert {"users", "habits", "entries", "calendar_feeds"} <= users_tables
    unknown = users_tables - EXPORTED.keys() - NOT_EXPORTED.keys()
    assert not unknown, f"say in habitus/exports/account.py how the export covers {unknown}"
    assert not EXPORTED.keys() & NOT_EXPORTED.keys()
    assert (EXPORTED.keys() | NOT_EXPORTED.keys()) <= set(Base.metadata.tables), "a gone table"
    for table, reason in NOT_EXPORTED.items():
        assert len(reason) > 20, f"{table}: give a real reason"


async def arrange(client: httpx.AsyncClient, persona: Persona) -> None:
    """A bit of everything: settings, two habits (one with two schedule versions, one
    measurable and archived), entries with notes and values, breaks, a calendar feed."""
    await patch_me(
        client,
        persona,
        timezone="Europe/Berlin",
        day_start_hour=3,
        week_start="sun",
        theme="dark",
        day_part="evening",
    )
    read = await create_habit(
        client,
        persona,
        name="Read",
        start_date="2026-11-01",
        backfill_days=None,
        category="mind",
        tags=["books"],
        color="#336699",
        description="Before bed",
    )
    await patch_habit(client, persona, read["id"], schedule={"type": "weekdays", "days": ["sat"]})
    run = await create_habit(
        client,
        persona,
        name="Run",
        kind="measurable",
        target={"value": 5, "unit": "km", "direction": "at_least"},
        schedule={"type": "times_per_period", "times": 3, "period": "week"},
        start_date="2026-11-19",
    )
    await entry_put(client, persona, read["id"], "2026-11-10", status="done", note='a, "b"')
    await entry_put(client, persona, read["id"], "2026-11-11", status="skipped")
    await entry_put(client, persona, run["id"], "2026-11-20", status="done", value=6.5)
    for body in ({"habit_id": read["id"], "reason": "flu"}, {}):
        paused = await client.post(
            f"{API}/breaks",
            json={"start_date": "2026-11-12", "end_date": "2026-11-13", **body},
            headers=persona.headers,
        )
        assert paused.status_code == 201, paused.text
    await patch_habit(client, persona, run["id"], archived=True)
    feed = await client.post(f"{API}/export/calendar-feed", headers=persona.headers)
    assert feed.status_code == 201
    # Issue 6: a channel and a reminder (the inbox gets its row in the tests that need it).
    channel = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "name": "Hook", "config": {"url": "https://93.184.215.14/h"}},
        headers=persona.headers,
    )
    assert channel.status_code == 201, channel.text
    made = await client.post(
        f"{API}/habits/{read['id']}/reminders", json={"time": "21:30"}, headers=persona.headers
    )
    assert made.status_code == 201, made.text
    # Issue 20: an access token (its name and dates are exported, never the token).
    token = await client.post(
        f"{API}/me/tokens", json={"name": "Shortcuts", "scopes": ["read"]}, headers=persona.headers
    )
    assert token.status_code == 201, token.text


async def give_a_sign_in(db_session: AsyncSession, persona: Persona) -> None:
    """Issue 20: a single sign-on identity linked to the account."""
    db_session.add(
        OidcIdentity(
            user_id=persona.id,
            issuer="https://id.example.org",
            subject=f"subject-of-{persona.id}",
            email=persona.email,
        )
    )
    await db_session.commit()


async def give_a_notification(db_session: AsyncSession, persona: Persona) -> None:
    db_session.add(
        Notification(user_id=persona.id, kind="reminder", title="Read", body="Time for Read.")
    )
    await db_session.commit()


async def rows_of(db_session: AsyncSession, table: str, user_id: uuid.UUID) -> int:
    found = Base.metadata.tables[table]
    owner = {
        "friend_requests": "from_user_id",
        "blocks": "blocker_id",
        "challenges": "owner_id",
        "chat_messages": "sender_id",
    }
    column = found.c.id if table == "users" else found.c[owner.get(table, "user_id")]
    count = await db_session.scalar(
        select(func.count()).select_from(found).where(column == user_id)
    )
    await db_session.commit()
    return int(count or 0)


def in_document(document: dict[str, Any], place: str) -> int:
    if place == "user":
        return 1
    if place == "habits[].schedules":
        return sum(len(habit["schedules"]) for habit in document["habits"])
    if place == "rewards.ledger":
        return len(document["rewards"]["ledger"])
    if place == "social.profile":
        return int(document["social"]["profile"] is not None)
    if place.startswith("social."):
        return len(document["social"][place.removeprefix("social.")])
    if place == "coach[].tasks":
        return sum(len(plan["tasks"]) for plan in document["coach"])
    if place in ("health.goal", "health.settings"):
        return int(document["health"][place.removeprefix("health.")] is not None)
    if place == "health.logs":
        return len(document["health"]["logs"])
    if place == "surveys.nps":
        return len(document["surveys"]["nps"])
    return len(document[place])


async def arrange_social(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """Issue 15: a profile each, alice asks bob (by handle) and bob accepts, alice blocks
    charlie, shares a habit, owns a challenge; bob invites her to his."""
    for persona, handle in ((alice, "alice"), (bob, "bob")):
        made = await client.patch(
            f"{API}/me/profile", json={"handle": handle, "public": False}, headers=persona.headers
        )
        assert made.status_code == 200, made.text
    asked = await client.post(
        f"{API}/friends/requests", json={"handle": "bob"}, headers=alice.headers
    )
    assert asked.status_code == 201, asked.text
    [incoming] = (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()[
        "incoming"
    ]
    accepted = await client.post(
        f"{API}/friends/requests/{incoming['id']}/accept", headers=bob.headers
    )
    assert accepted.status_code == 200, accepted.text
    blocked = await client.post(
        f"{API}/blocks", json={"user_id": str(charlie.id)}, headers=alice.headers
    )
    assert blocked.status_code == 201, blocked.text
    opened = await client.post(
        f"{API}/conversations", json={"user_id": str(bob.id)}, headers=alice.headers
    )
    assert opened.status_code in (200, 201), opened.text
    sent = await client.post(
        f"{API}/conversations/{opened.json()['id']}/messages",
        json={"body": "See you at the pool"},
        headers=alice.headers,
    )
    assert sent.status_code == 201, sent.text
    habits = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"]
    shared = await client.post(f"{API}/habits/{habits[0]['id']}/shares", headers=alice.headers)
    assert shared.status_code == 201, shared.text
    for persona, name in ((alice, "Alice's December"), (bob, "No sugar in December")):
        made = await client.post(
            f"{API}/challenges",
            json={
                "name": name,
                "start_date": "2026-11-21",
                "days": 30,
                "habits": [{"name": "No sugar", "schedule": {"type": "daily"}}],
            },
            headers={**persona.headers, "Idempotency-Key": f"challenge-{persona.email}"},
        )
        assert made.status_code == 201, made.text
        if persona is bob:
            invited = await client.post(
                f"{API}/challenges/{made.json()['id']}/invites",
                json={"user_ids": [str(alice.id)]},
                headers={**bob.headers, "Idempotency-Key": "invite-alice"},
            )
            assert invited.status_code == 201, invited.text
    # Issue 17: a coach plan (the offline coach: no model in tests).
    for persona in (alice, bob):
        planned = await client.post(
            f"{API}/coach/plans",
            json={"goal": "Read more books", "kind": "build", "days": 7},
            headers=persona.headers,
        )
        assert planned.status_code == 201, planned.text
    # Issue 19 (D15): two health logs, a weight goal and the units each.
    for persona in (alice, bob):
        for weight in (80.5, 79.9):
            logged = await client.post(
                f"{API}/health/metrics",
                json={"weight_kg": weight, "body_fat_pct": 21.5},
                headers=persona.headers,
            )
            assert logged.status_code == 201, logged.text
        goal = await client.put(
            f"{API}/health/goals",
            json={"weight_kg": 75, "direction": "lose"},
            headers=persona.headers,
        )
        assert goal.status_code == 200, goal.text
        units = await client.put(
            f"{API}/health/settings",
            json={"mass_unit": "lb", "length_unit": "in"},
            headers=persona.headers,
        )
        assert units.status_code == 200, units.text
    # Issue 21: an NPS answer each.
    for persona in (alice, bob):
        answered = await client.post(
            f"{API}/surveys/nps", json={"score": 9, "comment": "Nice"}, headers=persona.headers
        )
        assert answered.status_code == 201, answered.text


async def test_the_export_holds_every_row_of_every_exported_table(
    client: httpx.AsyncClient,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 5 Export: every habit, schedule version, entry, break and setting is in the
    document: for each exported table, as many items as alice has rows (bob's are not)."""
    await arrange(client, alice)
    await arrange(client, bob)
    await arrange_social(client, alice, bob, charlie)
    await give_a_notification(db_session, alice)
    await give_a_notification(db_session, bob)
    await give_a_sign_in(db_session, alice)
    await give_a_sign_in(db_session, bob)
    response = await client.get(URL, headers=alice.headers)
    assert response.status_code == 200, response.text
    document = response.json()
    for table, place in EXPORTED.items():
        expected = await rows_of(db_session, table, alice.id)
        assert expected > 0, f"the arrangement gives alice no row in {table}"
        assert in_document(document, place) == expected, table
    # Of other users, ids and handles only (a friend, an invite's challenge, a block).
    assert bob.email not in response.text
    assert "Bob" not in response.text


async def test_the_document_is_versioned_and_faithful(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 5 Export: a format version at the top; settings (timezone, day start, week
    start, theme, day part); habits with every schedule version; entries and breaks as
    stored; no secrets (docs/EXPORT.md)."""
    await arrange(client, alice)
    response = await client.get(URL, headers=alice.headers)
    document = response.json()
    assert list(document)[:3] == ["format", "format_version", "exported_at"]
    assert document["format"] == "habitus-export"
    assert document["format_version"] == 1
    assert document["exported_at"] == "2026-11-21T12:00:00Z"
    AccountExport.model_validate(document)  # the published schema reads it back
    user = document["user"]
    assert {key: user[key] for key in ("timezone", "day_start_hour", "week_start")} == {
        "timezone": "Europe/Berlin",
        "day_start_hour": 3,
        "week_start": "sun",
    }
    assert (user["theme"], user["day_part"]) == ("dark", "evening")

    habits = {habit["name"]: habit for habit in document["habits"]}
    read, run = habits["Read"], habits["Run"]
    stored = await db_session.get(Habit, uuid.UUID(read["id"]))
    assert stored is not None
    versions = list(
        await db_session.scalars(
            select(HabitSchedule)
            .where(HabitSchedule.habit_id == stored.id)
            .order_by(HabitSchedule.effective_from)
        )
    )
    assert read["schedules"] == [
        {"effective_from": row.effective_from.isoformat(), "schedule": row.schedule}
        for row in versions
    ]
    assert [version["schedule"]["type"] for version in read["schedules"]] == ["daily", "weekdays"]
    assert (read["category"], read["tags"], read["color"]) == ("mind", ["books"], "#336699")
    assert (read["description"], read["backfill_days"]) == ("Before bed", None)
    assert run["target"] == {"value": 5.0, "unit": "km", "direction": "at_least"}
    assert run["archived_at"] is not None
    assert run["schedules"][0]["schedule"] == {
        "type": "times_per_period",
        "times": 3,
        "period": "week",
    }

    entries = {(entry["habit_id"], entry["date"]): entry for entry in document["entries"]}
    rows = list(await db_session.scalars(select(Entry).where(Entry.user_id == alice.id)))
    await db_session.commit()
    assert len(entries) == len(rows) == 3
    for row in rows:
        entry = entries[(str(row.habit_id), row.local_date.isoformat())]
        assert (entry["status"], entry["value"], entry["note"]) == (row.status, row.value, row.note)
        assert entry["logged_tz"] == row.logged_tz == "Europe/Berlin"
        assert entry["source"] == row.source
        assert entry["logged_at"] == "2026-11-21T12:00:00Z"
    breaks = list(
        await db_session.scalars(select(HabitBreak).where(HabitBreak.user_id == alice.id))
    )
    await db_session.commit()
    assert {(item["habit_id"], item["reason"]) for item in document["breaks"]} == {
        (str(row.habit_id) if row.habit_id else None, row.reason) for row in breaks
    }
    assert len(document["breaks"]) == len(breaks) == 2
    for secret in (alice.password, alice.access_token, alice.refresh_token, "argon2", "hash"):
        assert secret not in response.text


async def test_entries_stream_in_chunks_into_one_document(
    client: httpx.AsyncClient, alice: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 5 Export, "years of history": the entries follow the rest of the document
    in chunks read from the database; with chunks of 2 rows, 3 entries still make one
    valid document holding each entry once."""
    monkeypatch.setattr(account, "ENTRY_CHUNK_ROWS", 2)
    await arrange(client, alice)
    response = await client.get(URL, headers=alice.headers)
    assert response.headers["content-type"].startswith("application/json")
    assert "habitus-export-2026-11-21.json" in response.headers["content-disposition"]
    document = AccountExport.model_validate(response.json())
    assert len({(entry.habit_id, entry.date) for entry in document.entries}) == 3


async def test_export_needs_a_sign_in(client: httpx.AsyncClient) -> None:
    """API.md Auth: GET /me/export without a token is 401."""
    problem(await client.get(URL), 401)
