"""D10 health achievements from health logs (issue 19): `first_metric`, `metrics_30` and
`weight_goal`, earned in the log's own transaction in reaction to `health_logged`
(events/kinds.HealthLogged), once (D10.1), kept when the log goes (D10.2), announced by
an inbox card (D10.3). The event carries no measurement."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.health import service as health_service
from habitus.models import AchievementEarned, Event, User
from tests.conftest import FROZEN_AT, AppFactory
from tests.fixtures.events import read_through
from tests.fixtures.personas import Persona

API = "/api/v1"
TODAY = FROZEN_AT.date()


@pytest.fixture
async def client(
    make_client: AppFactory, frozen_clock: time_machine.Coordinates
) -> httpx.AsyncClient:
    """The suite's app with the clock frozen (TODAY); `app`, `alice` and `bob` follow."""
    return await make_client()


async def _user(session: AsyncSession, persona: Persona) -> User:
    found = await session.get(User, persona.id)
    assert found is not None
    return found


async def log(app: FastAPI, persona: Persona, day: date = TODAY, **values: float) -> uuid.UUID:
    """A log made as POST /health/metrics makes it (the health service), committed."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        made = await health_service.create_log(
            session, await _user(session, persona), values=values, day=day
        )
        return made.id


async def patch(app: FastAPI, persona: Persona, log_id: uuid.UUID, **values: float) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await health_service.update_log(
            session, await _user(session, persona), log_id, values=values
        )


async def delete(app: FastAPI, persona: Persona, log_id: uuid.UUID) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await health_service.delete_log(session, await _user(session, persona), log_id)


async def set_goal(app: FastAPI, persona: Persona, weight_kg: float, direction: Any) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await health_service.set_goal(
            session, await _user(session, persona), weight_kg=weight_kg, direction=direction
        )


async def earned(db_session: AsyncSession, persona: Persona) -> set[str]:
    rows = await db_session.scalars(
        select(AchievementEarned.achievement_id).where(AchievementEarned.user_id == persona.id)
    )
    return set(rows)


async def unlocked_events(db_session: AsyncSession, persona: Persona) -> list[str]:
    rows = await db_session.scalars(
        select(Event)
        .where(Event.user_id == persona.id, Event.kind == "achievement_unlocked")
        .order_by(Event.id)
    )
    return [row.payload["achievement"] for row in rows]


async def test_the_first_log_earns_first_metric_once(
    app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.1 first_metric: the first health log earns it, in the log's transaction, and
    the next log earns nothing more (one row, one event)."""
    await log(app, alice, body_fat_pct=21.5)
    assert await earned(db_session, alice) == {"first_metric"}
    await log(app, alice, TODAY - timedelta(days=1), body_fat_pct=21.4)
    assert await earned(db_session, alice) == {"first_metric"}
    assert await unlocked_events(db_session, alice) == ["first_metric"]


