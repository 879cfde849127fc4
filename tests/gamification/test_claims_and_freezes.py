"""D11.2 the daily claim in the user's zone and day-start hour; D11.3 freezes bought,
held and spent by the worker at the end of the user's local day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.gamification import freezes
from habitus.models import HabitBreak
from habitus.registry import JobContext
from tests.fixtures.personas import Persona
from tests.gamification.helpers import API, give_gems
from tests.habits.helpers import (
    TODAY,
    count,
    create_habit,
    entry_put,
    event_kinds,
    get_habit,
    patch_me,
    problem,
    travel,
)


async def claim(client: httpx.AsyncClient, persona: Persona) -> httpx.Response:
    return await client.post(f"{API}/rewards/claim", headers=persona.headers)


async def test_a_claim_a_day_on_a_seven_day_cycle(
    client: httpx.AsyncClient, alice: Persona, frozen_clock: time_machine.Coordinates
) -> None:
    """D11.2: 0.1, 0.2 ... by cycle day, 409 on a second claim the same local day, a missed
    day starts again at 1; gems shown with one decimal from integer tenths."""
    first = await claim(client, alice)
    assert first.json() == {"gems_awarded": 0.1, "cycle_day": 1, "daily_streak": 1, "gems": 0.1}
    again = problem(await claim(client, alice), 409)
    assert "claimed already" in again["detail"]
    paid = [0.1]
    for day in range(1, 7):
        await travel(frozen_clock, client, alice, datetime(2026, 11, 21 + day, 12, tzinfo=UTC))
        paid.append((await claim(client, alice)).json()["gems_awarded"])
    assert paid == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0]
    rewards = (await client.get(f"{API}/rewards", headers=alice.headers)).json()
    assert rewards["gems"] == 3.1
    assert (rewards["cycle_day"], rewards["daily_streak"], rewards["claimed_today"]) == (7, 7, True)
    assert rewards["next_claim_gems"] == 0.1  # day 8 is day 1 of the next cycle
    await travel(frozen_clock, client, alice, datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert (await client.get(f"{API}/rewards", headers=alice.headers)).json()["daily_streak"] == 0
    assert (await claim(client, alice)).json()["cycle_day"] == 1
    ledger = (await client.get(f"{API}/rewards/ledger", headers=alice.headers)).json()
    assert ledger["items"][0]["reason"] == "Daily claim, day 1 of 7"
    assert sum(item["amount"] for item in ledger["items"]) == 3.2


async def test_claims_follow_the_local_day_in_kiritimati_and_pago_pago(
    client: httpx.AsyncClient,
    alice: Persona,
    bob: Persona,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """D11.2 with D1: UTC+14 and UTC-11, both with days starting at 04:00."""
    await patch_me(client, alice, timezone="Pacific/Kiritimati", day_start_hour=4)
    await patch_me(client, bob, timezone="Pacific/Pago_Pago", day_start_hour=4)
    # 12:00 UTC: Kiritimati 02:00 on the 22nd (still the 21st's day); Pago Pago 01:00 on
    # the 21st (still the 20th's day).
    assert (await claim(client, alice)).status_code == 200
    assert (await claim(client, bob)).status_code == 200
    # 14:30 UTC: Kiritimati 04:30, a new day; Pago Pago 03:30, the same day.
    moment = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)
    await travel(frozen_clock, client, alice, moment)
    await travel(frozen_clock, client, bob, moment)
    assert (await claim(client, alice)).json()["daily_streak"] == 2
    problem(await claim(client, bob), 409)
    # 15:30 UTC: Pago Pago 04:30, its new day.
    moment = datetime(2026, 11, 21, 15, 30, tzinfo=UTC)
    await travel(frozen_clock, client, bob, moment)
    assert (await claim(client, bob)).json()["daily_streak"] == 2


async def test_two_claims_at_once_pay_once(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D11.2: one claim per local day even when two arrive together."""
    answers = await asyncio.gather(claim(client, alice), claim(client, alice))
    assert sorted(a.status_code for a in answers) == [200, 409]
    rewards = (await client.get(f"{API}/rewards", headers=alice.headers)).json()
    assert rewards["gems"] == 0.1


