"""Small HTTP and database helpers shared by the habit engine tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import httpx
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Entry, Event, Habit, HabitBreak, HabitSchedule, HabitStateRow
from tests.fixtures.personas import Persona, login

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
# The frozen clock's day (tests/conftest.py FROZEN_AT) for a user in UTC: a Saturday.
TODAY = date(2026, 11, 21)


def d(text: str) -> date:
    return date.fromisoformat(text)


async def travel(
    clock: time_machine.Coordinates, client: httpx.AsyncClient, persona: Persona, when: datetime
) -> None:
    """Move the frozen clock and sign the persona in again (access tokens expire)."""
    clock.move_to(when)
    tokens = await login(client, persona.email, persona.password)
    persona.access_token = tokens["access_token"]


async def create_habit(
    client: httpx.AsyncClient, persona: Persona, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Read", "schedule": {"type": "daily"}, **fields}
    response = await client.post(f"{API}/habits", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    habit: dict[str, Any] = response.json()
    return habit


async def get_habit(client: httpx.AsyncClient, persona: Persona, habit_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/habits/{habit_id}", headers=persona.headers)
    assert response.status_code == 200, response.text
    habit: dict[str, Any] = response.json()
    return habit


async def patch_habit(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, **fields: Any
) -> httpx.Response:
    return await client.patch(f"{API}/habits/{habit_id}", json=fields, headers=persona.headers)


def check_in(
    client: httpx.AsyncClient,
    persona: Persona,
    habit_id: str,
    *,
    key: str | None = None,
    **body: Any,
) -> Any:
    """POST a check-in with a fresh Idempotency-Key unless `key` is given."""
    headers = {**persona.headers, "Idempotency-Key": key or f"key-{uuid.uuid4().hex}"}
    return client.post(f"{API}/habits/{habit_id}/checkins", json=body, headers=headers)


async def checked_in(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, **body: Any
) -> dict[str, Any]:
    response = await check_in(client, persona, habit_id, **body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def put_entry(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, day: str, **body: Any
) -> Any:
    return client.put(f"{API}/habits/{habit_id}/entries/{day}", json=body, headers=persona.headers)


async def entry_put(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, day: str, **body: Any
) -> dict[str, Any]:
    response = await put_entry(client, persona, habit_id, day, **body)
    assert response.status_code == 200, response.text
    entry: dict[str, Any] = response.json()
    return entry


def delete_entry(client: httpx.AsyncClient, persona: Persona, habit_id: str, day: str) -> Any:
    return client.delete(f"{API}/habits/{habit_id}/entries/{day}", headers=persona.headers)


async def days_of(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, first: str, last: str
) -> dict[str, dict[str, Any]]:
    """GET /days as {date: day}."""
    response = await client.get(
        f"{API}/habits/{habit_id}/days",
        params={"from": first, "to": last},
        headers=persona.headers,
    )
    assert response.status_code == 200, response.text
    return {item["date"]: item for item in response.json()["items"]}


async def stats_of(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, **params: str
) -> dict[str, Any]:
    response = await client.get(
        f"{API}/habits/{habit_id}/stats", params=params, headers=persona.headers
    )
    assert response.status_code == 200, response.text
    stats: dict[str, Any] = response.json()
    return stats


async def patch_me(client: httpx.AsyncClient, persona: Persona, **fields: Any) -> dict[str, Any]:
    response = await client.patch(f"{API}/me", json=fields, headers=persona.headers)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of an error answer with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


async def count(session: AsyncSession, model: Any, *criteria: Any) -> int:
    """Rows of `model` matching `criteria`, as committed now."""
    found = await session.scalar(select(func.count()).select_from(model).where(*criteria))
    await session.commit()
    return int(found or 0)


async def table_counts(session: AsyncSession) -> dict[str, int]:
    """Rows in every table a habit write touches."""
    return {
        model.__tablename__: await count(session, model)
        for model in (Habit, HabitSchedule, Entry, HabitBreak, HabitStateRow, Event)
    }


async def events_of(session: AsyncSession, user_id: uuid.UUID) -> list[Event]:
    rows = list(
        await session.scalars(select(Event).where(Event.user_id == user_id).order_by(Event.id))
    )
    await session.commit()
    return rows


async def event_kinds(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    return [event.kind for event in await events_of(session, user_id)]
