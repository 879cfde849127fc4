"""Factories for the chat tests: friendships and challenges through the social tests'
factories, conversations and messages through the chat service in the app's own write
transactions (no HTTP round trip per message)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from habitus import db
from habitus.chat import service
from habitus.models import User
from tests.fixtures.personas import Persona
from tests.social.challenge_factories import befriend, invite, join, make_challenge

API = "/api/v1"


async def direct(client: httpx.AsyncClient, app: FastAPI, one: Persona, other: Persona) -> str:
    """Friends `one` and `other`, and their direct conversation's id."""
    await befriend(app, one, other)
    response = await client.post(
        f"{API}/conversations", json={"user_id": str(other.id)}, headers=one.headers
    )
    assert response.status_code == 201, response.text
    found: str = response.json()["id"]
    return found


async def challenge_with(
    client: httpx.AsyncClient, app: FastAPI, owner: Persona, *members: Persona
) -> str:
    """A challenge of `owner` that `members` (made friends first) joined; its id."""
    made = await make_challenge(client, owner)
    for member in members:
        await befriend(app, owner, member)
    if members:
        assert (await invite(client, owner, made["id"], *members)).status_code == 201
    for member in members:
        assert (await join(client, member, made["id"])).status_code == 200
    found: str = made["id"]
    return found


async def send(
    app: FastAPI, sender: Persona, conversation_id: str, body: str, client_id: str | None = None
) -> int:
    """A message sent through the service (as the WebSocket does); its id."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await session.get(User, sender.id)
        assert user is not None
        message, _members = await service.send(
            session, app.state.ctx, user, uuid.UUID(conversation_id), body, client_id
        )
        return message.id


async def messages(
    client: httpx.AsyncClient, persona: Persona, conversation_id: str, **params: Any
) -> httpx.Response:
    return await client.get(
        f"{API}/conversations/{conversation_id}/messages", params=params, headers=persona.headers
    )


async def read_up_to(app: FastAPI, reader: Persona, conversation_id: str, message_id: int) -> None:
    """The reader's marker moved through the service (as POST .../read does)."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await session.get(User, reader.id)
        assert user is not None
        await service.mark_read(session, user, uuid.UUID(conversation_id), message_id)
