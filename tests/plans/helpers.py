"""What the plans tests share: problem bodies, making habits, setting a plan."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Challenge, Habit, User
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, PROBLEM_JSON, create_habit

PLAN_LIMIT = "urn:habitus:problem:plan-limit"


def plan_limit(response: httpx.Response) -> dict[str, Any]:
    """The body of a 403 plan-limit answer, after checking status, type and media type."""
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == PLAN_LIMIT, body
    assert body["status"] == 403
    return body


def post_habit(client: httpx.AsyncClient, persona: Persona, name: str) -> Any:
    return client.post(
        f"{API}/habits", json={"name": name, "schedule": {"type": "daily"}}, headers=persona.headers
    )


async def habits_made(client: httpx.AsyncClient, persona: Persona, count: int) -> list[str]:
    """`count` new habits of `persona`, by the API; their ids."""
    return [(await create_habit(client, persona, name=f"Habit {i}"))["id"] for i in range(count)]


async def active_habits(db_session: AsyncSession, persona: Persona) -> int:
    await db_session.rollback()  # a fresh snapshot: what the app committed
    query = select(func.count()).select_from(Habit)
    query = query.where(Habit.user_id == persona.id, Habit.archived_at.is_(None))
    return int(await db_session.scalar(query) or 0)


async def challenges_of(db_session: AsyncSession, persona: Persona) -> int:
    await db_session.rollback()
    query = select(func.count()).select_from(Challenge).where(Challenge.owner_id == persona.id)
    return int(await db_session.scalar(query) or 0)


async def set_plan(db_session: AsyncSession, persona: Persona, plan: str) -> None:
    await db_session.execute(update(User).where(User.id == persona.id).values(plan=plan))
    await db_session.commit()


async def plan_of(db_session: AsyncSession, persona: Persona) -> str:
    await db_session.rollback()
    plan = await db_session.scalar(select(User.plan).where(User.id == persona.id))
    assert plan is not None
    return plan
