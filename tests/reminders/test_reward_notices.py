"""Achievements and streak freezes as notices (D10.3, D11.3): the inbox gets a card, and
the channels that opted in (`achievements`: on by default for push and Apprise, off for
email and webhooks) get "Achievement unlocked: <title>", once per event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.gamification import freezes
from habitus.models import Delivery, Notification
from habitus.reminders import messages
from tests.auth.pages import follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login
from tests.gamification.helpers import run_consumers
from tests.gamification.test_claims_and_freezes import job_context, streak_of_five_then_a_miss
from tests.habits.helpers import API, checked_in, count, create_habit, problem
from tests.reminders.conftest import Sink, run_worker

SETTINGS = "/settings/notifications"
FIRST_STEP = "Achievement unlocked: First step"
# Alice's only habit done today also makes her day perfect (the worker decides that one).
EARNED = [FIRST_STEP, "Achievement unlocked: Perfect day"]


async def channel(
    client: httpx.AsyncClient, persona: Persona, kind: str, url: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/channels",
        json={"type": kind, "name": f"{kind} {uuid.uuid4().hex[:6]}", "config": {"url": url}}
        | fields,
        headers={**persona.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def first_checkin(client: httpx.AsyncClient, persona: Persona) -> None:
    habit = await create_habit(client, persona)
    answer = await checked_in(client, persona, habit["id"])
    assert "achievement_unlocked" in [event["kind"] for event in answer["events"]]


async def deliveries(session: AsyncSession, **where: Any) -> list[Delivery]:
    found = list(await session.scalars(select(Delivery).filter_by(**where)))
    await session.commit()
    return found


async def cards(session: AsyncSession, user_id: uuid.UUID, kind: str) -> list[Notification]:
    found = list(
        await session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        )
    )
    await session.commit()
    return found


async def test_an_achievement_reaches_the_inbox_and_the_opted_in_channels_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    charlie: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D10.3: the first check-in earns "First step" (and, the worker finds, "Perfect day");
    the worker puts one card per achievement in the inbox and one delivery per card on
    each channel that opted in: Apprise by default, a webhook only when asked. A second
    pass adds nothing; charlie's opted-in channel gets none of alice's."""
    hook = await channel(client, alice, "webhook", sink.url)
    asked = await channel(client, alice, "webhook", sink.url, achievements=True)
    chat = await channel(client, alice, "apprise", "ntfy://127.0.0.1/habitus")
    theirs = await channel(client, charlie, "webhook", sink.url, achievements=True)
    assert (hook["achievements"], asked["achievements"], chat["achievements"]) == (
        False,
        True,
        True,
    )
    await first_checkin(client, alice)
    await run_consumers(app)
    await run_consumers(app)  # caught up: nothing more

    inbox = {card.title: card for card in await cards(db_session, alice.id, "achievement")}
    assert sorted(inbox) == sorted(EARNED)
    assert inbox[FIRST_STEP].body == "You earned \u201cFirst step\u201d. Your first completed day."
    sent = await deliveries(db_session, user_id=alice.id, event="achievement")
    assert sorted((row.title, str(row.channel_id), row.notification_id) for row in sent) == sorted(
        (title, channel_id, inbox[title].id)
        for title in EARNED
        for channel_id in (asked["id"], chat["id"])
    )
    assert await deliveries(db_session, channel_id=uuid.UUID(hook["id"])) == []
    assert await deliveries(db_session, channel_id=uuid.UUID(theirs["id"])) == []
    assert await cards(db_session, charlie.id, "achievement") == []
    listed = (await client.get(f"{API}/notifications", headers=alice.headers)).json()["items"]
    assert FIRST_STEP in [item["title"] for item in listed]


