"""Synthetic users for the metrics tests: accounts made at a known instant, their
activity days, product events and NPS answers, written straight into the tables the
rollup reads (the instrumentation itself is tested in test_instrumentation.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import ActivityDay, NpsResponse, ProductEvent, User


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def synthetic_user(
    session: AsyncSession, name: str, signed_up: datetime, active: list[date]
) -> uuid.UUID:
    user = User(
        email=f"{name}@example.org",
        email_key=f"{name}@example.org",
        password_hash="x",
        timezone="UTC",
        theme="system",
        created_at=signed_up,
    )
    session.add(user)
    await session.flush()
    for day in active:
        session.add(ActivityDay(user_id=user.id, day=day))
    await session.flush()
    return user.id


async def events(
    session: AsyncSession, kind: str, user_id: uuid.UUID | None, when: datetime, count: int = 1
) -> None:
    for _ in range(count):
        session.add(ProductEvent(kind=kind, user_id=user_id, occurred_at=when, props={}))
    await session.flush()


async def nps_answer(session: AsyncSession, user_id: uuid.UUID, score: int, when: datetime) -> None:
    session.add(NpsResponse(user_id=user_id, score=score, created_at=when))
    await session.flush()
