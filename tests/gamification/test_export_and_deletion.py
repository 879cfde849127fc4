"""Issue 14: /me/export holds the achievements and the ledger; deleting the account
deletes every reward row, and nobody else's."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AchievementEarned, RewardLedgerRow, RewardState
from tests.fixtures.personas import Persona
from tests.gamification.helpers import API, give_gems
from tests.habits.helpers import checked_in, count, create_habit
from tests.imports.loopfiles import imported


async def rewarded(client: httpx.AsyncClient, app: FastAPI, persona: Persona) -> None:
    habit = await create_habit(client, persona)
    await checked_in(client, persona, habit["id"])
    assert (await client.post(f"{API}/rewards/claim", headers=persona.headers)).status_code == 200
    await give_gems(app, persona.id, 50)
    assert (await client.post(f"{API}/rewards/freezes", headers=persona.headers)).status_code == 201


async def test_the_export_has_achievements_and_the_ledger(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    await rewarded(client, app, alice)
    document = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    assert [item["id"] for item in document["achievements"]] == ["first_checkin"]
    rewards = document["rewards"]
    assert (rewards["coins"], rewards["gems"], rewards["freezes"]) == (1, 0.1, 1)
    assert sorted(row["amount"] for row in rewards["ledger"]) == [-5.0, 0.1, 1.0, 5.0]
    assert {row["currency"] for row in rewards["ledger"]} == {"coins", "gems"}


async def test_deleting_the_account_deletes_every_reward_row(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    await rewarded(client, app, alice)
    await rewarded(client, app, bob)
    response = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code == 204, response.text
    for model in (AchievementEarned, RewardLedgerRow, RewardState):
        assert await count(db_session, model, model.user_id == alice.id) == 0
        assert await count(db_session, model, model.user_id == bob.id) > 0


async def test_importing_an_export_brings_no_rewards(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """D10/D11: achievements and coins are earned, never imported: bob imports alice's
    export (with her achievements and ledger in it) and gets her habits and days only."""
    await rewarded(client, app, alice)
    document = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    assert document["achievements"]
    body = await imported(client, bob, json.dumps(document).encode(), "habitus_json")
    assert body["entries_created"] == len(document["entries"])
    for model in (AchievementEarned, RewardLedgerRow, RewardState):
        assert await count(db_session, model, model.user_id == bob.id) == 0
