"""Factories for the challenge tests: friendships and blocks written straight to the
database (as the friends service would), and a challenge made through the API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from habitus import db
from habitus.models import Block, Friendship
from tests.fixtures.personas import Persona

API = "/api/v1"


async def befriend(app: FastAPI, one: Persona, other: Persona) -> None:
    """D12.1: a friendship is a row per side."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        session.add_all(
            [
                Friendship(user_id=one.id, friend_id=other.id),
                Friendship(user_id=other.id, friend_id=one.id),
            ]
        )


async def block(app: FastAPI, blocker: Persona, blocked: Persona) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))


def challenge_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "December run",
        "description": "Move every day",
        "start_date": "2026-11-21",
        "days": 30,
        "habits": [
            {"name": "Run", "schedule": {"type": "daily"}},
            {
                "name": "Water",
                "schedule": {"type": "weekdays", "days": ["mon", "wed", "fri"]},
                "kind": "measurable",
                "target": {"value": 2, "unit": "l"},
            },
        ],
    }
    body.update(fields)
    return body


async def make_challenge(
    client: httpx.AsyncClient, owner: Persona, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/challenges", json=challenge_body(**fields), headers=owner.headers
    )
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def invite(
    client: httpx.AsyncClient, owner: Persona, challenge_id: str, *invitees: Persona
) -> httpx.Response:
    return await client.post(
        f"{API}/challenges/{challenge_id}/invites",
        json={"user_ids": [str(p.id) for p in invitees]},
        headers=owner.headers,
    )


async def join(
    client: httpx.AsyncClient, persona: Persona, challenge_id: str, token: str | None = None
) -> httpx.Response:
    body = {"token": token} if token else {}
    return await client.post(
        f"{API}/challenges/{challenge_id}/join", json=body, headers=persona.headers
    )


def ids(items: list[dict[str, Any]]) -> list[uuid.UUID]:
    return [uuid.UUID(item["id"]) for item in items]
