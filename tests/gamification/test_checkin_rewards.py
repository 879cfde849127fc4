"""D10/D11 through the check-in: coins keyed by cause, milestones and streak badges in
the write's answer, earned once whatever races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AchievementEarned, RewardLedgerRow
from tests.fixtures.personas import Persona
from tests.gamification.helpers import API, achievements, kinds
from tests.habits.helpers import (
    TODAY,
    check_in,
    checked_in,
    count,
    create_habit,
    delete_entry,
    entry_put,
)
from tests.habits.test_queries import counting


async def test_a_first_completed_day_pays_a_coin_and_earns_first_checkin(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D11.1 a coin for the first done unit of a date; D10.1 first_checkin; D10.3 the
    write's answer lists both."""
    habit = await create_habit(client, alice)
    answer = await checked_in(client, alice, habit["id"])
    assert "coins_awarded" in kinds(answer)
    unlocked = [e for e in answer["events"] if e["kind"] == "achievement_unlocked"]
    assert [e["payload"]["achievement"] for e in unlocked] == ["first_checkin"]
    assert unlocked[0]["payload"]["title"] == "First step"
    rewards = (await client.get(f"{API}/rewards", headers=alice.headers)).json()
    assert rewards["coins"] == 1
    earned = await achievements(client, alice.headers)
    assert earned["first_checkin"]["earned_at"] is not None
    assert earned["checkins_100"]["progress"] == {"current": 1, "target": 100}


async def test_undo_redo_replay_and_backfill_never_pay_twice(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D11.1: the coin is keyed by habit and date."""
    start = (TODAY - timedelta(days=5)).isoformat()
    habit = await create_habit(client, alice, backfill_days=7, start_date=start)
    key = "same-key"
    await checked_in(client, alice, habit["id"], key=key)
    replay = await check_in(client, alice, habit["id"], key=key)
    assert replay.status_code in (200, 201)
    assert (await delete_entry(client, alice, habit["id"], TODAY.isoformat())).status_code == 204
    redo = await checked_in(client, alice, habit["id"])
    assert "coins_awarded" not in kinds(redo)
    await entry_put(client, alice, habit["id"], TODAY.isoformat(), status="done")
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    await entry_put(client, alice, habit["id"], yesterday, status="done")  # a new date: paid
    await delete_entry(client, alice, habit["id"], yesterday)
    await entry_put(client, alice, habit["id"], yesterday, status="done")  # backfilled again
    coins = await count(db_session, RewardLedgerRow, RewardLedgerRow.currency == "coins")
    assert coins == 2
    assert (await client.get(f"{API}/rewards", headers=alice.headers)).json()["coins"] == 2


async def test_undoing_the_day_that_earned_keeps_the_achievement(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D10.2: earned is earned."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    await delete_entry(client, alice, habit["id"], TODAY.isoformat())
    assert (await achievements(client, alice.headers))["first_checkin"]["earned_at"] is not None


async def test_a_seven_day_streak_earns_the_first_badge(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D10.1 streak_7: backfilled entries count; the day that reaches 7 announces it."""
    habit = await create_habit(
        client, alice, start_date=(TODAY - timedelta(days=10)).isoformat(), backfill_days=None
    )
    answers = []
    for back in range(6, -1, -1):
        day = (TODAY - timedelta(days=back)).isoformat()
        response = await client.put(
            f"{API}/habits/{habit['id']}/entries/{day}",
            json={"status": "done"},
            headers=alice.headers,
        )
        assert response.status_code == 200, response.text
        answers.append(response.json())
    earned = await achievements(client, alice.headers)
    assert earned["streak_7"]["earned_at"] is not None
    assert earned["streak_21"]["progress"] == {"current": 7, "target": 21}


async def test_twenty_concurrent_check_ins_earn_first_checkin_once(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.1 at most once per user, under 20 check-ins that would each earn it."""
    habits = [await create_habit(client, alice, name=f"H{n}") for n in range(20)]
    responses = await asyncio.gather(*(check_in(client, alice, h["id"]) for h in habits))
    assert {r.status_code for r in responses} == {201}
    announced = [
        e for r in responses for e in r.json()["events"] if e["kind"] == "achievement_unlocked"
    ]
    first = [e for e in announced if e["payload"]["achievement"] == "first_checkin"]
    assert len(first) == 1
    rows = await db_session.scalars(
        select(AchievementEarned.achievement_id).where(AchievementEarned.user_id == alice.id)
    )
    assert sorted(rows) == ["first_checkin", "habits_3"]
    assert await count(db_session, RewardLedgerRow) == 20


async def test_a_check_in_that_earns_nothing_new_costs_two_statements_more(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    """Issue 14 speed: at most 2 statements for rewards in a completing check-in that earns
    no achievement (the coin, then the standing), none in one that completes nothing."""
    first = await create_habit(client, alice, name="First")
    second = await create_habit(client, alice, name="Second")
    counted = await create_habit(
        client, alice, name="Water", kind="measurable", target={"value": 3}
    )
    await checked_in(client, alice, first["id"])  # earns first_checkin
    with counting(app) as statements:
        answer = await checked_in(client, alice, second["id"])
    assert kinds(answer).count("achievement_unlocked") == 0
    rewards = [s for s in statements if "reward_" in s or "achievements_earned" in s]
    assert len(rewards) == 2, rewards
    with counting(app) as statements:
        await checked_in(client, alice, counted["id"], value=1)  # 1 of 3: nothing completes
    assert not [s for s in statements if "reward_" in s or "achievements_earned" in s]


async def test_three_habits_in_three_categories(client: httpx.AsyncClient, alice: Persona) -> None:
    """D10.1 explorer: habits_3 and categories_3 (active habits only)."""
    for name, category in (("A", "Health"), ("B", "Mind"), ("C", "Health")):
        await create_habit(client, alice, name=name, category=category)
    earned = await achievements(client, alice.headers)
    assert earned["habits_3"]["earned_at"] is not None
    assert earned["categories_3"]["progress"] == {"current": 2, "target": 3}
    await create_habit(client, alice, name="D", category="Work")
    assert (await achievements(client, alice.headers))["categories_3"]["earned_at"] is not None


async def test_charlie_cannot_see_alices_rewards(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Each user sees their own achievements, balances and ledger only."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    assert (await client.post(f"{API}/rewards/claim", headers=alice.headers)).status_code == 200
    theirs = await achievements(client, charlie.headers)
    assert all(item["earned_at"] is None for item in theirs.values())
    rewards = (await client.get(f"{API}/rewards", headers=charlie.headers)).json()
    assert (rewards["coins"], rewards["gems"]) == (0, 0)
    ledger = (await client.get(f"{API}/rewards/ledger", headers=charlie.headers)).json()
    assert ledger["items"] == []
