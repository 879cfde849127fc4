"""The unread figures (issue 16): the header badge is one statement over all the user's
conversations and must agree with the per-conversation counts of GET /conversations;
what was said in a challenge before someone joined is history, not unread."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.chat import service
from habitus.models import User
from tests.chat.chat_factories import API, challenge_with, send
from tests.fixtures.personas import Persona
from tests.habits.test_queries import counting
from tests.social.challenge_factories import befriend, block, invite, join


async def unread_by_conversation(client: httpx.AsyncClient, persona: Persona) -> dict[str, int]:
    response = await client.get(f"{API}/conversations", headers=persona.headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item["unread"] for item in response.json()["items"]}


async def badge(db_session: AsyncSession, persona: Persona) -> int:
    user = await db_session.get(User, persona.id)
    assert user is not None
    total = await service.unread_total(db_session, user)
    await db_session.commit()
    return total


async def test_the_badge_agrees_with_the_list_through_hides_blocks_and_joins(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 16: the badge counts others' messages after the read marker, leaves out what
    the reader hid and what a blocked sender wrote, and in a challenge only counts what
    came after the reader joined."""
    challenge = await challenge_with(client, app, alice, bob)  # friends now
    opened = await client.post(
        f"{API}/conversations", json={"user_id": str(bob.id)}, headers=alice.headers
    )
    assert opened.status_code == 201, opened.text
    talk = opened.json()["id"]
    for n in range(3):
        await send(app, bob, talk, f"direct {n}")
    await send(app, alice, challenge, "mine never count (and sending reads up to it)")
    await send(app, bob, challenge, "before charlie")
    assert await unread_by_conversation(client, alice) == {talk: 3, challenge: 1}
    assert await badge(db_session, alice) == 4

    hidden = await send(app, bob, talk, "hide me")
    deleted = await client.delete(f"{API}/messages/{hidden}", headers=alice.headers)
    assert deleted.status_code == 204, deleted.text
    assert await badge(db_session, alice) == 4

    # Charlie joins late: the two earlier messages are history, the next one is unread.
    await befriend(app, alice, charlie)
    assert (await invite(client, alice, challenge, charlie)).status_code == 201
    assert (await join(client, charlie, challenge)).status_code == 200
    assert await unread_by_conversation(client, charlie) == {challenge: 0}
    assert await badge(db_session, charlie) == 0
    await send(app, bob, challenge, "welcome charlie")
    assert await unread_by_conversation(client, charlie) == {challenge: 1}
    assert await badge(db_session, charlie) == 1

    # Charlie blocks Bob: Bob's messages leave Charlie's counts, in the list and the badge.
    await block(app, charlie, bob)
    assert await unread_by_conversation(client, charlie) == {challenge: 0}
    assert await badge(db_session, charlie) == 0

    # Reading up to the newest message clears the conversation (and only it).
    newest = await send(app, bob, talk, "newest")
    marked = await client.post(
        f"{API}/conversations/{talk}/read", json={"message_id": newest}, headers=alice.headers
    )
    assert marked.status_code == 204, marked.text
    listed = await unread_by_conversation(client, alice)
    assert listed[talk] == 0
    assert await badge(db_session, alice) == sum(listed.values()) == 2


async def test_a_direct_message_costs_few_statements(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16 speed (bench/chat_bench.py): sending in a direct conversation reads the
    conversation, its members with their blocks and friendships (one statement), the
    client_id, then writes the message, the read marker and the event: a fixed number
    of statements, whatever the history."""
    opened = await challenge_with(client, app, alice, bob)  # makes them friends
    assert opened
    response = await client.post(
        f"{API}/conversations", json={"user_id": str(bob.id)}, headers=alice.headers
    )
    talk = response.json()["id"]
    await send(app, alice, talk, "warm up", client_id="w")
    with counting(app) as statements:
        await send(app, alice, talk, "counted", client_id="c")
    queries = [
        s
        for s in statements
        if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]
    assert len(queries) <= 7, queries  # the user (the factory), then 6; it was 10
