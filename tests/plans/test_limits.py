"""Issue 21 / API.md "Product metrics and plans": with HABITUS_PLANS=on the free plan
keeps at most 5 active habits (configurable) and creates no challenges; past a limit is
a 403 `urn:habitus:problem:plan-limit` naming it, and nothing is written. Pro has no
limits; with plans off (the default) nobody has any."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import AppFactory
from tests.fixtures.personas import Persona
from tests.habits.helpers import patch_habit
from tests.plans.helpers import (
    active_habits,
    challenges_of,
    habits_made,
    plan_limit,
    post_habit,
    set_plan,
)
from tests.social.challenge_factories import API, challenge_body, make_challenge


async def test_plans_off_by_default_limit_nothing(
    make_client: AppFactory, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: without HABITUS_PLANS everything is free: a free account makes a 7th
    habit and a challenge."""
    off = await make_client()
    await habits_made(off, alice, 6)
    assert (await post_habit(off, alice, "Seventh")).status_code == 201
    await make_challenge(off, alice)
    # 7 of its own, and the challenge's 2 habits the owner gets.
    assert await active_habits(db_session, alice) == 9


async def test_the_sixth_active_habit_is_a_plan_limit(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: the free plan keeps 5 active habits; the 6th is a 403 plan-limit that
    names `active_habits` and writes nothing."""
    await habits_made(client, alice, 5)
    body = plan_limit(await post_habit(client, alice, "Sixth"))
    assert body["limit"] == "active_habits"
    assert body["plan"] == "free"
    assert body["allowed"] == 5
    assert "5 active habits" in body["detail"]
    assert await active_habits(db_session, alice) == 5


async def test_archived_habits_make_room_and_restoring_counts(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: only active habits count: archiving one makes room; restoring one past
    the limit is the same 403 and leaves it archived."""
    ids = await habits_made(client, alice, 5)
    assert (await patch_habit(client, alice, ids[0], archived=True)).status_code == 200
    assert (await post_habit(client, alice, "Sixth")).status_code == 201
    body = plan_limit(await patch_habit(client, alice, ids[0], archived=False))
    assert body["limit"] == "active_habits"
    assert await active_habits(db_session, alice) == 5
    # Other edits of an archived habit are not restoring it: allowed.
    assert (await patch_habit(client, alice, ids[0], name="Renamed")).status_code == 200
    # Archive another: now the first comes back.
    assert (await patch_habit(client, alice, ids[1], archived=True)).status_code == 200
    assert (await patch_habit(client, alice, ids[0], archived=False)).status_code == 200
    assert await active_habits(db_session, alice) == 5


async def test_pro_has_no_limits(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: a pro account makes a 6th habit and a challenge with plans on."""
    await set_plan(db_session, alice, "pro")
    await habits_made(client, alice, 6)
    assert await active_habits(db_session, alice) == 6
    await make_challenge(client, alice)
    assert await challenges_of(db_session, alice) == 1


async def test_free_accounts_create_no_challenges_but_join(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: creating a challenge is Pro (403 plan-limit `challenge_creation`,
    nothing written); a free account still joins one a pro account made."""
    response = await client.post(f"{API}/challenges", json=challenge_body(), headers=bob.headers)
    body = plan_limit(response)
    assert body["limit"] == "challenge_creation"
    assert await challenges_of(db_session, bob) == 0
    assert await active_habits(db_session, bob) == 0
    await set_plan(db_session, alice, "pro")
    made = await make_challenge(client, alice)
    link = await client.post(
        f"{API}/challenges/{made['id']}/invites", json={"link": True}, headers=alice.headers
    )
    assert link.status_code == 201, link.text
    token = link.json()["url"].split("token=", 1)[1]
    joined = await client.post(
        f"{API}/challenges/{made['id']}/join", json={"token": token}, headers=bob.headers
    )
    assert joined.status_code == 200, joined.text
    assert await active_habits(db_session, bob) == 2  # the challenge's habits


async def test_limits_are_settings(
    make_client: AppFactory,
    frozen_clock: object,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 21: the numbers are configurable: 2 active habits, challenges allowed."""
    custom = await make_client(plans=True, plan_free_active_habits=2, plan_free_challenges=True)
    await habits_made(custom, alice, 2)
    assert plan_limit(await post_habit(custom, alice, "Third"))["allowed"] == 2
    await make_challenge(custom, alice)  # its habit comes with it, past the limit
    assert await challenges_of(db_session, alice) == 1
