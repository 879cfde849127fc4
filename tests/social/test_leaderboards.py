"""D12.4 leaderboards over the API: a challenge's (members, each over the window up to
their own today) and the friends' (habits shared with friends, 7 or 30 days); the
check-in answer's `leaderboards`; who may see them (404 for strangers and blocks)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.models import ChallengeMember, Habit, Notification
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login
from tests.gamification.helpers import run_consumers
from tests.habits.helpers import (
    checked_in,
    create_habit,
    entry_put,
    error_fields,
    patch_me,
    problem,
)
from tests.social.challenge_factories import API, befriend, block, invite, join, make_challenge

NO_SUGAR = [{"name": "No sugar", "schedule": {"type": "daily"}}]


async def board(client: httpx.AsyncClient, persona: Persona, challenge_id: str) -> list[Any]:
    response = await client.get(
        f"{API}/challenges/{challenge_id}/leaderboard", headers=persona.headers
    )
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def summary(items: list[Any]) -> list[tuple[int, str, float | None, int, int]]:
    return [
        (item["rank"], item["user"]["id"], item["rate"], item["done"], item["missed"])
        for item in items
    ]


async def habit_of(app: FastAPI, persona: Persona, challenge_id: str) -> str:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        found = await session.scalar(
            select(Habit.id).where(
                Habit.user_id == persona.id, Habit.challenge_id == uuid.UUID(challenge_id)
            )
        )
    return str(found)


async def no_sugar_with_bob(
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: time_machine.Coordinates,
    alice: Persona,
    bob: Persona,
    start: str,
) -> tuple[str, str, str]:
    """Alice's "No sugar" from `start`; bob, her friend, invited and joined a minute later."""
    await befriend(app, alice, bob)
    made = await make_challenge(client, alice, name="No sugar", start_date=start, habits=NO_SUGAR)
    assert (await invite(client, alice, made["id"], bob)).status_code == 201
    clock.shift(60)
    assert (await join(client, bob, made["id"])).status_code == 200
    return made["id"], await habit_of(app, alice, made["id"]), await habit_of(app, bob, made["id"])


async def test_members_rank_by_rate_then_done_then_join_order(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
) -> None:
    """D12.4 (today 2026-11-21, pending today counts nothing): alice done 11-19, missed
    11-20; bob missed 11-19, done 11-20: both 1/2 and 1 done, so alice, who joined
    first, leads. Charlie (neither member nor invited) gets 404, as for no challenge."""
    challenge, alice_habit, bob_habit = await no_sugar_with_bob(
        client, app, frozen_clock, alice, bob, "2026-11-19"
    )
    await entry_put(client, alice, alice_habit, "2026-11-19", status="done")
    await entry_put(client, bob, bob_habit, "2026-11-20", status="done")
    expected = [(1, str(alice.id), 0.5, 1, 1), (2, str(bob.id), 0.5, 1, 1)]
    assert summary(await board(client, alice, challenge)) == expected
    items = await board(client, bob, challenge)
    assert summary(items) == expected
    assert items[0]["user"] == {"id": str(alice.id), "handle": None, "display_name": "Alice"}
    for url in (
        f"{API}/challenges/{challenge}/leaderboard",
        f"{API}/challenges/{uuid.uuid4()}/leaderboard",
    ):
        problem(await client.get(url, headers=charlie.headers), 404)


