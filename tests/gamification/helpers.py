"""Factories for the rewards tests: gems paid straight into the ledger (as a claim would),
and the worker's consumers run once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from habitus import db
from habitus.gamification import repository
from tests.fixtures.events import read_through

API = "/api/v1"


async def give_gems(app: FastAPI, user_id: uuid.UUID, tenths: int) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await repository.pay(
            session,
            user_id,
            currency="gems",
            amount=tenths,
            kind=repository.DAILY_CLAIM,
            cause=f"test:{uuid.uuid4()}",
            reason="Test gems",
        )


async def run_consumers(app: FastAPI) -> None:
    """What the worker does after the commits: every consumer, until caught up."""
    await read_through(app.state.sessionmaker, app.state.settings)


async def achievements(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{API}/achievements", headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def kinds(answer: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in answer["events"]]