async def test_the_health_logged_event_carries_no_measurement(
    app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 19 privacy: `health_logged` names the log, its date and whether it has a
    weight; no value reaches the event log."""
    log_id = await log(app, alice, weight_kg=83.7, body_fat_pct=24.1)
    await patch(app, alice, log_id, body_fat_pct=23.9)
    rows = list(
        await db_session.scalars(
            select(Event).where(Event.kind == "health_logged").order_by(Event.id)
        )
    )
    assert [row.payload for row in rows] == [
        {"log_id": str(log_id), "has_weight": True, "created": True},
        {"log_id": str(log_id), "has_weight": True, "created": False},
    ]
    assert all(row.local_date == TODAY and row.habit_id is None for row in rows)
    assert "83.7" not in str([row.payload for row in rows])


async def test_metrics_30_needs_30_different_dates(
    app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.1 metrics_30: logs on 30 different local dates; 29 dates (with extra logs on
    some of them) are not enough; the 30th date earns it; backfilled dates count."""
    for offset in range(29):
        await log(app, alice, TODAY - timedelta(days=offset + 1), weight_kg=80)
    for _ in range(3):
        await log(app, alice, TODAY - timedelta(days=1), heart_rate_bpm=60)
    assert "metrics_30" not in await earned(db_session, alice)
    await log(app, alice, TODAY - timedelta(days=200), waist_cm=90)
    assert "metrics_30" in await earned(db_session, alice)


@pytest.mark.parametrize(
    ("goal", "direction", "weights", "reached"),
    [
        pytest.param(70.0, "lose", [71.0, 70.0], True, id="lose-at-the-goal"),
        pytest.param(70.0, "lose", [72.0, 69.4], True, id="lose-past-it"),
        pytest.param(70.0, "lose", [72.0, 75.0], False, id="lose-wrong-side"),
        pytest.param(60.0, "gain", [58.0, 61.0], True, id="gain-past-it"),
        pytest.param(60.0, "gain", [58.0, 55.0], False, id="gain-wrong-side"),
    ],
)
async def test_weight_goal_is_earned_at_or_past_the_goal_in_its_direction(
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
    goal: float,
    direction: str,
    weights: list[float],
    reached: bool,
) -> None:
    """D10.1 weight_goal: a logged weight at or past the goal, below it for "lose" and
    above it for "gain"; a weight on the other side earns nothing."""
    await set_goal(app, alice, goal, direction)
    await log(app, alice, TODAY - timedelta(days=1), weight_kg=weights[0])
    assert "weight_goal" not in await earned(db_session, alice)
    await log(app, alice, weight_kg=weights[1])
    assert ("weight_goal" in await earned(db_session, alice)) is reached


async def test_a_patch_that_sets_the_weight_can_reach_the_goal(
    app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.1 weight_goal through PATCH: a log without weight cannot reach the goal; the
    change that gives it a weight at the goal does."""
    await set_goal(app, alice, 70.0, "lose")
    log_id = await log(app, alice, body_fat_pct=20.0)
    assert "weight_goal" not in await earned(db_session, alice)
    await patch(app, alice, log_id, weight_kg=69.9)
    assert "weight_goal" in await earned(db_session, alice)


async def test_no_goal_no_weight_goal(
    app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.1 weight_goal needs a goal to be at or past."""
    await log(app, alice, weight_kg=40.0)
    assert "weight_goal" not in await earned(db_session, alice)


async def test_deleting_the_log_takes_nothing_back(
    app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.2: earned is earned: deleting the log that earned first_metric and
    weight_goal leaves both."""
    await set_goal(app, alice, 70.0, "lose")
    log_id = await log(app, alice, weight_kg=69.0)
    assert await earned(db_session, alice) == {"first_metric", "weight_goal"}
    await delete(app, alice, log_id)
    assert await earned(db_session, alice) == {"first_metric", "weight_goal"}
    count = await db_session.scalar(
        select(func.count())
        .select_from(AchievementEarned)
        .where(AchievementEarned.user_id == alice.id)
    )
    assert count == 2


async def test_each_user_earns_their_own(
    app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """D10.1 per user: alice's log earns nothing for bob."""
    await log(app, alice, weight_kg=80.0)
    assert await earned(db_session, bob) == set()


async def test_the_earned_achievement_gets_an_inbox_card_and_shows_progress(
    app: FastAPI, client: httpx.AsyncClient, alice: Persona
) -> None:
    """D10.3: an inbox card for the achievement (the worker's notices consumer); the
    achievements page shows metrics_30's progress in dates logged."""
    await log(app, alice, weight_kg=80.0)
    await log(app, alice, TODAY - timedelta(days=3), weight_kg=80.4)
    await read_through(app.state.sessionmaker, app.state.settings)
    inbox = await client.get(f"{API}/notifications", headers=alice.headers)
    assert inbox.status_code == 200, inbox.text
    titles = [item for item in inbox.json()["items"] if item["kind"] == "achievement"]
    assert len(titles) == 1
    assert "First measurement" in str(titles[0])
    listing = await client.get(f"{API}/achievements", headers=alice.headers)
    items = {item["id"]: item for item in listing.json()["items"]}
    assert items["first_metric"]["earned_at"] is not None
    assert items["metrics_30"]["progress"] == {"current": 2, "target": 30}
    assert items["weight_goal"]["earned_at"] is None