async def test_a_check_in_answers_the_new_rank_and_tells_who_was_overtaken(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.4: bob's check-in today makes him 2/3 against alice's 1/2: the answer carries
    `leaderboards: [{challenge_id, rank: 1, rate}]`; the worker then puts "You moved to
    #1 in No sugar" in bob's inbox and "Bob moved past you in No sugar" in alice's."""
    challenge, alice_habit, bob_habit = await no_sugar_with_bob(
        client, app, frozen_clock, alice, bob, "2026-11-19"
    )
    await entry_put(client, alice, alice_habit, "2026-11-19", status="done")
    await entry_put(client, bob, bob_habit, "2026-11-20", status="done")
    answer = await checked_in(client, bob, bob_habit)
    assert answer["leaderboards"] == [{"challenge_id": challenge, "rank": 1, "rate": 0.6667}]
    assert summary(await board(client, alice, challenge)) == [
        (1, str(bob.id), 0.6667, 2, 1),
        (2, str(alice.id), 0.5, 1, 1),
    ]
    # A habit outside any challenge answers no leaderboard.
    own = await create_habit(client, bob, name="Walk")
    assert (await checked_in(client, bob, own["id"]))["leaderboards"] == []

    await run_consumers(app)
    titles = {
        (row.user_id, row.title)
        for row in await db_session.scalars(select(Notification).where(Notification.kind == "rank"))
    }
    await db_session.commit()
    assert titles == {
        (bob.id, "You moved to #1 in No sugar"),
        (alice.id, "Bob moved past you in No sugar"),
    }
    ranks = dict(
        (await db_session.execute(select(ChallengeMember.user_id, ChallengeMember.last_rank))).all()
    )
    await db_session.commit()
    assert ranks == {bob.id: 1, alice.id: 2}


async def test_each_member_counts_up_to_their_own_today(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
) -> None:
    """D12.4 "up to today in each member's own zone" (D1.3): at 12:00 UTC it is already
    11-22 in Kiritimati, so alice's empty 11-21 there is a missed day (1/2) while bob's
    11-21 in UTC is still pending (1/1): bob leads though alice joined first."""
    await patch_me(client, alice, timezone="Pacific/Kiritimati")
    challenge, alice_habit, bob_habit = await no_sugar_with_bob(
        client, app, frozen_clock, alice, bob, "2026-11-20"
    )
    await entry_put(client, alice, alice_habit, "2026-11-20", status="done")
    await entry_put(client, bob, bob_habit, "2026-11-20", status="done")
    assert summary(await board(client, bob, challenge)) == [
        (1, str(bob.id), 1.0, 1, 0),
        (2, str(alice.id), 0.5, 1, 1),
    ]


async def test_no_required_unit_yet_comes_last_with_rate_null(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
) -> None:
    """D12.4: a challenge starting today: nobody has a settled unit; alice's check-in
    gives her 1/1, bob (pending today) comes last with rate null."""
    challenge, alice_habit, _ = await no_sugar_with_bob(
        client, app, frozen_clock, alice, bob, "2026-11-21"
    )
    assert summary(await board(client, alice, challenge)) == [
        (1, str(alice.id), None, 0, 0),
        (2, str(bob.id), None, 0, 0),
    ]
    answer = await checked_in(client, alice, alice_habit)
    assert answer["leaderboards"] == [{"challenge_id": challenge, "rank": 1, "rate": 1.0}]
    assert summary(await board(client, bob, challenge)) == [
        (1, str(alice.id), 1.0, 1, 0),
        (2, str(bob.id), None, 0, 0),
    ]


async def test_invited_may_look_blocked_may_not(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
) -> None:
    """D12.1/D12.3: charlie, invited but not joined, sees the board (without himself);
    once bob blocks alice, bob gets 404 for her challenge's board (as for none)."""
    challenge, _, _ = await no_sugar_with_bob(client, app, frozen_clock, alice, bob, "2026-11-21")
    await befriend(app, alice, charlie)
    assert (await invite(client, alice, challenge, charlie)).status_code == 201
    items = await board(client, charlie, challenge)
    assert [item["user"]["id"] for item in items] == [str(alice.id), str(bob.id)]
    await block(app, bob, alice)
    problem(await client.get(f"{API}/challenges/{challenge}/leaderboard", headers=bob.headers), 404)
    # Alice no longer sees bob on her board either (a block hides both ways).
    assert [item["user"]["id"] for item in await board(client, alice, challenge)] == [str(alice.id)]


# --- the friends' leaderboard ---------------------------------------------------------------


async def shared_habit(
    client: httpx.AsyncClient, app: FastAPI, persona: Persona, visibility: str, done: list[str]
) -> None:
    """A habit from 11-15 with `visibility`, done on `done` (other days missed)."""
    habit = await create_habit(
        client, persona, name=f"{visibility} habit", start_date="2026-11-15", backfill_days=None
    )
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await session.execute(
            update(Habit).where(Habit.id == uuid.UUID(habit["id"])).values(visibility=visibility)
        )
    for day in done:
        await entry_put(client, persona, habit["id"], day, status="done")


WEEK = [f"2026-11-{day}" for day in range(15, 21)]


async def test_friends_board_counts_shared_habits_of_friends_only(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
) -> None:
    """D12.4 friends scope: habits visible to friends (friends or public) of the user and
    their friends, over the last 7 days up to each one's today. Alice's private habit (all
    missed) does not count; charlie (not a friend) is not on her board."""
    await befriend(app, alice, bob)
    await shared_habit(client, app, alice, "friends", WEEK)
    await shared_habit(client, app, alice, "private", [])
    await shared_habit(client, app, bob, "public", WEEK[:2])
    await shared_habit(client, app, charlie, "friends", WEEK)
    for window in ("7d", "30d"):
        response = await client.get(
            f"{API}/leaderboard/friends", params={"window": window}, headers=alice.headers
        )
        assert response.status_code == 200, response.text
        assert summary(response.json()["items"]) == [
            (1, str(alice.id), 1.0, 6, 0),
            (2, str(bob.id), 0.3333, 2, 4),
        ]
    response = await client.get(f"{API}/leaderboard/friends", headers=charlie.headers)
    assert summary(response.json()["items"]) == [(1, str(charlie.id), 1.0, 6, 0)]
    await block(app, alice, bob)
    response = await client.get(f"{API}/leaderboard/friends", headers=bob.headers)
    assert [item["user"]["id"] for item in response.json()["items"]] == [str(bob.id)]


async def test_friends_board_window_must_be_7d_or_30d(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md: `window` is 7d or 30d; anything else is a 422 naming the field."""
    response = await client.get(
        f"{API}/leaderboard/friends", params={"window": "1y"}, headers=alice.headers
    )
    assert "window" in error_fields(problem(response, 422))


async def test_the_board_fragment_and_page(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
) -> None:
    """D12.4 on the challenge page: htmx loads the rows (no page around them); without
    htmx, a page of its own; charlie, neither member nor invited, gets 404."""
    challenge, alice_habit, _ = await no_sugar_with_bob(
        client, app, frozen_clock, alice, bob, "2026-11-21"
    )
    await checked_in(client, alice, alice_habit)
    url = f"/challenges/{challenge}/board"
    await web_login(client, alice.email, alice.password)
    rows = await client.get(url, headers={"HX-Request": "true"})
    assert rows.status_code == 200, rows.text
    assert "<html" not in rows.text
    assert "You are #1</strong> of 2, 100% done so far." in rows.text
    assert rows.text.index("Alice") < rows.text.index("no days yet")
    full = await client.get(url)
    assert "<html" in full.text
    assert "Leaderboard" in full.text
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        assert (await other.get(url)).status_code == 404