async def test_a_freeze_costs_five_gems_and_two_at_most(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    """D11.3: 409 with the reason when gems are short or two are held."""
    short = problem(await client.post(f"{API}/rewards/freezes", headers=alice.headers), 409)
    assert short["detail"] == "A streak freeze costs 5 gems; you have 0."
    await give_gems(app, alice.id, 120)
    for held in (1, 2):
        bought = await client.post(f"{API}/rewards/freezes", headers=alice.headers)
        assert bought.status_code == 201
        assert bought.json()["freezes"] == held
    assert bought.json()["gems"] == 2.0
    full = problem(await client.post(f"{API}/rewards/freezes", headers=alice.headers), 409)
    assert "already hold 2" in full["detail"]
    ledger = (await client.get(f"{API}/rewards/ledger", headers=alice.headers)).json()["items"]
    assert sorted(item["amount"] for item in ledger) == [-5.0, -5.0, 12.0]


def job_context(app: FastAPI) -> JobContext:
    return JobContext(app.state.sessionmaker, app.state.settings, "test-worker")


async def streak_of_five_then_a_miss(
    client: httpx.AsyncClient,
    app: FastAPI,
    persona: Persona,
    frozen_clock: time_machine.Coordinates,
    *,
    bought_at: datetime,
) -> dict[str, str]:
    """A daily habit done the five local days before yesterday, a freeze bought before
    yesterday began; yesterday missed."""
    await travel(frozen_clock, client, persona, bought_at)
    habit = await create_habit(
        client, persona, start_date=(TODAY - timedelta(days=10)).isoformat(), backfill_days=None
    )
    for back in range(6, 1, -1):
        await entry_put(
            client, persona, habit["id"], (TODAY - timedelta(days=back)).isoformat(), status="done"
        )
    await give_gems(app, persona.id, 50)
    assert (await client.post(f"{API}/rewards/freezes", headers=persona.headers)).status_code == 201
    return habit


async def test_the_worker_spends_a_freeze_at_the_local_day_end_and_the_streak_survives(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """D11.3: at the end of the missed day, a one-day break "streak freeze" for the first
    habit with a streak of 3 or more; D7 carries the streak across it; one a day, even
    with two workers at once."""
    habit = await streak_of_five_then_a_miss(
        client, app, alice, frozen_clock, bought_at=datetime(2026, 11, 19, 12, tzinfo=UTC)
    )
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 12, tzinfo=UTC))
    assert (await get_habit(client, alice, habit["id"]))["streak"]["current"] == 0
    spent = await asyncio.gather(freezes.run(job_context(app)), freezes.run(job_context(app)))
    assert sum(spent) == 1
    pauses = list(await db_session.scalars(select(HabitBreak)))
    assert [(p.start_date, p.end_date, p.reason) for p in pauses] == [
        (TODAY - timedelta(days=1), TODAY - timedelta(days=1), "streak freeze")
    ]
    assert (await get_habit(client, alice, habit["id"]))["streak"]["current"] == 5
    rewards = (await client.get(f"{API}/rewards", headers=alice.headers)).json()
    assert rewards["freezes"] == 0
    assert "freeze_spent" in await event_kinds(db_session, alice.id)
    assert await freezes.run(job_context(app)) == 0  # that day is done with


async def test_a_freeze_bought_today_does_not_cover_yesterday(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """D11.3: a freeze is spent at the end of a day it was held through."""
    await streak_of_five_then_a_miss(
        client, app, alice, frozen_clock, bought_at=datetime(2026, 11, 21, 12, tzinfo=UTC)
    )
    assert await freezes.run(job_context(app)) == 0
    assert await count(db_session, HabitBreak) == 0


async def test_freezes_follow_each_users_local_day_end(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """D11.3 with D1: Kiritimati (UTC+14) ends its 21st at 10:00 UTC on the 21st; Pago Pago
    (UTC-11) ends its 20th at 11:00 UTC on the 21st. Each freeze is spent after its own
    user's day has ended, not before."""
    await patch_me(client, alice, timezone="Pacific/Kiritimati")
    await patch_me(client, bob, timezone="Pacific/Pago_Pago")
    # Freezes bought on the 19th (UTC noon: Kiritimati's 20th, Pago Pago's 19th).
    moment = datetime(2026, 11, 19, 12, tzinfo=UTC)
    for persona in (alice, bob):
        await travel(frozen_clock, client, persona, moment)
        await give_gems(app, persona.id, 50)
        assert (
            await client.post(f"{API}/rewards/freezes", headers=persona.headers)
        ).status_code == 201
    # Streaks of 5 ending the day before each one's missed day.
    for persona, missed in ((alice, TODAY), (bob, TODAY - timedelta(days=1))):
        habit = await create_habit(
            client,
            persona,
            start_date=(missed - timedelta(days=8)).isoformat(),
            backfill_days=None,
        )
        for back in range(5, 0, -1):
            day = (missed - timedelta(days=back)).isoformat()
            await entry_put(client, persona, habit["id"], day, status="done")
    # 10:30 UTC on the 21st: Kiritimati's 21st ended (00:30 on the 22nd); Pago Pago is at
    # 23:30 on the 20th: its missed day has not ended.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 10, 30, tzinfo=UTC))
    assert await freezes.run(job_context(app)) == 1
    spent = {(p.user_id, p.start_date) for p in await db_session.scalars(select(HabitBreak))}
    assert spent == {(alice.id, TODAY)}
    # 11:30 UTC: Pago Pago's 20th has ended.
    frozen_clock.move_to(datetime(2026, 11, 21, 11, 30, tzinfo=UTC))
    assert await freezes.run(job_context(app)) == 1
    db_session.expire_all()
    spent = {(p.user_id, p.start_date) for p in await db_session.scalars(select(HabitBreak))}
    assert spent == {(alice.id, TODAY), (bob.id, TODAY - timedelta(days=1))}
