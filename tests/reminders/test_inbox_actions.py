"""The inbox's "Done" and "Open habit" (issue 13): Done checks the habit in for today
through the habits service (the one Today's Done uses), owner-only, CSRF-checked, and a
second tap changes nothing (D4.1: one entry per habit and day)."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Entry, Notification
from tests.auth.pages import follow
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login
from tests.reminders.test_web import API, habit, post_on


async def reminder_item(
    session: AsyncSession, persona: Persona, habit_id: str, day: date | None
) -> uuid.UUID:
    row = Notification(
        id=uuid.uuid4(),
        user_id=persona.id,
        kind="reminder",
        title="Stretch",
        body="Time for Stretch.",
        habit_id=uuid.UUID(habit_id),
        local_date=day,
    )
    session.add(row)
    await session.commit()
    return row.id


async def entries(session: AsyncSession) -> int:
    found = await session.scalar(select(func.count()).select_from(Entry))
    await session.commit()
    return int(found or 0)


async def today_of(client: httpx.AsyncClient, persona: Persona) -> date:
    me = await client.get(f"{API}/today", headers=persona.headers)
    assert me.status_code == 200, me.text
    return date.fromisoformat(me.json()["date"])


async def test_done_from_the_inbox_checks_the_habit_in_once(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """D4.1: Done is today's check-in (one entry however often it is tapped); the item
    is read after it; another user's tap is a 404; no CSRF token is a 403."""
    stretch = await habit(client, alice, "Stretch")
    today = await today_of(client, alice)
    item = await reminder_item(db_session, alice, stretch, today)
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/inbox")).text
    assert f'action="/inbox/{item}/done"' in page
    assert f'href="/habits/{stretch}"' in page

    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        assert (await post_on(other, "/inbox", f"/inbox/{item}/done")).status_code == 404
    forged = await client.post(f"/inbox/{item}/done", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert await entries(db_session) == 0

    done = await post_on(client, "/inbox", f"/inbox/{item}/done")
    assert done.status_code == 303
    page = (await follow(client, done)).text
    assert "Stretch: done for today." in page
    assert "✓ Done today" in page
    assert f'action="/inbox/{item}/done"' not in page
    assert f'action="/inbox/{item}/read"' not in page  # read now
    again = await post_on(client, "/inbox", f"/inbox/{item}/done")
    assert again.status_code == 303
    assert await entries(db_session) == 1
    listed = await client.get(
        f"{API}/habits/{stretch}/entries",
        params={"from": today.isoformat(), "to": today.isoformat()},
        headers=alice.headers,
    )
    assert [item["status"] for item in listed.json()["items"]] == ["done"]


async def test_only_todays_reminder_of_a_yes_no_habit_to_build_offers_done(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """An old reminder, an amount to reach and a quit habit have no one obvious "done":
    they only open the habit; a forged Done on the measurable one is a 422 that writes
    nothing."""
    today = await today_of(client, alice)
    yesterday_item = await reminder_item(
        db_session,
        alice,
        await habit(client, alice, "Old"),
        date.fromordinal(today.toordinal() - 1),
    )
    water = await client.post(
        f"{API}/habits",
        json={
            "name": "Water",
            "kind": "measurable",
            "target": {"value": 8, "unit": "glasses"},
            "schedule": {"type": "daily"},
        },
        headers=alice.headers,
    )
    assert water.status_code == 201, water.text
    water_item = await reminder_item(db_session, alice, water.json()["id"], today)
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/inbox")).text
    for item in (yesterday_item, water_item):
        assert f'action="/inbox/{item}/done"' not in page
    assert f'href="/habits/{water.json()["id"]}"' in page
    refused = await post_on(client, "/inbox", f"/inbox/{water_item}/done")
    assert refused.status_code == 422
    assert await entries(db_session) == 0
