"""D12 social notices: a friend request, an accepted request, a challenge invite, a move
up ("You moved to #2 in No sugar"), being overtaken ("Bob moved past you in No
sugar") and chat messages waiting unread (issue 16) each put one card in the inbox
and one delivery on each channel that opted in (`social`, off unless asked); a rank
that did not move makes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.events.kinds import (
    ChallengeInvited,
    ChatUnreadWaiting,
    DomainEvent,
    FriendAccepted,
    FriendRequested,
    RankChanged,
)
from habitus.events.service import record
from habitus.models import Delivery, Notification
from tests.auth.pages import follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login
from tests.gamification.helpers import run_consumers
from tests.habits.helpers import API, error_fields, problem
from tests.reminders.conftest import Sink
from tests.reminders.test_reward_notices import channel

CHALLENGE = str(uuid.uuid4())
SETTINGS = "/settings/notifications"


async def told(app: FastAPI, persona: Persona, events: list[DomainEvent]) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await record(session, persona.id, events)


async def rows(session: AsyncSession, model: Any, **where: Any) -> list[Any]:
    found = list(await session.scalars(select(model).filter_by(**where)))
    await session.commit()
    return found


async def test_social_events_reach_the_inbox_and_opted_in_channels_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D12 + issue 16: six notices for alice (the unmoved rank makes none): cards with these words,
    a delivery each on the channel with `social` on, none on the one without; a second
    pass of the worker adds nothing."""
    plain = await channel(client, alice, "webhook", sink.url)
    asked = await channel(client, alice, "webhook", sink.url, social=True)
    assert (plain["social"], asked["social"]) == (False, True)
    await told(
        app,
        alice,
        [
            FriendRequested(request_id=str(uuid.uuid4()), from_user_id="x", from_name="Bob"),
            FriendAccepted(friend_id=str(uuid.uuid4()), friend_name="Charlie"),
            ChallengeInvited(challenge_id=CHALLENGE, challenge_name="No sugar", by_name="Bob"),
            RankChanged(challenge_id=CHALLENGE, challenge_name="No sugar", rank=2, previous=3),
            RankChanged(
                challenge_id=CHALLENGE,
                challenge_name="No sugar",
                rank=3,
                previous=2,
                overtaken_by="Bob",
            ),
            RankChanged(challenge_id=CHALLENGE, challenge_name="No sugar", rank=2, previous=2),
            ChatUnreadWaiting(
                conversation_id=str(uuid.uuid4()),
                title="Bob",
                kind_of_conversation="direct",
                unread=3,
            ),
            ChatUnreadWaiting(
                conversation_id=CHALLENGE,
                title="No sugar",
                kind_of_conversation="challenge",
                unread=1,
            ),
        ],
    )
    await run_consumers(app)
    await run_consumers(app)
    cards = {row.title: row for row in await rows(db_session, Notification, user_id=alice.id)}
    assert {title: card.kind for title, card in cards.items()} == {
        "Friend request from Bob": "friend_request",
        "Charlie accepted your friend request": "friend_accepted",
        "Bob invited you to No sugar": "challenge_invite",
        "You moved to #2 in No sugar": "rank",
        "Bob moved past you in No sugar": "rank",
        "Bob wrote to you": "chat_unread",
        "New messages in No sugar": "chat_unread",
    }
    assert cards["You moved to #2 in No sugar"].body == "Up from #3. Keep it going."
    assert cards["Bob wrote to you"].body == "3 messages from Bob waiting unread in Chat."
    assert cards["New messages in No sugar"].body == (
        "1 message waiting unread in the No sugar chat."
    )
    sent = await rows(db_session, Delivery, user_id=alice.id)
    assert sorted((row.title, str(row.channel_id)) for row in sent) == sorted(
        (title, asked["id"]) for title in cards
    )


async def test_the_social_switch_over_the_api(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    bob: Persona,
    sink: Sink,
) -> None:
    """D12: PATCH a channel's `social` on and off (a boolean: anything else is a 422
    naming it); another user's channel is 404."""
    made = await channel(client, alice, "webhook", sink.url)
    url = f"{API}/channels/{made['id']}"
    response = await client.patch(url, json={"social": True}, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json()["social"] is True
    response = await client.patch(url, json={"social": "yes"}, headers=alice.headers)
    assert "social" in error_fields(problem(response, 422))
    problem(await client.patch(url, json={"social": False}, headers=bob.headers), 404)


async def test_the_settings_page_switches_social_notices(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, sink: Sink
) -> None:
    """D12 on Settings -> Notifications: each channel has a checkbox "Friends and
    challenges" (unticked at first); ticked and saved turns it on, unticked off; the
    form needs its CSRF token; charlie's try is 404."""
    made = await channel(client, alice, "webhook", sink.url)
    action = f"{SETTINGS}/channels/{made['id']}/social"
    named = f'id="social-{made["id"]}" aria-label="Friends and challenges on {made["name"]}"'
    await web_login(client, alice.email, alice.password)
    assert f"{named}>" in (await client.get(SETTINGS)).text
    forged = await client.post(action, data={"social": "on"})
    assert forged.status_code in (400, 403), forged.text
    on = await post_form(client, SETTINGS, action, {"social": "on"})
    assert on.status_code == 303, on.text
    page = (await follow(client, on)).text
    assert "gets friends and challenges" in page
    assert f"{named} checked>" in page
    off = await post_form(client, SETTINGS, action, {})
    assert "no longer gets friends and challenges" in (await follow(client, off)).text
    listed = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"]
    assert [item["social"] for item in listed] == [False]
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        tried = await post_form(other, SETTINGS, action, {"social": "on"})
        assert tried.status_code == 404
