"""Issue 16: messages waiting unread for 10 minutes make one notice per unread stretch
(not one per message); reading starts a new stretch; a challenge's member is told about
what came after they joined; a block silences; two workers tell once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.chat import unread_notices
from habitus.models import Event, Notification
from habitus.registry import JobContext
from tests.chat.chat_factories import challenge_with, direct, read_up_to, send
from tests.conftest import FROZEN_AT
from tests.fixtures.personas import Persona
from tests.gamification.helpers import run_consumers
from tests.social.challenge_factories import befriend, block, invite, join


def job(app: FastAPI) -> JobContext:
    return JobContext(app.state.sessionmaker, app.state.settings, "test-worker")


async def waiting_events(session: AsyncSession, persona: Persona) -> list[dict[str, object]]:
    found = list(
        await session.scalars(
            select(Event)
            .where(Event.user_id == persona.id, Event.kind == "chat_unread_waiting")
            .order_by(Event.id)
        )
    )
    await session.commit()
    return [row.payload for row in found]


async def test_one_notice_per_unread_stretch(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 16: Bob's three messages wait 9 minutes: nothing; at 10: one notice for
    Alice (none for Bob, whose own messages are read); more messages while she has not
    read: nothing more; she reads, Bob writes again: a second notice 10 minutes later."""
    talk = await direct(client, app, alice, bob)
    for n in range(3):
        await send(app, bob, talk, f"hello {n}")
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=9))
    assert await unread_notices.run(job(app)) == 0
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=10))
    assert await unread_notices.run(job(app)) == 1
    assert await waiting_events(db_session, alice) == [
        {"conversation_id": talk, "title": "Bob", "kind_of_conversation": "direct", "unread": 3}
    ]
    assert await waiting_events(db_session, bob) == []
    assert await unread_notices.run(job(app)) == 0

    newest = await send(app, bob, talk, "still there?")
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=30))
    assert await unread_notices.run(job(app)) == 0  # the same stretch: she has not read
    await read_up_to(app, alice, talk, newest)
    await send(app, bob, talk, "new stretch")
    assert await unread_notices.run(job(app)) == 0  # not 10 minutes yet
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=40))
    assert await unread_notices.run(job(app)) == 1
    assert [item["unread"] for item in await waiting_events(db_session, alice)] == [3, 1]

    await run_consumers(app)
    cards = list(
        await db_session.scalars(
            select(Notification.title).where(
                Notification.user_id == alice.id, Notification.kind == "chat_unread"
            )
        )
    )
    await db_session.commit()
    assert cards == ["Bob wrote to you", "Bob wrote to you"]


async def test_challenge_members_are_told_of_what_came_after_they_joined(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 16: a member who never opened the challenge's chat is told; one who joined
    after the messages is not; a member who blocked the sender is not."""
    challenge = await challenge_with(client, app, alice, bob)
    await send(app, alice, challenge, "before charlie")
    await befriend(app, alice, charlie)
    assert (await invite(client, alice, challenge, charlie)).status_code == 201
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=1))
    assert (await join(client, charlie, challenge)).status_code == 200
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=10))
    assert await unread_notices.run(job(app)) == 1
    assert [item["title"] for item in await waiting_events(db_session, bob)] == ["December run"]
    assert await waiting_events(db_session, charlie) == []

    await block(app, charlie, alice)
    await send(app, alice, challenge, "after the block")
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=30))
    assert await unread_notices.run(job(app)) == 0  # bob is mid-stretch, charlie blocked her
    assert await waiting_events(db_session, charlie) == []


async def test_two_workers_tell_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 16 with two workers at once: the marker moves by compare-and-set."""
    talk = await direct(client, app, alice, bob)
    await send(app, bob, talk, "one")
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=11))
    told = await asyncio.gather(unread_notices.run(job(app)), unread_notices.run(job(app)))
    assert sum(told) == 1
    assert len(await waiting_events(db_session, alice)) == 1
