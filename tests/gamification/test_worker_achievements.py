"""D10.1's conditions over every habit's days, decided by the worker's consumer after the
write: perfect_day, perfect_week, comeback, month_80; and D10.3's announcement in the log."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.personas import Persona
from tests.gamification.helpers import achievements, run_consumers
from tests.habits.helpers import TODAY, create_habit, entry_put, event_kinds

LONG_AGO = (TODAY - timedelta(days=120)).isoformat()


async def habit(
    client: httpx.AsyncClient, persona: Persona, name: str, start: str = LONG_AGO
) -> str:
    made = await create_habit(client, persona, name=name, start_date=start, backfill_days=None)
    return str(made["id"])


async def done(client: httpx.AsyncClient, persona: Persona, habit_id: str, day: date) -> None:
    await entry_put(client, persona, habit_id, day.isoformat(), status="done")


async def test_a_perfect_day_needs_every_required_habit_done(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.1 perfect_day: one habit done and one not is not perfect; both done is."""
    read, walk = await habit(client, alice, "Read"), await habit(client, alice, "Walk")
    yesterday = TODAY - timedelta(days=1)
    await done(client, alice, read, yesterday)
    await run_consumers(app)
    assert (await achievements(client, alice.headers))["perfect_day"]["earned_at"] is None
    await done(client, alice, walk, yesterday)
    await run_consumers(app)
    earned = await achievements(client, alice.headers)
    assert earned["perfect_day"]["earned_at"] is not None
    assert earned["perfect_week"]["earned_at"] is None
    assert "achievement_unlocked" in await event_kinds(db_session, alice.id)


async def test_seven_perfect_days_backfilled_make_a_perfect_week(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    """D10.1 perfect_week; backfilled entries count, in any order."""
    read = await habit(client, alice, "Read")
    days = [TODAY - timedelta(days=n) for n in (3, 9, 4, 8, 5, 7, 6)]
    for day in days[:-1]:
        await done(client, alice, read, day)
    await run_consumers(app)
    assert (await achievements(client, alice.headers))["perfect_week"]["earned_at"] is None
    await done(client, alice, read, days[-1])
    await run_consumers(app)
    assert (await achievements(client, alice.headers))["perfect_week"]["earned_at"] is not None


async def test_a_comeback_after_three_missed_days(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    """D10.1 comeback: done right after 3 or more missed units of the same habit; 2 are
    not enough."""
    read = await habit(client, alice, "Read", start=(TODAY - timedelta(days=10)).isoformat())
    for back in (10, 7):  # done 10 days ago, 9 and 8 missed (2), done 7 days ago
        await done(client, alice, read, TODAY - timedelta(days=back))
    await run_consumers(app)
    assert (await achievements(client, alice.headers))["comeback"]["earned_at"] is None
    await done(client, alice, read, TODAY - timedelta(days=3))  # 6, 5, 4 missed
    await run_consumers(app)
    assert (await achievements(client, alice.headers))["comeback"]["earned_at"] is not None


async def test_a_finished_month_at_80_percent(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """D10.1 month_80: October, 31 required days, 25 done (80.6%) earns it; the month in
    progress never counts."""
    read = await habit(client, alice, "Read")
    october = [date(2026, 10, day) for day in range(1, 32)]
    for day in october[:24]:
        await done(client, alice, read, day)
    await run_consumers(app)
    earned = await achievements(client, alice.headers)
    assert earned["month_80"]["earned_at"] is None
    assert earned["month_80"]["progress"] == {"current": 77, "target": 80}  # 24/31
    await done(client, alice, read, october[24])
    await run_consumers(app)
    assert (await achievements(client, alice.headers))["month_80"]["earned_at"] is not None