async def test_the_webhook_that_asked_receives_the_words(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """D10.3 through the dispatcher: the opted-in webhook is POSTed "Achievement unlocked:
    First step" (and "Perfect day") once, however many passes the worker makes."""
    await channel(client, alice, "webhook", sink.url, achievements=True)
    await first_checkin(client, alice)
    await run_worker(app)
    await run_worker(app)
    posted = [item.json for item in sink.accepted() if item.json["event"] == "achievement"]
    assert sorted(item["title"] for item in posted) == sorted(EARNED)


async def test_a_notice_in_quiet_hours_stays_in_the_inbox(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D10.3 with quiet hours (as D9's reminders): the card, but no channel is woken."""
    await channel(client, alice, "webhook", sink.url, achievements=True)
    response = await client.put(
        f"{API}/me/notification-settings",
        json={"quiet_start": "11:00", "quiet_end": "13:00"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    await first_checkin(client, alice)  # 12:00 UTC, alice's zone is UTC
    await run_consumers(app)
    assert len(await cards(db_session, alice.id, "achievement")) == len(EARNED)
    assert await deliveries(db_session, user_id=alice.id, event="achievement") == []


async def test_a_spent_freeze_says_which_streak_it_kept(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D11.3: "Your freeze kept your 5-day Read streak" in the inbox and on the channel
    that opted in, once."""
    hook = await channel(client, alice, "webhook", sink.url, achievements=True)
    await streak_of_five_then_a_miss(
        client, app, alice, frozen_clock, bought_at=datetime(2026, 11, 19, 12, tzinfo=UTC)
    )
    frozen_clock.move_to(datetime(2026, 11, 21, 12, tzinfo=UTC))
    assert await freezes.run(job_context(app)) == 1
    await run_consumers(app)
    await run_consumers(app)
    inbox = await cards(db_session, alice.id, "freeze")
    words = "Your freeze kept your 5-day Read streak."
    assert [(card.title, card.body) for card in inbox] == [("Streak freeze used: Read", words)]
    sent = await deliveries(db_session, channel_id=uuid.UUID(hook["id"]), event="freeze")
    assert [row.body for row in sent] == [words]


def test_the_freeze_words_name_the_unit() -> None:
    """D11.3: "12-day" for a daily habit, "3-week" for a weekly one."""
    assert messages.freeze_spent("Reading", 12, "day").body == (
        "Your freeze kept your 12-day Reading streak."
    )
    assert (
        messages.freeze_spent("Gym", 3, "week").body == "Your freeze kept your 3-week Gym streak."
    )


async def test_the_opt_in_is_switched_through_the_api_and_checked(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, sink: Sink
) -> None:
    """D10.3: the opt-in is a channel's `achievements`, a strict yes or no, kept in the
    export; charlie cannot switch alice's (404)."""
    made = await channel(client, alice, "webhook", sink.url)
    url = f"{API}/channels/{made['id']}"
    switched = await client.patch(url, json={"achievements": True}, headers=alice.headers)
    assert switched.status_code == 200, switched.text
    assert switched.json()["achievements"] is True
    wrong = problem(
        await client.patch(url, json={"achievements": "yes"}, headers=alice.headers), 422
    )
    assert "achievements" in str(wrong)
    other = await client.patch(url, json={"achievements": False}, headers=charlie.headers)
    assert other.status_code == 404
    listed = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"]
    assert [item["achievements"] for item in listed] == [True]
    exported = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    assert [item["achievements"] for item in exported["channels"]] == [True]


async def test_deleting_the_account_deletes_the_notices(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D10.3's cards and deliveries go with the account, and nobody else's."""
    for persona in (alice, bob):
        await channel(client, persona, "webhook", sink.url, achievements=True)
        await first_checkin(client, persona)
    await run_consumers(app)
    response = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code == 204, response.text
    for model in (Notification, Delivery):
        assert await count(db_session, model, model.user_id == alice.id) == 0
        assert await count(db_session, model, model.user_id == bob.id) > 0


async def test_the_settings_page_switches_the_opt_in(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, sink: Sink
) -> None:
    """D10.3 on Settings -> Notifications: each channel has a checkbox "Achievements and
    streak freezes"; unticked and saved turns it off; charlie's try is 404."""
    made = await channel(client, alice, "webhook", sink.url)
    action = f"{SETTINGS}/channels/{made['id']}/achievements"
    box = f'id="achievements-{made["id"]}"'
    await web_login(client, alice.email, alice.password)
    page = (await client.get(SETTINGS)).text
    assert "Achievements and streak freezes" in page
    named = f'{box} aria-label="Achievements and streak freezes on {made["name"]}"'
    assert f"{named}>" in page  # a webhook starts unticked
    on = await post_form(client, SETTINGS, action, {"achievements": "on"})
    assert on.status_code == 303, on.text
    page = (await follow(client, on)).text
    assert "gets achievements and streak freezes" in page
    assert f"{named} checked>" in page
    off = await post_form(client, SETTINGS, action, {})
    assert "no longer gets" in (await follow(client, off)).text
    listed = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"]
    assert [item["achievements"] for item in listed] == [False]
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        tried = await post_form(other, SETTINGS, action, {"achievements": "on"})
        assert tried.status_code == 404
